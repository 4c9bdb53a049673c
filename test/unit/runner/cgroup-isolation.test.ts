import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { probeContainment, resolveIsolation } from '../../../src/runner/cgroup-isolation.js';

function fakeV2(): { own: string; sources: { procSelfCgroup: string; mountinfo: string } } {
  const mount = path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-fake-v2-')), 'cgroup');
  const own = path.join(mount, 'ci.scope');
  mkdirSync(own, { recursive: true });
  return { own, sources: { procSelfCgroup: '0::/ci.scope\n', mountinfo: `30 23 0:26 / ${mount} rw - cgroup2 cgroup2 rw\n` } };
}

test('a writable v2 cgroup without the memory controller for our children: contained, but --isolation cgroup falls back, saying why', async () => {
  const { own, sources } = fakeV2();
  const support = await probeContainment('run-1', sources);
  assert.equal(support.cgroupReason, null);
  assert.equal(support.memoryReason, `the memory controller is not enabled for cgroups under ${own}`);
  assert.deepEqual(readdirSync(own), [], 'the probe cgroup is removed');
  assert.deepEqual(resolveIsolation('cgroup', support), {
    used: 'watchdog',
    reason: `no kernel memory limit is possible here (the memory controller is not enabled for cgroups under ${own}), so run-chunks' sampling watchdog enforces memoryLimit`,
  });
  assert.deepEqual(resolveIsolation('watchdog', support), { used: 'watchdog', reason: null });
});

test('no cgroup at all: the reason is kept for every chunk; with one that has memory, --isolation cgroup is used', async () => {
  const none = await probeContainment('run-2', { procSelfCgroup: '0::/x\n', mountinfo: '' });
  assert.equal(none.cgroupReason, 'no cgroup hierarchy holding run-chunks is mounted');
  assert.deepEqual(resolveIsolation('cgroup', { cgroupReason: null, memoryReason: null, python3: undefined }), { used: 'cgroup', reason: null });
});
