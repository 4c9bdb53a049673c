import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countMaxConcurrentChunks, describeSchedule } from '../../../src/results/run-schedule.js';
import { chunkReport } from '../merge/report-fixtures.js';
import { explainOneAfterAnother } from '../../../src/plan/explain-schedule.js';

const at = (seconds: number): string => new Date(Date.UTC(2026, 4, 1, 10, 0, seconds)).toISOString();

test('countMaxConcurrentChunks counts the chunks whose runs overlapped, not those that followed one another', () => {
  const a = chunkReport('a', { startedAt: at(0), durationMs: 10_000 });
  const b = chunkReport('b', { startedAt: at(5), durationMs: 10_000 });
  const c = chunkReport('c', { startedAt: at(15), durationMs: 1_000 });
  const never = chunkReport('never', { startedAt: null, durationMs: 0 });
  assert.equal(countMaxConcurrentChunks([a, b, c, never]), 2);
  assert.equal(countMaxConcurrentChunks([a, c]), 1);
  // b ends at 15 s exactly when c starts: one after the other.
  assert.equal(countMaxConcurrentChunks([b, c]), 1);
  assert.equal(countMaxConcurrentChunks([never]), 0);
});

test('describeSchedule keeps the budget, each forecast and its source, and whom each chunk really ran alongside', () => {
  const a = chunkReport('a', { startedAt: at(0), durationMs: 10_000 });
  const b = chunkReport('b', { startedAt: at(5), durationMs: 10_000 });
  const big = chunkReport('big', { startedAt: at(20), durationMs: 1_000 });
  const items = new Map([
    ['a', { name: 'a', forecastPeakBytes: 1e9, forecastDurationMs: 9_000, workers: 1 }],
    ['b', { name: 'b', forecastPeakBytes: 2e9, forecastDurationMs: undefined, workers: 1 }],
    ['big', { name: 'big', forecastPeakBytes: 9e9, forecastDurationMs: undefined, workers: 1 }],
  ]);
  const sources = new Map([['a', 'history'], ['b', 'memoryEstimate'], ['big', 'memoryLimit']] as const);
  const schedule = describeSchedule({ budgetBytes: 4e9, cores: 2 }, items, sources, [a, b, big]);
  assert.deepEqual(schedule, {
    budgetBytes: 4e9,
    cores: 2,
    oneAfterAnother: null,
    chunks: [
      { name: 'a', forecastPeakBytes: 1e9, forecastDurationMs: 9_000, forecastSource: 'history', runsAloneBecause: null, ranAlongside: ['b'] },
      { name: 'b', forecastPeakBytes: 2e9, forecastDurationMs: null, forecastSource: 'memoryEstimate', runsAloneBecause: null, ranAlongside: ['a'] },
      { name: 'big', forecastPeakBytes: 9e9, forecastDurationMs: null, forecastSource: 'memoryLimit', runsAloneBecause: 'its forecast peak alone exceeds the memory budget', ranAlongside: [] },
    ],
  });
});

test('describeSchedule says when chunks ran one after another because each filled the cores', () => {
  const items = new Map(['unit', 'integration'].map((name) => [name, { name, forecastPeakBytes: 1e9, forecastDurationMs: 5_000, workers: 2 }]));
  const chunks = [chunkReport('unit', { startedAt: at(0), durationMs: 5_000 }), chunkReport('integration', { startedAt: at(5), durationMs: 5_000 })];
  const schedule = describeSchedule({ budgetBytes: 8e9, cores: 2 }, items, new Map(), chunks);
  assert.equal(schedule.oneAfterAnother, 'unit and integration run one after another: each uses both cores (its xdist workers).');
  assert.equal(schedule.oneAfterAnother, explainOneAfterAnother([...items.values()], { budgetBytes: 8e9, cores: 2 }));
});
