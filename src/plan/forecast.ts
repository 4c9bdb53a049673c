import { resolveSizeBytes } from '../config/parse-size.js';
import type { ScheduleItem } from './schedule.js';
import type { ChunkPlan } from './types.js';

/** What history says of a chunk, for forecasting. */
export interface ChunkForecastHistory {
  p95PeakBytes: number | null;
  p95DurationMs: number | null;
}

/**
 * Head-room over the p95 peak of past runs: suites grow, and a forecast a little high costs some
 * parallelism, while one too low costs an OOM kill.
 */
export const FORECAST_SAFETY_FACTOR = 1.25;

/** Where a forecast came from, for --dry-run and the notices. */
export type ForecastSource = 'history' | 'memoryEstimate' | 'memoryLimit' | 'none';

/**
 * A chunk's forecast for the scheduler: the p95 peak of its history × the safety factor, else its
 * memoryEstimate, else its memoryLimit (it cannot use more); its p95 duration from history.
 */
export function forecastChunk(plan: ChunkPlan, history: ChunkForecastHistory | undefined, machineTotalBytes: number): ScheduleItem & { source: ForecastSource } {
  const base = { name: plan.name, workers: plan.workers, forecastDurationMs: history?.p95DurationMs ?? undefined };
  if (history?.p95PeakBytes) return { ...base, forecastPeakBytes: Math.round(history.p95PeakBytes * FORECAST_SAFETY_FACTOR), source: 'history' };
  if (plan.memoryEstimate) return { ...base, forecastPeakBytes: resolveSizeBytes(plan.memoryEstimate, machineTotalBytes), source: 'memoryEstimate' };
  if (plan.memoryLimit) return { ...base, forecastPeakBytes: resolveSizeBytes(plan.memoryLimit, machineTotalBytes), source: 'memoryLimit' };
  return { ...base, forecastPeakBytes: undefined, source: 'none' };
}
