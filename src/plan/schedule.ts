// Memory-aware scheduling: which chunks may run at the same time. Pure functions; the run asks
// `canStart` whenever a chunk ends, and --dry-run shows `simulateSchedule`'s forecast.

/** What the scheduler knows of a chunk before it runs. */
export interface ScheduleItem {
  name: string;
  /** Forecast peak memory (history p95 × safety factor, memoryEstimate, or memoryLimit). */
  forecastPeakBytes: number | undefined;
  /** Forecast wall time, from history. */
  forecastDurationMs: number | undefined;
  /** Cores the chunk keeps busy (its xdist workers). */
  workers: number;
}

/** The machine a schedule must fit. */
export interface ScheduleLimits {
  budgetBytes: number;
  cores: number;
}

/** Why a chunk has to run alone, if it does. */
export function runsAloneBecause(item: ScheduleItem, limits: ScheduleLimits): string | undefined {
  if (item.forecastPeakBytes === undefined) return 'no forecast of its memory (no history, memoryEstimate or memoryLimit)';
  if (item.forecastPeakBytes > limits.budgetBytes) return 'its forecast peak alone exceeds the memory budget';
  if (item.workers > limits.cores) return 'it has more workers than the machine has cores';
  return undefined;
}

/** Longest forecast duration first (the classic makespan heuristic); unknown durations last, in config order. */
export function orderForSchedule(items: readonly ScheduleItem[]): ScheduleItem[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => (b.item.forecastDurationMs ?? -1) - (a.item.forecastDurationMs ?? -1) || a.index - b.index)
    .map(({ item }) => item);
}

/**
 * Whether `candidate` may start while `running` run: the sum of forecast peaks fits the budget,
 * the sum of workers fits the cores, and neither it nor any running chunk has to run alone.
 */
export function canStart(candidate: ScheduleItem, running: readonly ScheduleItem[], limits: ScheduleLimits): boolean {
  if (running.length === 0) return true;
  if (runsAloneBecause(candidate, limits) !== undefined) return false;
  if (running.some((item) => runsAloneBecause(item, limits) !== undefined)) return false;
  const memory = running.reduce((sum, item) => sum + item.forecastPeakBytes!, candidate.forecastPeakBytes!);
  const cores = running.reduce((sum, item) => sum + item.workers, candidate.workers);
  return memory <= limits.budgetBytes && cores <= limits.cores;
}

/** One chunk in a simulated schedule. */
export interface ScheduledSlot {
  name: string;
  startMs: number;
  endMs: number;
  /** Chunks this one runs alongside at its start. */
  alongside: string[];
}

// A chunk with no duration history is assumed to take this long in the forecast (and said so).
const UNKNOWN_DURATION_MS = 60_000;

/**
 * Simulates the run with forecast durations: at each moment, starts every waiting chunk (in
 * schedule order) that `canStart`, then jumps to the next end. Returns the slots and the
 * forecast total wall time.
 */
export function simulateSchedule(items: readonly ScheduleItem[], limits: ScheduleLimits): { slots: ScheduledSlot[]; makespanMs: number } {
  const waiting = orderForSchedule(items);
  const running: { item: ScheduleItem; endMs: number }[] = [];
  const slots: ScheduledSlot[] = [];
  let nowMs = 0;
  while (waiting.length > 0 || running.length > 0) {
    for (let index = 0; index < waiting.length; ) {
      const item = waiting[index]!;
      if (canStart(item, running.map((entry) => entry.item), limits)) {
        const endMs = nowMs + (item.forecastDurationMs ?? UNKNOWN_DURATION_MS);
        slots.push({ name: item.name, startMs: nowMs, endMs, alongside: running.map((entry) => entry.item.name) });
        running.push({ item, endMs });
        waiting.splice(index, 1);
      } else index += 1;
    }
    if (running.length === 0) break;
    running.sort((a, b) => a.endMs - b.endMs);
    const next = running.shift()!;
    nowMs = next.endMs;
  }
  return { slots, makespanMs: slots.reduce((end, slot) => Math.max(end, slot.endMs), 0) };
}
