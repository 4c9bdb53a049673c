import { readChunkTests } from './history-tests.js';
import type { History, HistoryChunk } from './history-types.js';

// Statistics over the run history, for `run-chunks history` and for forecasts (a scheduler,
// --shard). Pure functions of a History; runs count in the order they were recorded.

/** A chunk's peak memory is called a regression when it grew more than this much. */
export const REGRESSION_GROWTH_PERCENT = 20;

/** How many runs at each end of the history the trend compares (fewer when the history is short). */
export const TREND_WINDOW_RUNS = 3;

/** The middle value (the mean of the two middle ones for an even count); null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The p-th percentile (0–100) by the nearest-rank method: the smallest value with at least p% of
 * the values at or below it, so always one of the values, never an interpolation. With 10 runs,
 * p95 is the largest: a forecast of memory should cover every run seen. Null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be from 0 to 100, got ${p}`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** How a chunk's peak memory moved between the start and the end of the kept runs. */
export interface PeakTrend {
  /** Median peak of the first `windowRuns` runs with a measured peak. */
  firstPeakBytes: number;
  /** Median peak of the last `windowRuns` runs with a measured peak. */
  lastPeakBytes: number;
  growthPercent: number;
  /** growthPercent > REGRESSION_GROWTH_PERCENT: a memory regression. */
  regression: boolean;
  /** min(TREND_WINDOW_RUNS, half the runs with a peak, rounded down): the two windows never overlap. */
  windowRuns: number;
}

/** What the history says about one chunk, and what to expect of its next run. */
export interface ChunkStats {
  name: string;
  /** Runs counted: samples and lower bounds (see EntryWeight); not errors, interrupted runs or shards. */
  runs: number;
  /** Status in the most recent run the chunk was recorded in (interrupted included). */
  lastStatus: HistoryChunk['status'];
  /** Workers in that run. */
  workers: number;
  medianDurationMs: number | null;
  p95DurationMs: number | null;
  /** Peak memory per run: PSS where it was read, RSS otherwise. Null when never measured. */
  medianPeakBytes: number | null;
  p95PeakBytes: number | null;
  /** p95 over runs of (peak ÷ that run's workers): what one xdist worker needs. */
  peakPerWorkerBytes: number | null;
  /** The worker counts of the counted runs with a measured peak, ascending: what p95PeakBytes was measured with. */
  peakWorkerCounts: number[];
  p95PeakGpuBytes: number | null;
  /** Null with fewer than two runs with a measured peak. */
  trend: PeakTrend | null;
  /**
   * Counted runs in which the chunk was stopped (killed, a limit, a timeout, a crash): their
   * peaks and durations are lower bounds. They never pull a forecast down: the p95 figures are
   * at least their largest value, and the medians and the trend leave them out.
   */
  stoppedRuns: number;
  /** Kept entries that count for nothing (an error, no tests, interrupted, one shard): see EntryWeight. */
  uncountedRuns: number;
  /** True when p95PeakBytes is a stopped run's peak, so the real need is at least that (shown as "≥"). */
  p95PeakIsLowerBound: boolean;
}

/** The peak a chunk's memory is judged by: PSS (shared pages split) where read, else RSS. */
export function peakBytesOf(chunk: HistoryChunk): number | null {
  return chunk.peakPssBytes ?? chunk.peakRssBytes;
}

/** Every recorded entry of a chunk, oldest first. */
function entriesOf(history: History, name: string): HistoryChunk[] {
  return history.runs.flatMap((run) => run.chunks.filter((chunk) => chunk.name === name));
}

function present(values: readonly (number | null)[]): number[] {
  return values.filter((value): value is number => value !== null);
}

function peakTrend(peaks: readonly number[]): PeakTrend | null {
  const windowRuns = Math.min(TREND_WINDOW_RUNS, Math.floor(peaks.length / 2));
  if (windowRuns === 0) return null;
  const firstPeakBytes = median(peaks.slice(0, windowRuns))!;
  const lastPeakBytes = median(peaks.slice(-windowRuns))!;
  if (firstPeakBytes <= 0) return null;
  const growthPercent = ((lastPeakBytes - firstPeakBytes) / firstPeakBytes) * 100;
  return { firstPeakBytes, lastPeakBytes, growthPercent, regression: growthPercent > REGRESSION_GROWTH_PERCENT, windowRuns };
}

/**
 * What one recorded entry of a chunk may tell a forecast or a regression check:
 * - 'sample': the chunk ran to its own end (passed or failed) and no attempt of it was stopped.
 *   Only samples make the medians, the trend (regressions) and the p95 figures.
 * - 'lower-bound': run-chunks or the kernel stopped it (timeout, memory-limit, gpu-memory-limit,
 *   oom, killed, crashed), or it passed or failed only after a stopped attempt. It needed at least
 *   what it measured, so its peak and duration may raise a p95 forecast, never lower one, and
 *   stay out of medians and trends: a memory-limit kill at the limit is the least the chunk needs.
 * - 'none': it says nothing of a whole run. An error (pytest could not start, a usage or internal
 *   error, pytest's own exit on Ctrl-C), no-tests, interrupted (run-chunks' Ctrl-C: how long the
 *   user waited), skipped, and one shard of it (--shard I/N: part of its tests).
 * A history written before `stopped` existed is judged by the status alone.
 */
export type EntryWeight = 'sample' | 'lower-bound' | 'none';

const SAMPLE_STATUSES: readonly HistoryChunk['status'][] = ['passed', 'failed'];
const LOWER_BOUND_STATUSES: readonly HistoryChunk['status'][] = ['timeout', 'memory-limit', 'gpu-memory-limit', 'oom', 'killed', 'crashed'];

/** How a recorded entry counts for the chunk's figures (see EntryWeight). */
export function weightOf(chunk: HistoryChunk): EntryWeight {
  if (chunk.shard !== null) return 'none';
  if (LOWER_BOUND_STATUSES.includes(chunk.status)) return 'lower-bound';
  if (SAMPLE_STATUSES.includes(chunk.status)) return chunk.stopped === true ? 'lower-bound' : 'sample';
  return 'none';
}

/**
 * A chunk's durations, peaks and peak trend over the kept runs; null when no run recorded it.
 * Entries count by their weight (see EntryWeight): samples make every figure, lower bounds raise
 * the p95 figures to at least their largest value, and the rest are left out (their test
 * durations still count in testDurations).
 */
export function chunkStats(history: History, name: string): ChunkStats | null {
  const entries = entriesOf(history, name);
  const last = entries.at(-1);
  if (last === undefined) return null;
  const complete = entries.filter((chunk) => weightOf(chunk) === 'sample');
  const stopped = entries.filter((chunk) => weightOf(chunk) === 'lower-bound');
  const counted = [...complete, ...stopped];
  const peakPerWorker = (chunk: HistoryChunk): number | null => {
    const peak = peakBytesOf(chunk);
    return peak === null ? null : peak / chunk.workers;
  };
  const peak = atLeast(present(complete.map(peakBytesOf)), present(stopped.map(peakBytesOf)));
  const durations = complete.map((chunk) => chunk.durationMs);
  const peaks = present(complete.map(peakBytesOf));
  return {
    name,
    runs: counted.length,
    lastStatus: last.status,
    workers: last.workers,
    medianDurationMs: median(durations),
    p95DurationMs: atLeast(durations, stopped.map((chunk) => chunk.durationMs)).value,
    medianPeakBytes: median(peaks),
    p95PeakBytes: peak.value,
    peakWorkerCounts: [...new Set(counted.filter((chunk) => peakBytesOf(chunk) !== null).map((chunk) => chunk.workers))].sort((a, b) => a - b),
    peakPerWorkerBytes: atLeast(present(complete.map(peakPerWorker)), present(stopped.map(peakPerWorker))).value,
    p95PeakGpuBytes: atLeast(present(complete.map((chunk) => chunk.peakGpuBytes)), present(stopped.map((chunk) => chunk.peakGpuBytes))).value,
    trend: peakTrend(peaks),
    stoppedRuns: stopped.length,
    uncountedRuns: entries.length - counted.length,
    p95PeakIsLowerBound: peak.fromLowerBound,
  };
}

/**
 * The p95 of the samples, raised to the largest lower bound when that is higher: a run that was
 * stopped needed at least what it measured. Null when there is neither.
 */
function atLeast(samples: readonly number[], lowerBounds: readonly number[]): { value: number | null; fromLowerBound: boolean } {
  const p95 = percentile(samples, 95);
  const bound = lowerBounds.length === 0 ? null : Math.max(...lowerBounds);
  if (bound !== null && (p95 === null || bound > p95)) return { value: bound, fromLowerBound: true };
  return { value: p95, fromLowerBound: false };
}

/** Every chunk name in the history: the latest run's chunks in their order, then older ones. */
export function chunkNames(history: History): string[] {
  const names = new Set<string>();
  for (const run of [...history.runs].reverse()) for (const chunk of run.chunks) names.add(chunk.name);
  return [...names];
}

/** Each test's median duration (ms) in a chunk over the kept runs; tests never timed are absent. */
export function testDurations(history: History, chunkName: string): Map<string, number> {
  const durations = new Map<string, number[]>();
  for (const chunk of entriesOf(history, chunkName)) {
    for (const [nodeid, sample] of readChunkTests(history, chunk)) {
      if (sample.durationMs === null) continue;
      const list = durations.get(nodeid);
      if (list) list.push(sample.durationMs);
      else durations.set(nodeid, [sample.durationMs]);
    }
  }
  return new Map([...durations].map(([nodeid, values]) => [nodeid, median(values)!]));
}
