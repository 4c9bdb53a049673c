import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkStats } from '../../../src/history/history-stats.js';
import { FORECAST_SAFETY_FACTOR, forecastChunk, historyPeakFor } from '../../../src/plan/forecast.js';
import type { ChunkPlan } from '../../../src/plan/types.js';
import { historyOf, MiB, recordedChunk } from '../history/history-fixtures.js';

const plan = (workers: number): ChunkPlan => ({ name: 'unit', workers }) as ChunkPlan;

/** The forecast inputs main.ts hands to buildSchedule, from a history of the given runs. */
function forecastHistory(runs: { workers: number; peakMiB: number }[]) {
  const stats = chunkStats(historyOf(runs.map(({ workers, peakMiB }) => [recordedChunk('unit', { workers, peakRssBytes: peakMiB * MiB })])), 'unit')!;
  return { p95PeakBytes: stats.p95PeakBytes, p95DurationMs: stats.p95DurationMs, peakPerWorkerBytes: stats.peakPerWorkerBytes, peakWorkerCounts: stats.peakWorkerCounts };
}

test('a forecast for the workers history ran with is the p95 peak × the safety factor', () => {
  const history = forecastHistory([{ workers: 2, peakMiB: 800 }, { workers: 2, peakMiB: 1000 }]);
  const forecast = forecastChunk(plan(2), history, 64 * 1024 * MiB);
  assert.equal(forecast.forecastPeakBytes, Math.round(1000 * MiB * FORECAST_SAFETY_FACTOR));
  assert.equal(forecast.source, 'history');
  assert.equal(forecast.scaledFrom, undefined);
});

test('a forecast for another worker count scales the p95 peak per worker, as workers: "auto" counts it', () => {
  const history = forecastHistory([{ workers: 2, peakMiB: 800 }, { workers: 2, peakMiB: 1000 }]);
  // 1000 MiB over 2 workers is 500 MiB a worker: 8 workers forecast 4000 MiB, 1 worker 500 MiB.
  assert.deepEqual(historyPeakFor(history, 8), { bytes: 4000 * MiB, scaledFrom: [2] });
  assert.deepEqual(historyPeakFor(history, 1), { bytes: 500 * MiB, scaledFrom: [2] });
  const forecast = forecastChunk(plan(8), history, 64 * 1024 * MiB);
  assert.equal(forecast.forecastPeakBytes, Math.round(4000 * MiB * FORECAST_SAFETY_FACTOR));
  assert.deepEqual(forecast.scaledFrom, [2]);
  // Runs with 2 and with 4 workers: the larger per-worker figure (1200 / 4 = 300 < 500) decides, even for 4.
  const mixed = forecastHistory([{ workers: 2, peakMiB: 1000 }, { workers: 4, peakMiB: 1200 }]);
  assert.deepEqual(historyPeakFor(mixed, 4), { bytes: 2000 * MiB, scaledFrom: [2, 4] });
});

test('without a measured peak, the forecast falls back to memoryEstimate, then memoryLimit, then none', () => {
  const none = { p95PeakBytes: null, p95DurationMs: 5_000, peakPerWorkerBytes: null, peakWorkerCounts: [] };
  assert.equal(historyPeakFor(none, 2), null);
  assert.equal(forecastChunk({ ...plan(2), memoryEstimate: { kind: 'bytes', bytes: 1e9 } } as ChunkPlan, none, 64e9).source, 'memoryEstimate');
  assert.equal(forecastChunk(plan(2), none, 64e9).source, 'none');
  assert.equal(forecastChunk(plan(2), none, 64e9).forecastDurationMs, 5_000);
});
