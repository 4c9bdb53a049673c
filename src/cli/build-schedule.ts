import os from 'node:os';
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBesideLimit, formatLimit, parseSizeSpec, resolveSizeBytes } from '../config/parse-size.js';
import { forecastChunk, type ChunkForecastHistory, type ForecastSource } from '../plan/forecast.js';
import { explainOneAfterAnother } from '../plan/explain-schedule.js';
import { runsAloneBecause, simulateSchedule, type ScheduleItem } from '../plan/schedule.js';
import type { ChunkPlan } from '../plan/types.js';
import { readMachineMemory } from '../proc/machine-memory.js';
import type { MemorySchedule } from '../runner/dispatch-by-memory.js';
import { UserError } from '../util/user-error.js';

/** A --memory-budget schedule, with where each forecast came from (for --dry-run). */
export interface BuiltSchedule extends MemorySchedule {
  sources: Map<string, ForecastSource>;
  /** For a history forecast scaled to the plan's workers: the worker counts it was measured with. */
  scaledFrom: Map<string, readonly number[]>;
}

/** Turns --memory-budget (a size, or a % of the machine's or cgroup's memory) and the plans into a schedule. */
export function buildSchedule(budget: string, plans: readonly ChunkPlan[], history: (name: string) => ChunkForecastHistory | undefined): BuiltSchedule {
  const spec = parseSizeSpec(budget);
  const machine = readMachineMemory();
  if (!spec || (spec.kind === 'bytes' && spec.bytes <= 0))
    throw new UserError(`--memory-budget "${budget}" is not a size. Give one such as "16GB", "12GiB" or "75%" (of the ${machine.source}'s memory).`);
  const budgetBytes = resolveSizeBytes(spec, machine.totalBytes);
  const items = new Map<string, ScheduleItem>();
  const sources = new Map<string, ForecastSource>();
  const scaledFrom = new Map<string, readonly number[]>();
  for (const plan of plans) {
    const { source, scaledFrom: from, ...item } = forecastChunk(plan, history(plan.name), machine.totalBytes);
    items.set(plan.name, item);
    sources.set(plan.name, source);
    if (from !== undefined) scaledFrom.set(plan.name, from);
  }
  return { limits: { budgetBytes, cores: os.availableParallelism() }, items, sources, scaledFrom };
}

/** --dry-run's picture of a schedule: who runs with whom, forecasts, and the forecast wall time. */
export function formatSchedule(schedule: BuiltSchedule): string {
  const { slots, makespanMs } = simulateSchedule([...schedule.items.values()], schedule.limits);
  const lines = [
    '',
    `Schedule for a memory budget of ${formatLimit(schedule.limits.budgetBytes)} and ${schedule.limits.cores} cores (forecast):`,
  ];
  for (const slot of slots) {
    const item = schedule.items.get(slot.name)!;
    const peak = item.forecastPeakBytes === undefined ? 'peak unknown' : `peak ${formatBesideLimit(item.forecastPeakBytes, schedule.limits.budgetBytes)}`;
    const duration = item.forecastDurationMs === undefined ? 'duration unknown' : `~${formatDurationMs(item.forecastDurationMs)}`;
    const alone = runsAloneBecause(item, schedule.limits);
    const company = alone ? `alone (${alone})` : slot.alongside.length > 0 ? `with ${slot.alongside.join(', ')}` : slot.startMs === 0 ? 'first' : 'on its own';
    const from = schedule.scaledFrom.get(slot.name);
    const source = from === undefined ? schedule.sources.get(slot.name) : `history, scaled from ${from.join('/')} to ${item.workers} workers`;
    lines.push(`  at +${formatDurationMs(slot.startMs)}: ${slot.name} (${peak} from ${source}, ${duration}), ${company}`);
  }
  const serial = explainOneAfterAnother([...schedule.items.values()], schedule.limits);
  if (serial !== undefined) lines.push(`  ${serial}`);
  lines.push(`  forecast total wall time: ${formatDurationMs(makespanMs)} (chunks without history count as 1m)`);
  return `${lines.join('\n')}\n`;
}
