// `"dist": "memory"`: what run-chunks hands the plugin's xdist scheduler (python/run_chunks_events/
// memory_scheduler.py), and how it reads back what the scheduler did. Pure, but for the two files.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { testPeakForecasts, type TestPeakForecast } from '../history/test-peak-stats.js';
import type { History } from '../history/history-types.js';
import type { PeakSource } from '../results/test-records.js';

/** The variable naming the plan file for the plugin. */
export const MEMORY_SCHEDULE_VARIABLE = 'RUN_CHUNKS_MEMORY_SCHEDULE';
/** The plan file, in the chunk's report folder; the scheduler writes `<file>.result.json` beside it. */
export const MEMORY_PLAN_FILE_NAME = 'memory-plan.json';
/**
 * Kept free of forecasts: the xdist controller (a pytest process of its own, tens of MiB), the
 * launcher, and a test a little over its p95. A tenth of the budget.
 */
export const RESERVE_FRACTION = 0.1;

/** The plan file's content, as memory_scheduler.read_plan checks it. */
export interface MemorySchedulePlan {
  budgetBytes: number;
  reserveBytes: number;
  /** A worker's memory between tests: the smallest forecast the chunk's history has, else the default. */
  baselineBytes: number;
  /** The forecast of a test nothing is known of (neither it, its file, nor the chunk): the room shared by the workers. */
  defaultForecastBytes: number;
  /** Each test the chunk's history measured: its p95 peak RSS. */
  forecasts: Record<string, number>;
}

/** Where the chunk's budget came from. */
export type MemoryBudgetSource = 'memoryLimit' | 'available';

/** What the scheduler wrote at the end of the session (memory_scheduler.MemoryScheduling.result). */
interface SchedulerResult {
  budgetBytes: number;
  roomBytes: number;
  workers: number;
  tests: number;
  forecastSources: Record<string, number>;
  waited: { tests: number; totalSeconds: number; longest: { nodeid: string; seconds: number }[] };
  oversize: string[];
  forced: number;
  forecasts: Record<string, [number, string]>;
}

/** `"dist": "memory"` in report.json: which scheduler ran, and what it did. */
export interface MemoryScheduleReport {
  /** 'memory' when the plugin's scheduler ran; 'load' when xdist's own ran instead (see `reason`). */
  scheduler: 'memory' | 'load';
  reason: string | null;
  budgetBytes: number;
  budgetSource: MemoryBudgetSource;
  /** The budget less the reserve: what the forecasts of the tests held by workers may add up to. */
  roomBytes: number;
  /** Tests whose forecast came from their own history, their file's, the chunk's, or the default. */
  forecastSources: Record<string, number>;
  /** Tests that waited for memory while a worker was free, how long in all, and the longest waits. */
  waited: { tests: number; totalMs: number; longest: { nodeid: string; ms: number }[] };
  /** Tests whose forecast alone exceeded the room: each ran with the other workers idle. */
  oversize: string[];
  /** Tests sent although they did not fit, because nothing else could run. */
  forced: number;
  /** The test whose exactly measured peak (VmHWM) was furthest above its forecast; null when none was above it by more than 1 MiB and 2%. */
  worstUnderForecast: { nodeid: string; forecastBytes: number; measuredBytes: number; forecastSource: string } | null;
}

/** Each test's forecast from the runs of chunk `name` alone (a test is forecast by what it did in this chunk). */
export function chunkTestForecasts(history: History, name: string): Map<string, TestPeakForecast> {
  return testPeakForecasts({ ...history, runs: history.runs.map((run) => ({ ...run, chunks: run.chunks.filter((chunk) => chunk.name === name) })) });
}

/** The plan for a chunk of `workers` workers under `budgetBytes`, from its tests' forecasts. */
export function buildMemorySchedulePlan(forecasts: ReadonlyMap<string, TestPeakForecast>, budgetBytes: number, workers: number): MemorySchedulePlan {
  const reserveBytes = Math.round(budgetBytes * RESERVE_FRACTION);
  const defaultForecastBytes = Math.floor((budgetBytes - reserveBytes) / Math.max(1, workers));
  const known = [...forecasts.values()].map((forecast) => forecast.p95PeakRssBytes);
  return {
    budgetBytes,
    reserveBytes,
    baselineBytes: known.length > 0 ? Math.min(...known) : defaultForecastBytes,
    defaultForecastBytes,
    forecasts: Object.fromEntries([...forecasts].map(([nodeid, forecast]) => [nodeid, forecast.p95PeakRssBytes])),
  };
}

/** Writes the plan into `folder`; returns the file's path for MEMORY_SCHEDULE_VARIABLE. */
export async function writeMemorySchedulePlan(folder: string, plan: MemorySchedulePlan): Promise<string> {
  const file = path.join(folder, MEMORY_PLAN_FILE_NAME);
  await writeFile(file, `${JSON.stringify(plan)}\n`);
  return file;
}

/** How far over its forecast a peak may be and still count as met: a few pages of noise is no forecast error. */
export function forecastSlackBytes(forecastBytes: number): number {
  return Math.max(1024 * 1024, forecastBytes * 0.02);
}

/** A measured test's peak, for the forecast error. */
export interface MeasuredPeak {
  nodeid: string;
  peakRssBytes: number | null;
  peakRssSource: PeakSource | null;
}

/**
 * What the scheduler did, read from `<plan>.result.json`. Where there is none (xdist's scheduler
 * ran: the plan was refused, the session never got to schedule), it says so. `records` give the
 * measured peaks the forecasts are checked against (exact ones only: a lower bound proves nothing).
 */
export async function readMemoryScheduleReport(planFile: string, plan: MemorySchedulePlan, budgetSource: MemoryBudgetSource, records: readonly MeasuredPeak[]): Promise<MemoryScheduleReport> {
  const base = { budgetBytes: plan.budgetBytes, budgetSource, roomBytes: plan.budgetBytes - plan.reserveBytes };
  let result: SchedulerResult;
  try {
    result = JSON.parse(await readFile(`${planFile}.result.json`, 'utf8')) as SchedulerResult;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the plugin wrote no result (the session ended before scheduling, or it refused the plan: see the log)' : `its result could not be read (${String(error)})`;
    return { ...base, scheduler: 'load', reason: `xdist's load scheduling ran: ${why}`, forecastSources: {}, waited: { tests: 0, totalMs: 0, longest: [] }, oversize: [], forced: 0, worstUnderForecast: null };
  }
  let worst: MemoryScheduleReport['worstUnderForecast'] = null;
  for (const record of records) {
    const forecast = result.forecasts?.[record.nodeid];
    if (!forecast || record.peakRssSource !== 'hwm' || record.peakRssBytes === null) continue;
    const over = record.peakRssBytes - forecast[0];
    if (over > forecastSlackBytes(forecast[0]) && (worst === null || over > worst.measuredBytes - worst.forecastBytes))
      worst = { nodeid: record.nodeid, forecastBytes: forecast[0], measuredBytes: record.peakRssBytes, forecastSource: forecast[1] };
  }
  return {
    ...base,
    scheduler: 'memory',
    reason: null,
    roomBytes: result.roomBytes,
    forecastSources: result.forecastSources,
    waited: {
      tests: result.waited.tests,
      totalMs: Math.round(result.waited.totalSeconds * 1000),
      longest: result.waited.longest.map((wait) => ({ nodeid: wait.nodeid, ms: Math.round(wait.seconds * 1000) })),
    },
    oversize: result.oversize,
    forced: result.forced,
    worstUnderForecast: worst,
  };
}

/** One line for the terminal and the job summary: which scheduler, from what forecasts, what waited. */
export function describeMemorySchedule(report: MemoryScheduleReport, formatBytes: (bytes: number) => string): string {
  if (report.scheduler === 'load') return `memory scheduling did not run: ${report.reason ?? 'unknown'}`;
  const sources = Object.entries(report.forecastSources).map(([source, count]) => `${count} from ${source}`).join(', ');
  const parts = [`memory scheduling within ${formatBytes(report.roomBytes)} of a ${formatBytes(report.budgetBytes)} budget (${report.budgetSource}); forecasts: ${sources || 'none'}`];
  parts.push(report.waited.tests === 0 ? 'no test waited for memory' : `${report.waited.tests} waited for memory, ${(report.waited.totalMs / 1000).toFixed(1)} s in all`);
  if (report.oversize.length > 0) parts.push(`${report.oversize.length} over the room alone, run with the other workers idle`);
  if (report.forced > 0) parts.push(`${report.forced} sent over the room because nothing else could run`);
  if (report.worstUnderForecast) {
    const worst = report.worstUnderForecast;
    parts.push(`largest peak over its forecast: ${worst.nodeid} ${formatBytes(worst.measuredBytes)} vs ${formatBytes(worst.forecastBytes)} (${worst.forecastSource})`);
  }
  return parts.join('; ');
}
