import { resolveSizeBytes } from '../config/parse-size.js';
import type { ScheduleItem } from './schedule.js';
import type { ChunkPlan } from './types.js';

/** What history says of a chunk, for forecasting (see chunkStats). */
export interface ChunkForecastHistory {
  p95PeakBytes: number | null;
  p95DurationMs: number | null;
  /** p95 over runs of (peak ÷ that run's workers), as workers: "auto" sizes a chunk by it. */
  peakPerWorkerBytes: number | null;
  /** The worker counts the peaks were measured with. */
  peakWorkerCounts: readonly number[];
}

/**
 * Head-room over the p95 peak of past runs: suites grow, and a forecast a little high costs some
 * parallelism, while one too low costs an OOM kill.
 */
export const FORECAST_SAFETY_FACTOR = 1.25;

/** Where a forecast came from, for --dry-run and the notices. */
export type ForecastSource = 'history' | 'memoryEstimate' | 'memoryLimit' | 'none';

/**
 * The peak history forecasts for `workers` workers. When every measured run had that many, their
 * p95 peak. Otherwise the model workers: "auto" uses (choose-workers.ts): the chunk's peak is
 * its workers × the p95 peak per worker, so the forecast is that per-worker figure × `workers`.
 * Its limit: the part that does not grow with workers (the xdist controller, what every process
 * imports) is counted once per worker, so scaling up overstates a little, and scaling down from
 * many workers to few can understate it by up to that fixed part; the safety factor covers some.
 * Null when history measured no peak.
 */
export function historyPeakFor(history: ChunkForecastHistory, workers: number): { bytes: number; scaledFrom: readonly number[] | null } | null {
  const sameWorkers = history.peakWorkerCounts.length === 1 && history.peakWorkerCounts[0] === workers;
  if (history.p95PeakBytes && (sameWorkers || !history.peakPerWorkerBytes)) return { bytes: history.p95PeakBytes, scaledFrom: null };
  if (history.peakPerWorkerBytes) return { bytes: history.peakPerWorkerBytes * workers, scaledFrom: history.peakWorkerCounts };
  return null;
}

/**
 * A chunk's forecast for the scheduler: its history's peak for the plan's workers (see
 * historyPeakFor) × the safety factor, else its memoryEstimate, else its memoryLimit (it cannot
 * use more); its p95 duration from history. `scaledFrom` names the worker counts a history peak
 * was scaled from, when the plan runs another number.
 */
export function forecastChunk(
  plan: ChunkPlan,
  history: ChunkForecastHistory | undefined,
  machineTotalBytes: number,
): ScheduleItem & { source: ForecastSource; scaledFrom?: readonly number[] } {
  const base = { name: plan.name, workers: plan.workers, forecastDurationMs: history?.p95DurationMs ?? undefined };
  const peak = history === undefined ? null : historyPeakFor(history, plan.workers);
  if (peak !== null) {
    const forecast = { ...base, forecastPeakBytes: Math.round(peak.bytes * FORECAST_SAFETY_FACTOR), source: 'history' as const };
    return peak.scaledFrom === null ? forecast : { ...forecast, scaledFrom: peak.scaledFrom };
  }
  if (plan.memoryEstimate) return { ...base, forecastPeakBytes: resolveSizeBytes(plan.memoryEstimate, machineTotalBytes), source: 'memoryEstimate' };
  if (plan.memoryLimit) return { ...base, forecastPeakBytes: resolveSizeBytes(plan.memoryLimit, machineTotalBytes), source: 'memoryLimit' };
  return { ...base, forecastPeakBytes: undefined, source: 'none' };
}
