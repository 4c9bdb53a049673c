// The cgroup code against fake cgroupfs trees in a temp folder: the same code path reads v1 and
// v2, finds our own cgroup through mountinfo (a container's mount root included), creates a
// chunk's cgroup only under it, reads its counters, and removes it (and what the chunk made
// under it) afterwards. The real v1 hierarchy is exercised by test/faults/evidence-faults.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ChunkCgroup, cgroupName, openChunkCgroup, passMemoryDown } from '../../../../src/proc/cgroup/chunk-cgroup.js';
import { locateOwnCgroups } from '../../../../src/proc/cgroup/locate-cgroup.js';

function fakeRoot(): string {
  return mkdtempSync(path.join(tmpdir(), 'run-chunks-fake-cgroupfs-'));
}

/** A v2 tree: /sys/fs/cgroup mounted at ROOT/unified, we live in /user.slice/ci.scope. */
function fakeV2(root: string) {
  const mount = path.join(root, 'unified');
  const own = path.join(mount, 'user.slice', 'ci.scope');
  mkdirSync(own, { recursive: true });
  return {
    own,
    sources: {
      procSelfCgroup: '0::/user.slice/ci.scope\n',
      mountinfo: `30 23 0:26 / ${mount} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n`,
    },
  };
}

test('v1: the memory line of /proc/self/cgroup under the memory mount, a container\'s mount root taken off', () => {
  const sources = {
    procSelfCgroup: '12:pids:/docker/abc\n4:memory:/docker/abc/job\n0::/\n',
    mountinfo: [
      '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    ].join('\n'),
  };
  assert.deepEqual(locateOwnCgroups(sources), [
    { version: 1, dir: '/sys/fs/cgroup/memory/job' },
    { version: 2, dir: '/sys/fs/cgroup/unified' },
  ]);
});

test('v2 only: the 0:: line under the cgroup2 mount; nothing mounted: no candidates', () => {
  const { own, sources } = fakeV2(fakeRoot());
  assert.deepEqual(locateOwnCgroups(sources), [{ version: 2, dir: own }]);
  assert.deepEqual(locateOwnCgroups({ procSelfCgroup: '0::/x\n', mountinfo: '' }), []);
  assert.match(openChunkCgroup('c', { procSelfCgroup: '0::/x\n', mountinfo: '' }).cgroup === undefined ? 'none' : 'some', /none/);
});

test('v2: a chunk cgroup under our own; limit with swap off; counters from memory.events and memory.peak', async () => {
  const { own, sources } = fakeV2(fakeRoot());
  const opened = openChunkCgroup(cgroupName(['run-chunks', 'run 1', 'unit/fast', '1']), sources);
  assert.ok(opened.cgroup);
  const cgroup = opened.cgroup;
  assert.equal(cgroup.dir, path.join(own, 'run-chunks-run_1-unit_fast-1'));
  assert.equal(cgroup.version, 2);
  // The kernel makes these files; the fake tree writes them.
  assert.equal(cgroup.hasMemoryController(), false, 'no memory.events: the controller is not enabled for our children');
  writeFileSync(path.join(cgroup.dir, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n');
  writeFileSync(path.join(cgroup.dir, 'memory.swap.max'), 'max\n');
  assert.equal(cgroup.hasMemoryController(), true);
  assert.deepEqual(cgroup.limitMemory(200 * 1024 * 1024), { limitBytes: 200 * 1024 * 1024, swap: 'off (memory.swap.max = 0)' });
  assert.equal(readFileSync(path.join(cgroup.dir, 'memory.max'), 'utf8'), String(200 * 1024 * 1024));
  assert.equal(readFileSync(path.join(cgroup.dir, 'memory.swap.max'), 'utf8'), '0');
  assert.deepEqual(cgroup.read(), { oomKill: 0, oomGroupKill: 0, limitHits: 0, peakBytes: null });
  writeFileSync(path.join(cgroup.dir, 'memory.events'), 'low 0\nhigh 0\nmax 17\noom 1\noom_kill 1\noom_group_kill 0\n');
  writeFileSync(path.join(cgroup.dir, 'memory.peak'), '209715200\n');
  assert.deepEqual(cgroup.read(), { oomKill: 1, oomGroupKill: 0, limitHits: 17, peakBytes: 209715200 });
  assert.deepEqual(cgroup.pids(), []);
});

test('v1: limit_in_bytes then memsw; oom_kill summed over cgroups the chunk made under its own; failcnt and max_usage_in_bytes', () => {
  const root = fakeRoot();
  const own = path.join(root, 'memory', 'job');
  mkdirSync(own, { recursive: true });
  const cgroup = ChunkCgroup.create({ version: 1, dir: own }, 'run-chunks-r-c-1');
  assert.equal(cgroup.hasMemoryController(), true);
  assert.deepEqual(cgroup.limitMemory(1024), { limitBytes: 1024, swap: 'off (memory.memsw.limit_in_bytes = the limit)' });
  assert.equal(readFileSync(path.join(cgroup.dir, 'memory.limit_in_bytes'), 'utf8'), '1024');
  assert.equal(readFileSync(path.join(cgroup.dir, 'memory.memsw.limit_in_bytes'), 'utf8'), '1024');
  // memsw that cannot be written (here: a folder in its place): the limit holds, the report says swap could not be kept out.
  const other = ChunkCgroup.create({ version: 1, dir: own }, 'run-chunks-r-c-2');
  mkdirSync(path.join(other.dir, 'memory.memsw.limit_in_bytes'));
  assert.deepEqual(other.limitMemory(2048), { limitBytes: 2048, swap: 'not settable: writing memory.memsw.limit_in_bytes failed (EISDIR)' });
  writeFileSync(path.join(cgroup.dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  writeFileSync(path.join(cgroup.dir, 'memory.failcnt'), '40\n');
  writeFileSync(path.join(cgroup.dir, 'memory.max_usage_in_bytes'), '1024\n');
  const inner = path.join(cgroup.dir, 'inner');
  mkdirSync(inner);
  writeFileSync(path.join(inner, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
  writeFileSync(path.join(inner, 'cgroup.procs'), '');
  writeFileSync(path.join(cgroup.dir, 'cgroup.procs'), '');
  assert.deepEqual(cgroup.read(), { oomKill: 3, oomGroupKill: null, limitHits: 40, peakBytes: 1024 });
});

test('pids() walks nested cgroups; killAll() SIGKILLs them until cgroup.procs is empty; the cgroup goes only when empty', async () => {
  const root = fakeRoot();
  const own = path.join(root, 'memory');
  mkdirSync(own, { recursive: true });
  const cgroup = ChunkCgroup.create({ version: 1, dir: own }, 'run-chunks-kill');
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const nested = path.join(cgroup.dir, 'nested');
  mkdirSync(nested);
  writeFileSync(path.join(nested, 'cgroup.procs'), `${child.pid}\n`);
  writeFileSync(path.join(cgroup.dir, 'cgroup.procs'), '');
  assert.deepEqual(cgroup.pids(), [child.pid]);
  // A real cgroup.procs drops a pid when it dies; the fake one is emptied by hand once it has.
  const killing = cgroup.killAll();
  assert.equal(await exited, 'SIGKILL');
  writeFileSync(path.join(nested, 'cgroup.procs'), '');
  assert.equal(await killing, true);
});

test('v2: killAll() writes cgroup.kill, then waits for cgroup.procs to empty', async () => {
  const root = fakeRoot();
  const own = path.join(root, 'unified');
  mkdirSync(own, { recursive: true });
  const cgroup = ChunkCgroup.create({ version: 2, dir: own }, 'run-chunks-v2kill');
  writeFileSync(path.join(cgroup.dir, 'cgroup.kill'), '');
  writeFileSync(path.join(cgroup.dir, 'cgroup.procs'), '');
  assert.equal(await cgroup.killAll(), true);
  assert.equal(readFileSync(path.join(cgroup.dir, 'cgroup.kill'), 'utf8'), '1');
});

test('v2: the memory controller is passed down to a launcher leaf, so that test processes can have memory cgroups of their own', () => {
  const root = fakeRoot();
  const chunk = path.join(root, 'chunk');
  mkdirSync(chunk);
  assert.equal(passMemoryDown(chunk), undefined, 'no memory controller on the chunk: nothing to pass down');
  assert.deepEqual(readdirSync(chunk), []);
  writeFileSync(path.join(chunk, 'memory.events'), 'oom_kill 0\n');
  writeFileSync(path.join(chunk, 'cgroup.subtree_control'), '');
  assert.equal(passMemoryDown(chunk), path.join(chunk, 'launcher'));
  assert.equal(readFileSync(path.join(chunk, 'cgroup.subtree_control'), 'utf8'), '+memory');
  // Where subtree_control cannot be written (processes already in the chunk: EBUSY), the leaf goes again.
  const busy = path.join(root, 'busy');
  mkdirSync(path.join(busy, 'cgroup.subtree_control'), { recursive: true });
  writeFileSync(path.join(busy, 'memory.events'), 'oom_kill 0\n');
  assert.equal(passMemoryDown(busy), undefined);
  assert.ok(!existsSync(path.join(busy, 'launcher')));
});

test('no writable place: openChunkCgroup says why, for every candidate', () => {
  const root = fakeRoot();
  const sources = { procSelfCgroup: '0::/missing/scope\n', mountinfo: `30 23 0:26 / ${path.join(root, 'unified')} rw - cgroup2 cgroup2 rw\n` };
  const opened = openChunkCgroup('c', sources);
  assert.equal(opened.cgroup, undefined);
  assert.match(opened.cgroup === undefined ? opened.reason : '', /cannot create a cgroup under .+\/unified\/missing\/scope \(v2\): ENOENT/);
  assert.equal(openChunkCgroup('c', null).cgroup, undefined);
});

test('remove() takes the chunk cgroup and the cgroups the chunk made under it, never our own', async () => {
  const root = fakeRoot();
  const own = path.join(root, 'unified', 'ours');
  mkdirSync(own, { recursive: true });
  const cgroup = ChunkCgroup.create({ version: 2, dir: own }, 'run-chunks-rm');
  mkdirSync(path.join(cgroup.dir, 'a', 'b'), { recursive: true });
  assert.equal(await cgroup.remove(), true);
  assert.equal(existsSync(cgroup.dir), false);
  assert.equal(existsSync(own), true);
});
