import type { ChunkPlan } from '../plan/types.js';
import { explainOneAfterAnother } from '../plan/explain-schedule.js';
import { canStart, orderForSchedule, runsAloneBecause, type ScheduleItem, type ScheduleLimits } from '../plan/schedule.js';
import { readMachineMemory } from '../proc/machine-memory.js';
import type { ChunkReport } from '../results/report-types.js';

/** The forecasts and limits of a --memory-budget run. */
export interface MemorySchedule {
  limits: ScheduleLimits;
  /** One per plan, by chunk name. */
  items: ReadonlyMap<string, ScheduleItem>;
}

export interface DispatchOptions extends MemorySchedule {
  isInterrupted: () => boolean;
  notice: (message: string) => void;
  /** Available memory now (the machine's, or its cgroup's); injectable for tests. */
  availableBytes?: () => number;
}

// While waiting for memory to free up, look again this often; and never wait longer than this
// while no chunk of ours runs (the memory is someone else's, and it may never come back).
const MEMORY_POLL_MS = 1_000;
const MAX_IDLE_WAIT_MS = 60_000;

/**
 * Runs chunks concurrently as long as their forecast peaks fit the budget and their workers fit
 * the cores (longest first), and never starts one while the machine has less memory available
 * than its forecast. Results come back in plan order.
 */
export async function dispatchByMemory(
  plans: readonly ChunkPlan[],
  runOne: (plan: ChunkPlan) => Promise<ChunkReport>,
  options: DispatchOptions,
): Promise<ChunkReport[]> {
  const availableBytes = options.availableBytes ?? (() => readMachineMemory().availableBytes);
  const byName = new Map(plans.map((plan) => [plan.name, plan]));
  const itemOf = (plan: ChunkPlan): ScheduleItem =>
    options.items.get(plan.name) ?? { name: plan.name, forecastPeakBytes: undefined, forecastDurationMs: undefined, workers: plan.workers };
  const waiting = orderForSchedule(plans.map(itemOf));
  for (const item of waiting) {
    const reason = runsAloneBecause(item, options.limits);
    if (reason !== undefined) options.notice(`${item.name} will run alone: ${reason}.`);
  }
  const serial = explainOneAfterAnother(waiting, options.limits);
  if (serial !== undefined) options.notice(serial);
  const running = new Map<string, ScheduleItem>();
  const results = new Map<string, Promise<ChunkReport>>();
  const told = new Set<string>();
  let idleSinceMs: number | undefined;

  await new Promise<void>((resolve) => {
    const pump = (): void => {
      for (let index = 0; index < waiting.length; ) {
        const item = waiting[index]!;
        const plan = byName.get(item.name)!;
        const interrupted = options.isInterrupted();
        if (!interrupted && !canStart(item, [...running.values()], options.limits)) {
          index += 1;
          continue;
        }
        const forecast = item.forecastPeakBytes ?? 0;
        const waitedTooLong = running.size === 0 && idleSinceMs !== undefined && performance.now() - idleSinceMs > MAX_IDLE_WAIT_MS;
        if (!interrupted && forecast > availableBytes() && !waitedTooLong) {
          if (!told.has(item.name)) {
            told.add(item.name);
            options.notice(`${item.name} waits: the machine has less memory available than its forecast peak.`);
          }
          if (running.size === 0) idleSinceMs ??= performance.now();
          index += 1;
          continue;
        }
        waiting.splice(index, 1);
        idleSinceMs = undefined;
        running.set(item.name, item);
        // An interrupted run's waiting chunks go through runOne too: it reports them skipped.
        results.set(
          item.name,
          runOne(plan).finally(() => {
            running.delete(item.name);
            pump();
          }),
        );
      }
      if (waiting.length === 0 && running.size === 0) resolve();
      else if (running.size === 0) setTimeout(pump, MEMORY_POLL_MS);
    };
    pump();
  });
  return Promise.all(plans.map((plan) => results.get(plan.name)!));
}
