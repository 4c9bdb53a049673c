import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkTestState } from '../../../src/results/chunk-test-state.js';
import type { TestEvent } from '../../../src/results/test-events.js';
import { settleOutcome } from '../../../src/runner/recovery-verdict.js';
import { WORKER_STOP_WAIT_MS, WorkerStops } from '../../../src/runner/worker-stops.js';
import { bareRecord } from '../../../src/results/test-records.js';

const MIB = 1024 * 1024;
const base = { t: 1_800_000_000 };

function start(nodeid: string, pid: number, worker: string | null, rss: number): TestEvent {
  return { event: 'test-start', nodeid, pid, worker, rss, gpu: null, ...base };
}

function crash(nodeid: string, worker: string): TestEvent {
  return { event: 'worker-crashed', pid: 1, worker: null, crashedWorker: worker, nodeid, message: `worker '${worker}' crashed while running '${nodeid}'`, exitCode: null, signal: 'SIGKILL', ...base };
}

function stateWith(events: TestEvent[]): ChunkTestState {
  const state = new ChunkTestState(1);
  for (const event of events) state.apply(event);
  return state;
}

test("the worker to stop: the xdist worker whose running test's process grew the most, by at least the blame threshold", () => {
  const state = stateWith([start('t::a', 11, 'gw0', 100 * MIB), start('t::b', 12, 'gw1', 100 * MIB), start('t::c', 13, 'gw2', 100 * MIB)]);
  assert.deepEqual(state.workerToStop(new Map([[11, 300 * MIB], [12, 500 * MIB], [13, 110 * MIB]])), { pid: 12, worker: 'gw1', nodeid: 't::b', growthBytes: 400 * MIB });
  // Under 32 MiB of growth is no evidence; pytest itself (no worker) is never singled out.
  assert.equal(state.workerToStop(new Map([[11, 120 * MIB], [12, 110 * MIB]])), undefined);
  assert.equal(stateWith([start('t::solo', 11, null, 0)]).workerToStop(new Map([[11, 900 * MIB]])), undefined);
});

test('a stopped worker: one at a time, waited for while it goes, and its crash blamed as a memory-limit stop with the evidence', () => {
  let now = 0;
  const killed: number[] = [];
  const stops = new WorkerStops(() => now, (pid) => killed.push(pid));
  const state = stateWith([start('t::hog', 11, 'gw0', 100 * MIB), start('t::quiet', 12, 'gw1', 100 * MIB)]);
  const over = new Map([[11, 700 * MIB], [12, 101 * MIB]]);
  const first = stops.decide(820 * MIB, over, state);
  assert.equal(first.kind, 'stopped');
  assert.match(first.kind === 'stopped' ? first.text : '', /^stopped xdist worker gw0 \(pid 11\), running t::hog \(its process grew 600 MiB\); the chunk goes on/);
  assert.deepEqual(killed, [11]);
  assert.deepEqual(stops.stoppedTests, ['t::hog']);
  // Still in the samples: wait, up to WORKER_STOP_WAIT_MS.
  now = 500;
  assert.deepEqual(stops.decide(820 * MIB, over, state), { kind: 'wait' });
  now = WORKER_STOP_WAIT_MS;
  const gaveUp = stops.decide(810 * MIB, new Map([[12, 700 * MIB]]), state);
  assert.equal(gaveUp.kind, 'not-enough');
  // Back under the limit at a sample: a later crossing may stop another worker.
  stops.sampled(300 * MIB, 800 * MIB);
  state.apply(crash('t::hog', 'gw0'));
  const { blamed, records, diedUnder } = state.finish(undefined, 'crashed', { exitCode: 1 });
  assert.equal(blamed[0]!.reason, 'memory-limit');
  assert.equal(blamed[0]!.rssGrowthBytes, 600 * MIB);
  assert.match(blamed[0]!.evidence, /^run-chunks stopped its xdist worker gw0 \(pid 11\) when the chunk's memory reached 820 MiB, over its memoryLimit: this test's process had grown 600 MiB/);
  assert.match(records.find((record) => record.nodeid === 't::hog')!.message ?? '', /^stopped by run-chunks: /);
  assert.ok(diedUnder.includes('t::hog'), 'so recovery runs it alone');
  assert.equal(stops.decide(900 * MIB, new Map([[12, 700 * MIB]]), state).kind, 'stopped');
});

test('a test whose worker was stopped and that never ran again leaves the chunk memory-limit, not crashed', () => {
  const record = { ...bareRecord('t::hog', 'crashed', 'stopped by run-chunks: …', 1), worker: 'gw0' };
  const input = { attemptOutcomes: new Map([[1, { status: 'failed' as const, message: 'some tests failed' }]]), recovered: false, verdictOutcomes: [], lastRun: { status: 'failed' as const, message: 'some tests failed' }, records: [record], judged: new Set<string>(), notRun: 0, cutShort: false };
  assert.equal(settleOutcome(input)?.status, 'crashed');
  assert.equal(settleOutcome({ ...input, stoppedForMemory: new Set(['t::hog']) })?.status, 'memory-limit');
});
