import type { RecoveryVerdict } from './test-records.js';

const VERDICT_TEXT: Record<RecoveryVerdict, string> = {
  'oom-deterministic': 'killed again when run alone (oom-deterministic)',
  'oom-flaky': 'cleared: passed when run alone (oom-flaky)',
  'failed-alone': 'failed when run alone (failed-alone)',
  'crashed-alone': 'crashed when run alone (crashed-alone)',
  'exited-alone': 'its process exited under it when run alone (exited-alone)',
  'timeout-alone': 'ran into the timeout when run alone (timeout-alone)',
  'interrupted-alone': 'interrupted when run alone (interrupted-alone)',
  'skipped-alone': 'skipped when run alone (skipped-alone)',
  'not-selected': 'could not be selected to run alone: a new collection did not produce its node id (not-selected)',
};

/** A recovery verdict in words, for the terminal, the job summary, annotations and report.html. */
export function describeVerdict(verdict: RecoveryVerdict): string {
  return VERDICT_TEXT[verdict];
}
