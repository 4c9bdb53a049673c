import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestSample } from '../../../src/history/history-types.js';
import { highestTestPeaks, testPeakForecast, testPeakForecasts } from '../../../src/history/test-peak-stats.js';
import { historyOf, MiB, recordedChunk } from './history-fixtures.js';

function sample(peakMiB: number | null, source: 'hwm' | 'start-end' = 'hwm'): TestSample {
  return { durationMs: 10, outcome: 'passed', rssDeltaBytes: null, peak: peakMiB === null ? null : { bytes: peakMiB * MiB, source } };
}

test('a test\'s forecast: the nearest-rank p95 of its peaks over the runs that measured one, how many, and whether all were exact', () => {
  const peaks = [300, 310, null, 290, 900, 305];
  const history = historyOf(peaks.map((peak, n) => [recordedChunk('unit', { tests: new Map([['t::big', sample(peak)], ['t::bound', sample(50 + n, n === 2 ? 'start-end' : 'hwm')]]) })]));
  // Five runs measured it: with fewer than 20, the nearest-rank p95 is the largest.
  assert.deepEqual(testPeakForecast(history, 't::big'), { nodeid: 't::big', p95PeakRssBytes: 900 * MiB, runs: 5, allExact: true });
  assert.deepEqual(testPeakForecast(history, 't::bound'), { nodeid: 't::bound', p95PeakRssBytes: 55 * MiB, runs: 6, allExact: false });
  assert.equal(testPeakForecast(history, 't::unknown'), null);
});

test('with 20 runs the nearest-rank p95 is the 19th of 20: one outlier run does not set the forecast', () => {
  const history = historyOf(Array.from({ length: 20 }, (_, n) => [recordedChunk('unit', { tests: new Map([['t', sample(n === 7 ? 5000 : 100 + n)]]) })]), 20);
  assert.deepEqual(testPeakForecast(history, 't'), { nodeid: 't', p95PeakRssBytes: 119 * MiB, runs: 20, allExact: true });
});

test('a test recorded in two chunks of one run counts once, at its higher peak; runs without peaks count for nothing', () => {
  const history = historyOf([
    [recordedChunk('a', { tests: new Map([['t', sample(100)]]) }), recordedChunk('b', { tests: new Map([['t', sample(400, 'start-end')]]) })],
    [recordedChunk('a', { tests: new Map([['t', sample(null)]]) })],
    [recordedChunk('a')],
  ]);
  assert.deepEqual(testPeakForecasts(history), new Map([['t', { nodeid: 't', p95PeakRssBytes: 400 * MiB, runs: 1, allExact: false }]]));
});

test('highestTestPeaks: highest p95 first, ties by node id, cut to the limit', () => {
  const tests = new Map([['c', sample(10)], ['a', sample(500)], ['b', sample(500)], ['d', sample(1)]]);
  const history = historyOf([[recordedChunk('unit', { tests })]]);
  assert.deepEqual(highestTestPeaks(history, 3).map((forecast) => forecast.nodeid), ['a', 'b', 'c']);
  assert.deepEqual(highestTestPeaks(historyOf([[recordedChunk('unit')]]), 3), []);
});
