import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { ProcessTracker } from '../../../src/monitor/process-tracker.js';
import { killGroupNow } from '../../../src/proc/process-group.js';
import { existsSync, readFileSync } from 'node:fs';
import { makeProject, VENV_PYTHON, waitUntil } from '../../helpers/cli.js';

// A leader that starts: a plain child, a child that moves to its own process group, and one
// that leaves with setsid() and is re-parented to init (found by its environment markers).
const TREE = `
import os, subprocess, sys, time
plain = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
regrouped = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], process_group=0)
escapee = subprocess.Popen([sys.executable, "-c", "import os, time\\nif os.fork(): os._exit(0)\\nos.setsid(); time.sleep(60)"])
escapee.wait()
with open(sys.argv[1], "w") as out:
    out.write(f"{plain.pid} {regrouped.pid}")
time.sleep(60)
`;

test('tracks the group, descendants that changed group, and setsid escapees carrying the markers', async () => {
  const dir = makeProject({});
  const ready = `${dir}/ready`;
  const leader = spawn(VENV_PYTHON, ['-c', TREE, ready], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, RUN_CHUNKS_RUN_ID: 'run-1', RUN_CHUNKS_CHUNK: 'tree' },
  });
  const pgid = leader.pid!;
  const tracker = new ProcessTracker({ pgid, runId: 'run-1', chunkName: 'tree' });
  try {
    await waitUntil(() => existsSync(ready), 10_000, 'the tree to start');
    const [plainPid, regroupedPid] = readFileSync(ready, 'utf8').split(' ').map(Number);
    const members = tracker.scan(0);
    const pids = new Set(members.map((stat) => stat.pid));
    assert.ok(pids.has(pgid), 'the leader');
    assert.ok(pids.has(plainPid!), 'a plain child');
    assert.ok(pids.has(regroupedPid!), 'a child in its own process group');
    const escapees = members.filter((stat) => stat.ppid !== pgid && stat.pid !== pgid && stat.pgid !== pgid && stat.pid !== regroupedPid);
    assert.equal(escapees.length, 1, 'the setsid escapee, found by its environment markers');
    // Between full scans, the tracked processes are read directly and nobody is lost.
    assert.deepEqual(new Set(tracker.scan(1).map((stat) => stat.pid)), pids);
    for (const stat of members) killGroupNow(stat.pgid);
  } finally {
    killGroupNow(pgid);
  }
});

test('a launcher that leads the group is followed for its descendants but never counted as the chunk\'s', async () => {
  const dir = makeProject({});
  const ready = `${dir}/ready`;
  const leader = spawn(VENV_PYTHON, ['-c', TREE, ready], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, RUN_CHUNKS_RUN_ID: 'run-2', RUN_CHUNKS_CHUNK: 'launched' },
  });
  const pgid = leader.pid!;
  const tracker = new ProcessTracker({ pgid, runId: 'run-2', chunkName: 'launched', launcherPid: pgid });
  try {
    await waitUntil(() => existsSync(ready), 10_000, 'the tree to start');
    const [plainPid, regroupedPid] = readFileSync(ready, 'utf8').split(' ').map(Number);
    for (const nowMs of [0, 1]) {
      // A full scan, then a scan of the known processes: the launcher's children stay found through it.
      const pids = new Set(tracker.scan(nowMs).map((stat) => stat.pid));
      assert.equal(pids.has(pgid), false, 'the launcher itself is left out');
      assert.ok(pids.has(plainPid!), 'its plain child');
      assert.ok(pids.has(regroupedPid!), 'its child in another process group');
    }
    for (const stat of tracker.scan(2)) killGroupNow(stat.pgid);
  } finally {
    killGroupNow(pgid);
  }
});
