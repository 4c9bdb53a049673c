import type { ForecastSource } from '../plan/forecast.js';
import { explainOneAfterAnother } from '../plan/explain-schedule.js';
import { runsAloneBecause, type ScheduleItem, type ScheduleLimits } from '../plan/schedule.js';
import type { ChunkReport, RunScheduleReport } from './report-types.js';

// What report.json says about how chunks shared the machine: the --memory-budget schedule with its
// forecasts, which chunks really ran at the same time, and the most that ever did. "Ran at the
// same time" is read from the chunks' own start times and durations, not from the plan.

function intervalOf(chunk: ChunkReport): [number, number] | undefined {
  if (chunk.startedAt === null) return undefined;
  const start = Date.parse(chunk.startedAt);
  return Number.isFinite(start) ? [start, start + chunk.durationMs] : undefined;
}

function overlap(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[1] && b[0] < a[1];
}

/** The most chunks whose runs overlapped at any moment (0 when none started). Pure. */
export function countMaxConcurrentChunks(chunks: readonly ChunkReport[]): number {
  const edges = chunks
    .flatMap((chunk) => {
      const interval = intervalOf(chunk);
      return interval === undefined ? [] : [{ at: interval[0], step: 1 }, { at: interval[1], step: -1 }];
    })
    // An end before a start at the same moment: one chunk following another is not concurrency.
    .sort((a, b) => a.at - b.at || a.step - b.step);
  let running = 0;
  let most = 0;
  for (const edge of edges) {
    running += edge.step;
    most = Math.max(most, running);
  }
  return most;
}

/** The schedule a --memory-budget run used: budget, cores, each chunk's forecast, and whom it really ran alongside. Pure. */
export function describeSchedule(
  limits: ScheduleLimits,
  items: ReadonlyMap<string, ScheduleItem>,
  sources: ReadonlyMap<string, ForecastSource>,
  chunks: readonly ChunkReport[],
): RunScheduleReport {
  return {
    budgetBytes: limits.budgetBytes,
    cores: limits.cores,
    oneAfterAnother: explainOneAfterAnother([...items.values()], limits) ?? null,
    chunks: chunks.map((chunk) => {
      const item = items.get(chunk.name);
      const interval = intervalOf(chunk);
      const alongside = interval === undefined ? [] : chunks.filter((other) => other !== chunk && ((o) => o !== undefined && overlap(interval, o))(intervalOf(other)));
      return {
        name: chunk.name,
        forecastPeakBytes: item?.forecastPeakBytes ?? null,
        forecastDurationMs: item?.forecastDurationMs ?? null,
        forecastSource: sources.get(chunk.name) ?? 'none',
        runsAloneBecause: item === undefined ? null : (runsAloneBecause(item, limits) ?? null),
        ranAlongside: alongside.map((other) => other.name),
      };
    }),
  };
}
