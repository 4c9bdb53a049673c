import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLAME_MIN_GROWTH_BYTES, ChunkTestState, countRecords } from '../../../src/results/chunk-test-state.js';
import type { TestEvent } from '../../../src/results/test-events.js';

const MIB = 1024 * 1024;
const base = { t: 1_800_000_000 };

function start(nodeid: string, pid: number, worker: string | null, rss: number): TestEvent {
  return { event: 'test-start', nodeid, pid, worker, rss, gpu: null, ...base };
}

function stateWith(events: TestEvent[]): ChunkTestState {
  const state = new ChunkTestState(1);
  for (const event of events) state.apply(event);
  return state;
}

test('at a kill for memory, only the test whose process grew past the threshold is blamed; its neighbour is stopped with the chunk', () => {
  const state = stateWith([start('t::hog', 11, 'gw0', 100 * MIB), start('t::sleeper', 12, 'gw1', 100 * MIB)]);
  const rssByPid = new Map([[11, 420 * MIB], [12, 100 * MIB - 200 * 1024]]);
  const { records, blamed, diedUnder } = state.finish({ reason: 'memory-limit', chunkRssBytes: 600 * MIB, rssByPid }, 'crashed');
  assert.deepEqual(blamed.map((test) => [test.nodeid, test.rssGrowthBytes]), [['t::hog', 320 * MIB]]);
  assert.match(blamed[0]!.evidence, /its process grew 320 MiB during it/);
  const sleeper = records.find((record) => record.nodeid === 't::sleeper');
  assert.equal(sleeper?.outcome, 'killed');
  assert.match(sleeper?.message ?? '', /^stopped with the chunk \(memory-limit\) while it ran on gw1; not blamed: its process grew -200 KiB$/);
  assert.deepEqual(diedUnder, [], 'a kill of the whole chunk is not a death under one test');
});

test('at a kill for memory, nobody under the threshold is blamed, unless it ran alone and was SIGKILLed or its growth is unknown', () => {
  const small = BLAME_MIN_GROWTH_BYTES - 1;
  const both = stateWith([start('t::a', 11, 'gw0', 0), start('t::b', 12, 'gw1', 0)]).finish({ reason: 'oom', chunkRssBytes: null, rssByPid: new Map([[11, small], [12, 0]]) }, 'crashed');
  assert.deepEqual(both.blamed, []);
  assert.deepEqual(both.records.map((record) => record.outcome), ['killed', 'killed']);
  const sigkilled = stateWith([start('t::a', 11, null, 0)]).finish({ reason: 'oom', chunkRssBytes: null, rssByPid: new Map([[11, 0]]) }, 'crashed');
  assert.deepEqual(sigkilled.blamed.map((test) => test.nodeid), ['t::a']);
  assert.match(sigkilled.blamed[0]!.evidence, /^the only test running when its process was SIGKILLed/);
  const unknown = stateWith([start('t::a', 11, null, 0)]).finish({ reason: 'memory-limit', chunkRssBytes: null, rssByPid: new Map() }, 'crashed');
  assert.match(unknown.blamed[0]?.evidence ?? '', /its process's growth is unknown/);
  // Alone at a memory-limit kill but barely grown: the memory was kept by a test that ended before it.
  const innocent = stateWith([start('t::a', 11, null, 300 * MIB)]).finish({ reason: 'memory-limit', chunkRssBytes: null, rssByPid: new Map([[11, 301 * MIB]]) }, 'crashed');
  assert.deepEqual(innocent.blamed, []);
  assert.match(innocent.records[0]?.message ?? '', /^stopped with the chunk \(memory-limit\) while it ran; not blamed: its process grew 1 MiB$/);
});

test('a worker killed by a signal or ending with an exit code blames its test with that evidence', () => {
  const crash = (nodeid: string, worker: string, exitCode: number | null, signal: string | null): TestEvent => ({
    event: 'worker-crashed', pid: 1, worker: null, crashedWorker: worker, nodeid, message: `worker '${worker}' crashed while running '${nodeid}'`, exitCode, signal, ...base,
  });
  const state = stateWith([start('t::killed', 11, 'gw0', 0), start('t::exits', 12, 'gw1', 0), crash('t::killed', 'gw0', null, 'SIGKILL'), crash('t::exits', 'gw1', 0, null)]);
  const { blamed, diedUnder, records } = state.finish(undefined, 'crashed', { exitCode: 1 });
  assert.deepEqual(blamed.map((test) => [test.nodeid, test.reason]), [['t::killed', 'crashed'], ['t::exits', 'exited']]);
  assert.match(blamed[0]!.evidence, /its xdist worker gw0 was killed by SIGKILL while this test ran/);
  assert.match(blamed[1]!.evidence, /the process exited with code 0 while this test ran: os\._exit or the like \(xdist worker gw1\)/);
  assert.deepEqual(diedUnder, ['t::killed', 't::exits']);
  assert.equal(countRecords(records).errors, 2);
});

test('a test still running when its pytest process exited on its own: exited (os._exit), or interrupted when the session ended', () => {
  const exited = stateWith([start('t::x', 11, null, 0)]).finish(undefined, 'crashed', { exitCode: 0 });
  assert.deepEqual(exited.blamed.map((test) => test.reason), ['exited']);
  assert.equal(exited.records[0]?.outcome, 'crashed');
  assert.equal(exited.records[0]?.message, 'the process exited with code 0 while this test ran: os._exit or the like');
  assert.deepEqual(exited.diedUnder, ['t::x']);
  const finish: TestEvent = { event: 'session-finish', pid: 11, worker: null, exitstatus: 2, peak: null, groupUnavailable: null, ...base };
  const interrupted = stateWith([start('t::x', 11, null, 0), finish]).finish(undefined, 'crashed', { exitCode: 2 });
  assert.deepEqual(interrupted.blamed.map((test) => test.reason), ['interrupted']);
  assert.match(interrupted.records[0]?.message ?? '', /session ended \(exit status 2\)/);
  assert.deepEqual(interrupted.diedUnder, []);
});

test('collection errors and module skips become one record each (every xdist worker reports them)', () => {
  const report = (worker: string | null, nodeid: string, outcome: 'failed' | 'skipped'): TestEvent => ({ event: 'collect-report', pid: 5, worker, nodeid, outcome, longrepr: `${nodeid}: why`, ...base });
  const state = stateWith([report('gw0', 'tests/test_broken.py', 'failed'), report('gw1', 'tests/test_broken.py', 'failed'), report(null, 'tests/test_broken.py', 'failed'), report('gw0', 'tests/test_gpu.py', 'skipped')]);
  assert.ok(state.hasEvents());
  const { records } = state.finish(undefined, 'crashed');
  assert.deepEqual(records.map((record) => [record.nodeid, record.outcome, record.message, record.longrepr]), [
    ['tests/test_broken.py', 'error', 'collection failure', 'tests/test_broken.py: why'],
    ['tests/test_gpu.py', 'skipped', 'collection skipped', 'tests/test_gpu.py: why'],
  ]);
  assert.deepEqual(countRecords(records), { total: 2, passed: 0, failed: 0, skipped: 1, errors: 1, xfailed: 0, xpassed: 0 });
});

test('the pytest processes\' peak sum is known only when every process that started a session reported its peak', () => {
  const session = (event: 'session-start' | 'session-finish', pid: number, peak: number | null = null): TestEvent =>
    event === 'session-start' ? { event, pid, worker: null, rss: 10, ...base } : { event, pid, worker: null, exitstatus: 0, peak, groupUnavailable: null, ...base };
  assert.equal(stateWith([]).pytestPeakSum(), null);
  assert.equal(stateWith([session('session-start', 1), session('session-start', 2), session('session-finish', 1, 100 * MIB)]).pytestPeakSum(), null, 'pid 2 never finished: killed');
  assert.equal(stateWith([session('session-start', 1), session('session-finish', 1, null)]).pytestPeakSum(), null, 'no VmHWM there');
  assert.deepEqual(stateWith([session('session-start', 1), session('session-start', 2), session('session-finish', 2, 30 * MIB), session('session-finish', 1, 100 * MIB)]).pytestPeakSum(), { bytes: 130 * MIB, processes: 2 });
});

test('the kernel OOM-killed the only test running at the chunk\'s cgroup limit before any sample saw it grow: it is blamed, with that evidence', () => {
  const kill = { reason: 'memory-limit' as const, chunkRssBytes: 34 * MIB, rssByPid: new Map([[11, 34 * MIB]]) };
  const sampled = stateWith([start('t::hog', 11, null, 33 * MIB)]).finish(kill, 'crashed');
  assert.deepEqual(sampled.blamed, [], 'a watchdog stop with no growth seen clears it');
  const kernel = stateWith([start('t::hog', 11, null, 33 * MIB)]).finish({ ...kill, kernelKill: true }, 'crashed');
  assert.deepEqual(kernel.blamed.map((test) => [test.nodeid, test.reason]), [['t::hog', 'memory-limit']]);
  assert.match(kernel.blamed[0]!.evidence, /^the only test running when the kernel OOM-killed its process at the chunk's cgroup limit; its process grew 1 MiB by the last sample$/);
});
