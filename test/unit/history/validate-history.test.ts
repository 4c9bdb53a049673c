import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findHistoryProblem } from '../../../src/history/validate-history.js';
import type { HistoryTestPeak } from '../../../src/history/history-types.js';

test('a foreign schemaVersion is quoted, cut short: the problem stays one readable sentence', () => {
  // Found by the parser properties (test/faults): the whole value went into the warning, however big.
  const problem = findHistoryProblem({ schemaVersion: { notes: 'x'.repeat(10_000) }, testIds: [], runs: [] });
  assert.equal(problem, `has schemaVersion {"notes":"${'x'.repeat(30)}…, and this run-chunks reads only version 1`);
  assert.equal(findHistoryProblem({ testIds: [], runs: [] }), 'has schemaVersion missing, and this run-chunks reads only version 1');
  assert.equal(findHistoryProblem({ schemaVersion: 2, testIds: [], runs: [] }), 'has schemaVersion 2, and this run-chunks reads only version 1');
});

test('testPeaks may be absent; when there it has one entry per test, each null or [bytes, "hwm" | "start-end"]', () => {
  const history = (testPeaks: unknown) => ({
    schemaVersion: 1,
    testIds: ['a', 'b'],
    runs: [{ runId: 'r', startedAt: 'x', finishedAt: null, chunks: [{ name: 'c', status: 'passed', durationMs: 1, workers: 1, peakRssBytes: null, peakPssBytes: null, peakGpuBytes: null, shard: null, tests: [[0, 1, 'passed', null], [1, 1, 'passed', null]], testPeaks }] }],
  });
  const good: (HistoryTestPeak | null)[] = [[1000, 'hwm'], null];
  assert.equal(findHistoryProblem(history(undefined)), undefined);
  assert.equal(findHistoryProblem(history(good)), undefined);
  assert.equal(findHistoryProblem(history([[1000, 'start-end'], [5, 'hwm']])), undefined);
  assert.equal(findHistoryProblem(history([[1000, 'hwm']])), 'is not a run-chunks history: runs[0].chunks[0].testPeaks must be absent or a list with one entry per test');
  assert.equal(findHistoryProblem(history({})), 'is not a run-chunks history: runs[0].chunks[0].testPeaks must be absent or a list with one entry per test');
  for (const bad of [[1000, 'guess'], [-1, 'hwm'], [1000], '1000'])
    assert.equal(findHistoryProblem(history([null, bad])), 'is not a run-chunks history: runs[0].chunks[0].testPeaks[1] must be null or [peakRssBytes, "hwm" | "start-end"]', JSON.stringify(bad));
});
