// How a recovery attempt's results are read: what a blamed test did when run alone, and what the
// chunk's status is once every attempt is over. Pure functions, so every case has a table test.
import type { Outcome } from '../results/classify-outcome.js';
import { BROKEN_STATUSES, compareSeverity, type ChunkStatus } from '../results/outcome.js';
import { isPassingOutcome, type BlamedTest, type RecoveryVerdict, type TestRecord } from '../results/test-records.js';

/**
 * Chunk statuses that start recovery: the chunk was killed whole for memory. (A test whose own
 * process died under it starts recovery too, whatever the status: see AttemptResult.diedUnder.)
 */
export const RECOVERABLE_STATUSES: readonly ChunkStatus[] = ['oom', 'killed', 'memory-limit'];

/** What an attempt says about one test, as much as judging it needs. */
export interface AttemptView {
  outcome: Outcome;
  records: readonly TestRecord[];
  /** Tests the attempt's plugin collected (0: the selection matched nothing); null when unknown. */
  collected: number | null;
  /** Tests whose own process (an xdist worker, pytest itself) died or exited under them. */
  diedUnder: readonly string[];
  blamed: readonly BlamedTest[];
}

/** A run-alone attempt's verdict, and the status it gives the chunk (none when the test passed or was skipped). */
export interface AloneJudgement {
  verdict: RecoveryVerdict;
  outcome: Outcome | undefined;
}

const QUIET_STATUSES: readonly ChunkStatus[] = ['passed', 'no-tests', 'skipped'];

/** What the blamed test `nodeid` did when it ran alone, from that attempt's results. */
export function judgeAlone(alone: AttemptView, nodeid: string): AloneJudgement {
  const record = alone.records.find((candidate) => candidate.nodeid === nodeid);
  const status = alone.outcome.status;
  const said = (verdict: RecoveryVerdict, outcomeStatus: ChunkStatus, what: string): AloneJudgement => ({
    verdict,
    outcome: { status: outcomeStatus, message: `${nodeid} ${what} when run alone (${alone.outcome.message})` },
  });
  if (RECOVERABLE_STATUSES.includes(status)) return said('oom-deterministic', status, 'was killed again');
  if (status === 'interrupted') return said('interrupted-alone', 'interrupted', 'was interrupted');
  if (status === 'timeout') return said('timeout-alone', 'timeout', 'ran into the timeout');
  if (record === undefined && (alone.collected === 0 || status === 'no-tests'))
    return said('not-selected', 'error', 'could not be selected (a new collection did not produce this node id: one built at collection time?)');
  // An xfailed or xpassed test ended alone on its own, unkilled, with a result pytest counts as passing.
  if (record?.outcome === 'passed' || record?.outcome === 'xpassed' || record?.outcome === 'xfailed') return { verdict: 'oom-flaky', outcome: undefined };
  if (record?.outcome === 'skipped') return { verdict: 'skipped-alone', outcome: undefined };
  if (record?.outcome === 'failed' || record?.outcome === 'error')
    return { verdict: 'failed-alone', outcome: { status: 'failed', message: `${nodeid} ${record.outcome === 'failed' ? 'failed' : 'errored'} when run alone: ${record.message ?? 'no message'}` } };
  const broken = QUIET_STATUSES.includes(status) || status === 'failed' ? 'crashed' : status;
  const blame = alone.blamed.find((test) => test.nodeid === nodeid);
  if (blame?.reason === 'exited' || (blame?.reason === 'interrupted' && blame.worker === null))
    return {
      verdict: blame.reason === 'exited' ? 'exited-alone' : 'interrupted-alone',
      outcome: { status: broken, message: `${nodeid} did not end on its own when run alone: ${blame.evidence}` },
    };
  return said('crashed-alone', broken, 'did not finish');
}

/** The most severe of some outcomes (the first of equals), or undefined for none. */
export function worstOutcome(outcomes: readonly Outcome[]): Outcome | undefined {
  return outcomes.reduce<Outcome | undefined>((worst, outcome) => (worst === undefined || compareSeverity(outcome.status, worst.status) > 0 ? outcome : worst), undefined);
}

/** What decides a chunk's final status once its attempts are over. */
export interface SettleInput {
  /** Every attempt's outcome, by attempt number (1: the first). */
  attemptOutcomes: ReadonlyMap<number, Outcome>;
  /** Whether any recovery attempt ran. */
  recovered: boolean;
  /** The statuses the run-alone verdicts give (deterministic kills, failures, crashes). */
  verdictOutcomes: readonly Outcome[];
  /** The last attempt that ran the rest of the chunk (the first, when no such retry ran). */
  lastRun: Outcome;
  /** The latest record of each test. */
  records: readonly TestRecord[];
  /** Tests run alone: their verdict already stands for them. */
  judged: ReadonlySet<string>;
  /** Tests collected that never started in any attempt (null when unknown). */
  notRun: number | null;
  /** Set when run-chunks was interrupted before recovery was over. */
  cutShort: boolean;
  /** Tests whose xdist worker run-chunks stopped over the memoryLimit while the chunk went on ("dist": "memory"). */
  stoppedForMemory?: ReadonlySet<string>;
}

/**
 * The chunk's status: passed only when every selected test ended with a passing outcome (passed,
 * skipped, xfailed, xpassed: isPassingOutcome). Otherwise
 * the most severe of what is still wrong: a verdict of a test run alone, a test left without a
 * result by a kill (the status of the attempt that killed it), failed tests, tests that never
 * ran, or the last retry's own failure to run (an internal error, say).
 */
export function settleOutcome(input: SettleInput): Outcome | undefined {
  const outcomes: Outcome[] = [...input.verdictOutcomes];
  if (!input.recovered) outcomes.push(input.lastRun);
  else if (!QUIET_STATUSES.includes(input.lastRun.status) && input.lastRun.status !== 'failed') outcomes.push(input.lastRun);
  const unfinished = input.records.filter((record) => !isPassingOutcome(record.outcome) && record.outcome !== 'failed' && record.outcome !== 'error' && record.outcome !== 'not-run' && !input.judged.has(record.nodeid));
  for (const record of unfinished) {
    const killedBy = input.attemptOutcomes.get(record.attempt);
    // A test whose worker run-chunks stopped for memory went over the limit, whatever pytest made of the lost worker.
    const status = input.stoppedForMemory?.has(record.nodeid)
      ? 'memory-limit'
      : killedBy && (BROKEN_STATUSES.includes(killedBy.status) || killedBy.status === 'interrupted')
        ? killedBy.status
        : 'crashed';
    outcomes.push({ status, message: `${record.nodeid} has no result: ${record.message ?? record.outcome}` });
  }
  const failing = input.records.filter((record) => (record.outcome === 'failed' || record.outcome === 'error') && !input.judged.has(record.nodeid));
  if (failing.length > 0) outcomes.push({ status: 'failed', message: `${failing.length} test${failing.length === 1 ? '' : 's'} failed or errored` });
  if (input.cutShort) outcomes.push({ status: 'interrupted', message: 'run-chunks was interrupted before recovery was over' });
  if (input.notRun !== null && input.notRun > 0 && worstOutcome(outcomes) === undefined)
    outcomes.push({ status: 'error', message: `${input.notRun} collected test${input.notRun === 1 ? '' : 's'} never ran` });
  const worst = worstOutcome(outcomes);
  return worst !== undefined && worst.status === 'passed' ? undefined : worst;
}
