import type { ReportFile, RunInProgressReport } from '../results/report-types.js';
import { checkLiveness, type Liveness } from './process-identity.js';

// What a reader of a report dir says about a report.json that still says "running": the run is
// either still going (its pid is alive on this host, with the same start time), gone without
// finishing, or on another machine where this one cannot tell.

/** Whether a report.json holds a run that has not finished. */
export function isUnfinished(report: ReportFile): report is RunInProgressReport {
  return report.status === 'running';
}

/** One sentence: "this run did not finish: run-chunks (pid N on H) was started at T and is still running." */
export function describeUnfinished(marker: RunInProgressReport, liveness: Liveness = checkLiveness(marker.process)): string {
  const { process: owner } = marker;
  const what = marker.kind === 'merge' ? 'merge' : 'run';
  const who = `run-chunks (pid ${owner.pid} on ${owner.host}) was started at ${owner.startedAt} (${owner.command.join(' ')})`;
  if (liveness.state === 'alive') return `this ${what} did not finish: ${who} and is still running.`;
  if (liveness.state === 'gone') return `this ${what} did not finish: ${who} and is gone without finishing (${liveness.reason}); there are no results of it.`;
  return `this ${what} did not finish when its report.json was last written: ${who}, and whether it is still running cannot be told here (${liveness.reason}).`;
}
