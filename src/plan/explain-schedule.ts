import { formatLimit } from '../config/parse-size.js';
import { canStart, runsAloneBecause, type ScheduleItem, type ScheduleLimits } from './schedule.js';

// A --memory-budget run may end up running its chunks one after another without any chunk
// having to run alone: each pair is over the cores (2 workers each on 2 cores) or over the budget.
// That is the scheduler's decision, not a failure, but a user who asked for a budget expects
// chunks side by side, so the run says why at its start, in --dry-run and in report.json.

function joinNames(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function coresPhrase(cores: number): string {
  return cores === 1 ? 'the one core' : cores === 2 ? 'both cores' : `all ${cores} cores`;
}

/** Why none of `serial` can run beside another chunk: the cores, the budget, or either. */
function reasonFor(serial: readonly ScheduleItem[], others: readonly ScheduleItem[], limits: ScheduleLimits): string {
  const pairs = serial.flatMap((item) => others.filter((other) => other !== item).map((other) => [item, other] as const));
  const overCores = pairs.every(([a, b]) => a.workers + b.workers > limits.cores);
  const overBudget = pairs.every(([a, b]) => a.forecastPeakBytes! + b.forecastPeakBytes! > limits.budgetBytes);
  const each = serial.length === 1 ? 'it uses' : 'each uses';
  if (overCores && serial.every((item) => item.workers >= limits.cores)) return `${each} ${coresPhrase(limits.cores)} (its xdist workers)`;
  if (overCores) return `beside any other chunk, the workers would exceed the ${limits.cores} cores (${serial.map((item) => `${item.name} ${item.workers}`).join(', ')})`;
  if (overBudget) return `beside any other chunk, the forecast peaks would exceed the ${formatLimit(limits.budgetBytes)} budget`;
  return `beside any other chunk, either the workers would exceed the ${limits.cores} cores or the forecast peaks the ${formatLimit(limits.budgetBytes)} budget`;
}

/**
 * Says which chunks the schedule runs one after another although none of them has to run alone
 * (those have their own notice: see runsAloneBecause), and why; undefined when every such chunk
 * may run beside some other. Pure.
 */
export function explainOneAfterAnother(items: readonly ScheduleItem[], limits: ScheduleLimits): string | undefined {
  const shareable = items.filter((item) => runsAloneBecause(item, limits) === undefined);
  if (shareable.length < 2) return undefined;
  const serial = shareable.filter((item) => shareable.every((other) => other === item || !canStart(item, [other], limits)));
  if (serial.length === 0) return undefined;
  const apart = serial.length === shareable.length ? '' : ', apart from the other chunks';
  const verb = serial.length === 1 ? `${serial[0]!.name} runs alone` : `${joinNames(serial.map((item) => item.name))} run one after another${apart}`;
  return `${verb}: ${reasonFor(serial, shareable, limits)}.`;
}
