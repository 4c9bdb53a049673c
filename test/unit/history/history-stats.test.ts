import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkNames, chunkStats, median, percentile, testDurations, weightOf } from '../../../src/history/history-stats.js';
import { emptyHistory, type RecordedChunk } from '../../../src/history/history-types.js';
import { CHUNK_STATUSES } from '../../../src/results/outcome.js';
import { historyOf, MiB, peakHistory, recordedChunk, timedTests } from './history-fixtures.js';

test('median: the middle value, or the mean of the two middle ones; null for none', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.equal(median([]), null);
});

test('percentile: nearest rank, always one of the values', () => {
  const values = Array.from({ length: 20 }, (_, i) => 20 - i); // 20 … 1, unsorted on purpose
  assert.equal(percentile(values, 95), 19);
  assert.equal(percentile(values, 50), 10);
  assert.equal(percentile(values, 100), 20);
  assert.equal(percentile(values, 0), 1);
  assert.equal(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 95), 100, 'with 10 runs p95 is the largest');
  assert.equal(percentile([5], 95), 5);
  assert.equal(percentile([], 95), null);
  assert.throws(() => percentile([1], 101), RangeError);
});

test('chunkStats: medians and p95 of durations and peaks, and the p95 peak per worker', () => {
  const history = historyOf(
    [10, 20, 30, 40, 50].map((seconds, i) => [
      recordedChunk('unit', { durationMs: seconds * 1000, workers: i === 4 ? 4 : 2, peakRssBytes: 1000 * MiB, peakPssBytes: (600 + i * 100) * MiB, peakGpuBytes: i * MiB }),
    ]),
  );
  const stats = chunkStats(history, 'unit');
  assert.deepEqual(stats, {
    name: 'unit',
    runs: 5,
    lastStatus: 'passed',
    workers: 4,
    medianDurationMs: 30_000,
    p95DurationMs: 50_000,
    // PSS counts where it was read: 600, 700, 800, 900, 1000 MiB.
    medianPeakBytes: 800 * MiB,
    p95PeakBytes: 1000 * MiB,
    // Per worker: 300, 350, 400, 450, and 1000/4 = 250 MiB.
    peakPerWorkerBytes: 450 * MiB,
    peakWorkerCounts: [2, 4],
    p95PeakGpuBytes: 4 * MiB,
    trend: { firstPeakBytes: 650 * MiB, lastPeakBytes: 950 * MiB, growthPercent: (300 / 650) * 100, regression: true, windowRuns: 2 },
    stoppedRuns: 0,
    uncountedRuns: 0,
    p95PeakIsLowerBound: false,
  });
  assert.equal(chunkStats(history, 'absent'), null);
});

test('chunkStats: a stopped run is a lower bound: it raises the p95 figures, never lowers them, and stays out of the medians and trend', () => {
  // Two complete runs at 500 and 600 MiB; one killed at 900 MiB after 5 s (it would have needed more).
  const killed = recordedChunk('unit', { status: 'memory-limit', stopped: true, durationMs: 5_000, peakRssBytes: 900 * MiB });
  const history = historyOf([
    [recordedChunk('unit', { durationMs: 60_000, peakRssBytes: 500 * MiB })],
    [killed],
    [recordedChunk('unit', { durationMs: 70_000, peakRssBytes: 600 * MiB })],
  ]);
  const stats = chunkStats(history, 'unit')!;
  assert.equal(stats.runs, 3);
  assert.equal(stats.stoppedRuns, 1);
  assert.equal(stats.p95PeakBytes, 900 * MiB, 'the killed run reached 900 MiB, so the chunk needs at least that');
  assert.equal(stats.p95PeakIsLowerBound, true);
  assert.equal(stats.medianPeakBytes, 550 * MiB, 'the median of the complete runs only');
  assert.equal(stats.p95DurationMs, 70_000, 'a killed run\'s 5 s is a lower bound below the complete runs: it does not pull the forecast down');
  assert.equal(stats.medianDurationMs, 65_000);
  assert.equal(stats.trend?.firstPeakBytes, 500 * MiB);
  assert.equal(stats.trend?.lastPeakBytes, 600 * MiB);

  // A killed run below the complete ones changes nothing.
  const low = chunkStats(historyOf([[recordedChunk('unit', { peakRssBytes: 500 * MiB })], [{ ...killed, peakRssBytes: 100 * MiB }]]), 'unit')!;
  assert.deepEqual([low.p95PeakBytes, low.p95PeakIsLowerBound], [500 * MiB, false]);
});

test('regression: flagged when the last 3 runs\' median peak is 25% above the first 3\'s, not at 10%', () => {
  const grown = chunkStats(peakHistory('unit', [1000, 1010, 990, 1000, 1100, 1250, 1240, 1260]), 'unit')!;
  assert.equal(grown.trend?.windowRuns, 3);
  assert.equal(grown.trend?.firstPeakBytes, 1000 * MiB);
  assert.equal(grown.trend?.lastPeakBytes, 1250 * MiB);
  assert.equal(grown.trend?.growthPercent, 25);
  assert.equal(grown.trend?.regression, true);

  const steady = chunkStats(peakHistory('unit', [1000, 1010, 990, 1050, 1100, 1110, 1090, 1100]), 'unit')!;
  assert.equal(steady.trend?.growthPercent, 10);
  assert.equal(steady.trend?.regression, false);

  // Exactly +20% is not "more than 20%"; a shrinking peak is never a regression.
  assert.equal(chunkStats(peakHistory('unit', [1000, 1000, 1000, 1200, 1200, 1200]), 'unit')!.trend?.regression, false);
  assert.equal(chunkStats(peakHistory('unit', [2000, 2000, 1000, 1000]), 'unit')!.trend?.growthPercent, -50);
});

test('trend windows shrink with a short history; one run has no trend; one spike among the last runs is not a regression', () => {
  assert.equal(chunkStats(peakHistory('unit', [1000]), 'unit')!.trend, null);
  const two = chunkStats(peakHistory('unit', [1000, 1300]), 'unit')!.trend!;
  assert.deepEqual([two.windowRuns, two.growthPercent, two.regression], [1, 30, true]);
  assert.equal(chunkStats(peakHistory('unit', [1000, 1000, 1000, 1000, 1000, 3000, 1000]), 'unit')!.trend?.regression, false);
  const noPeaks = historyOf([[recordedChunk('cmd', { peakRssBytes: null })], [recordedChunk('cmd', { peakRssBytes: null })]]);
  assert.deepEqual([chunkStats(noPeaks, 'cmd')!.medianPeakBytes, chunkStats(noPeaks, 'cmd')!.trend], [null, null]);
});

test('interrupted runs and single shards are left out of the chunk figures, and counted in lastStatus', () => {
  const history = historyOf([
    [recordedChunk('unit', { durationMs: 10_000 })],
    [recordedChunk('unit', { durationMs: 20_000 })],
    [recordedChunk('unit', { durationMs: 1_000, shard: { index: 1, count: 4 }, peakRssBytes: 10 * MiB })],
    [recordedChunk('unit', { durationMs: 500, status: 'interrupted', peakRssBytes: 5 * MiB })],
  ]);
  const stats = chunkStats(history, 'unit')!;
  assert.equal(stats.runs, 2);
  assert.equal(stats.lastStatus, 'interrupted');
  assert.equal(stats.medianDurationMs, 15_000);
  assert.equal(stats.p95PeakBytes, 1000 * MiB);
});

test('testDurations: each test\'s median over the runs that timed it (shards included)', () => {
  const history = historyOf([
    [recordedChunk('unit', { tests: timedTests([['a', 10], ['b', 100], ['killed', null]]) }), recordedChunk('other', { tests: timedTests([['a', 9999]]) })],
    [recordedChunk('unit', { tests: timedTests([['a', 30], ['b', 300]]), shard: { index: 1, count: 2 } })],
    [recordedChunk('unit', { tests: timedTests([['a', 20], ['c', 5], ['killed', null]]) })],
  ]);
  assert.deepEqual(
    testDurations(history, 'unit'),
    new Map([
      ['a', 20],
      ['b', 200],
      ['c', 5],
    ]),
  );
  assert.deepEqual(testDurations(history, 'absent'), new Map());
});

test('chunkNames: the latest run\'s chunks first, then chunks only older runs had', () => {
  const history = historyOf([[recordedChunk('gone'), recordedChunk('b')], [recordedChunk('a'), recordedChunk('b')]]);
  assert.deepEqual(chunkNames(history), ['a', 'b', 'gone']);
  assert.deepEqual(chunkNames(emptyHistory()), []);
});

test('a regression is never computed against a run that failed to start, was interrupted, or ran no tests', () => {
  // The first runs measured almost nothing: pytest could not start (error), Ctrl-C (interrupted),
  // nothing selected (no-tests). Against them, 1000 MiB would be a "+3000%" regression.
  const history = historyOf([
    [recordedChunk('unit', { status: 'error', durationMs: 300, peakRssBytes: 30 * MiB })],
    [recordedChunk('unit', { status: 'interrupted', durationMs: 900, peakRssBytes: 31 * MiB })],
    [recordedChunk('unit', { status: 'no-tests', durationMs: 400, peakRssBytes: 32 * MiB })],
    ...[1000, 1010, 990, 1000].map((peak) => [recordedChunk('unit', { peakRssBytes: peak * MiB })]),
  ]);
  const stats = chunkStats(history, 'unit')!;
  assert.equal(stats.runs, 4, 'only the four that ran to their end count');
  assert.equal(stats.uncountedRuns, 3);
  assert.equal(stats.trend?.firstPeakBytes, 1005 * MiB);
  assert.equal(stats.trend?.regression, false);
  assert.equal(stats.medianDurationMs, 60_000);
  assert.equal(stats.lastStatus, 'passed');
});

test('weightOf: passed and failed are samples; limits, kills, timeouts and crashes lower bounds; the rest nothing', () => {
  const weights = Object.fromEntries(CHUNK_STATUSES.map((status) => [status, weightOf(historyOf([[recordedChunk('c', { status })]]).runs[0]!.chunks[0]!)]));
  assert.deepEqual(weights, {
    passed: 'sample',
    failed: 'sample',
    skipped: 'none',
    'no-tests': 'none',
    error: 'none',
    crashed: 'lower-bound',
    timeout: 'lower-bound',
    'memory-limit': 'lower-bound',
    'gpu-memory-limit': 'lower-bound',
    killed: 'lower-bound',
    oom: 'lower-bound',
    interrupted: 'none',
  });
  const entry = (overrides: Partial<RecordedChunk>) => historyOf([[recordedChunk('c', overrides)]]).runs[0]!.chunks[0]!;
  assert.equal(weightOf(entry({ status: 'passed', stopped: true })), 'lower-bound', 'passed after a killed attempt');
  assert.equal(weightOf(entry({ status: 'passed', shard: { index: 1, count: 2 } })), 'none');
});

test('a history written before `stopped` existed: a timeout there is a lower bound by its status, not a sample', () => {
  const history = historyOf([...[1000, 1000].map((peak) => [recordedChunk('unit', { peakRssBytes: peak * MiB })]), [recordedChunk('unit', { status: 'timeout', durationMs: 900_000, peakRssBytes: 20 * MiB })]]);
  delete history.runs[2]!.chunks[0]!.stopped;
  const stats = chunkStats(history, 'unit')!;
  assert.equal(stats.medianDurationMs, 60_000);
  assert.equal(stats.p95DurationMs, 900_000, 'it ran at least 15 min: a lower bound raises the p95');
  assert.equal(stats.trend?.lastPeakBytes, 1000 * MiB);
  assert.equal(stats.stoppedRuns, 1);
});
