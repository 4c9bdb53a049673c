import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { attemptDir, deriveAttemptPlan } from '../plan/derive-attempt-plan.js';
import type { ChunkPlan } from '../plan/types.js';
import type { Outcome } from '../results/classify-outcome.js';
import { formatNodeIdFile } from '../results/node-id-file.js';
import type { AttemptReport } from '../results/report-types.js';
import { notRunRecords } from '../results/records-to-junit.js';
import type { BlamedTest, TestRecord } from '../results/test-records.js';
import { judgeAlone, RECOVERABLE_STATUSES, settleOutcome } from './recovery-verdict.js';
import { runAttempt, type AttemptContext, type AttemptResult } from './run-attempt.js';

export { RECOVERABLE_STATUSES } from './recovery-verdict.js';

/** A chunk's attempts after recovery, and what they add up to. */
export interface Recovery {
  outcome: Outcome;
  attempts: { result: AttemptResult; kind: AttemptReport['kind'] }[];
  /** One record per test: the latest attempt's result wins. */
  records: TestRecord[];
  /** Each blamed test once, with what running it alone showed. */
  blamed: BlamedTest[];
  /** Tests collected but never run in any attempt; null when the count is unknown. */
  notRun: number | null;
}

// One test alone per round keeps a round at two processes, as jobTimeoutMinutes (src/ci) counts
// them. Another suspect of the same kill runs in that round's retry; if it kills the retry, it is
// blamed there and runs alone in the next round.
const MAX_ALONE_PER_ROUND = 1;

/** Writes a list of node ids (one JSON string per line) for the plugin's RUN_CHUNKS_SELECT_FILE / DESELECT_FILE. */
async function writeNodeIdList(plan: ChunkPlan, attempt: number, name: string, nodeids: Iterable<string>): Promise<string> {
  const file = path.join(attemptDir(plan, attempt), name);
  await writeFile(file, formatNodeIdFile(nodeids));
  return file;
}

/** Whether an attempt calls for recovery: its chunk was killed for memory, or a test's own process died under it. */
export function startsRecovery(attempt: Pick<AttemptResult, 'outcome' | 'diedUnder'>): boolean {
  if (attempt.outcome.status === 'interrupted') return false;
  return RECOVERABLE_STATUSES.includes(attempt.outcome.status) || attempt.diedUnder.length > 0;
}

/** Tests with a result of their own (passed, failed, error, skipped): never run again. */
function finishedIds(records: Iterable<TestRecord>): Set<string> {
  const ids = new Set<string>();
  for (const record of records) if (record.outcome !== 'killed' && record.outcome !== 'crashed' && record.outcome !== 'not-run') ids.add(record.nodeid);
  return ids;
}

function mergeRecords(into: Map<string, TestRecord>, records: readonly TestRecord[]): void {
  for (const record of records) into.set(record.nodeid, record);
}

/** Adds each newly blamed test; a test already blamed keeps its first entry (and its verdict). */
function addBlamed(into: Map<string, BlamedTest>, blamed: readonly BlamedTest[]): void {
  for (const test of blamed) if (!into.has(test.nodeid)) into.set(test.nodeid, { ...test });
}

/** The blamed tests of an attempt still to run alone: those whose evidence is strongest come first. */
function suspectsOf(attempt: AttemptResult, judged: ReadonlySet<string>): string[] {
  const killedFor = attempt.blamed.filter((test) => (RECOVERABLE_STATUSES as readonly string[]).includes(test.reason)).map((test) => test.nodeid);
  const ids = [...attempt.diedUnder, ...killedFor];
  return [...new Set(ids)].filter((nodeid) => !judged.has(nodeid)).slice(0, MAX_ALONE_PER_ROUND);
}

/** Adds the tests that never started in any attempt, when the collection is known. */
function withNotRun(first: AttemptResult, records: TestRecord[]): TestRecord[] {
  const reason = `never started: the chunk was stopped (${first.outcome.status}) before it reached this test`;
  return [...records, ...notRunRecords(first.collectedIds, records, reason)];
}

/** Tests collected that have no record at all (null when the collection is unknown). */
function countNotRun(first: AttemptResult, records: Map<string, TestRecord>): number | null {
  if (first.collectedIds !== null) return first.collectedIds.filter((nodeid) => !records.has(nodeid)).length;
  return first.collected === null ? null : Math.max(0, first.collected - records.size);
}

/**
 * After an OOM or memory-limit kill, or a test whose own process died under it, runs again only
 * what has no result yet. Each round runs the most suspect blamed test alone in its own process (its
 * verdict: killed again 'oom-deterministic', passed 'oom-flaky', or how else it ended), then every
 * test without a result, with half the workers. A test run alone keeps its verdict and is never
 * run again; a test is blamed once. Repeats up to the chunk's retryOnOom rounds while attempts
 * keep dying. The chunk passes only when every selected test ended passed or skipped.
 */
export async function recoverFromOom(
  first: AttemptResult,
  context: AttemptContext,
  mayStartMore: () => boolean,
  ensureDir: (dir: string) => Promise<void>,
): Promise<Recovery> {
  const plan = first.plan;
  const attempts: Recovery['attempts'] = [{ result: first, kind: 'initial' }];
  const records = new Map<string, TestRecord>();
  mergeRecords(records, first.records);
  const blamed = new Map<string, BlamedTest>();
  addBlamed(blamed, first.blamed);
  const judged = new Set<string>();
  const verdictOutcomes: Outcome[] = [];
  let current = first;
  let attemptNumber = 1;
  let cutShort = false;
  const canRecover = plan.retryOnOom > 0 && plan.pytest !== undefined && first.hasEvents;

  for (let round = 0; canRecover && round < plan.retryOnOom && startsRecovery(current); round += 1) {
    if (!mayStartMore()) {
      cutShort = true;
      break;
    }
    for (const nodeid of suspectsOf(current, judged)) {
      if (!mayStartMore()) break;
      attemptNumber += 1;
      await ensureDir(attemptDir(plan, attemptNumber));
      const selectFile = await writeNodeIdList(plan, attemptNumber, 'select.txt', [nodeid]);
      context.emit({ type: 'chunk-retry', chunk: plan.name, attempt: attemptNumber, kind: 'blamed-alone', tests: 1, workers: 1 });
      const alone = await runAttempt(deriveAttemptPlan(plan, attemptNumber, 1, { selectFile }), attemptNumber, context);
      attempts.push({ result: alone, kind: 'blamed-alone' });
      mergeRecords(records, alone.records);
      judged.add(nodeid);
      const judgement = judgeAlone(alone, nodeid);
      const entry = blamed.get(nodeid);
      if (entry) entry.verdict = judgement.verdict;
      if (judgement.outcome) verdictOutcomes.push(judgement.outcome);
    }
    if (!mayStartMore()) {
      cutShort = true;
      break;
    }

    const done = finishedIds(records.values());
    for (const nodeid of judged) done.add(nodeid);
    const remaining = first.collectedIds !== null ? first.collectedIds.filter((nodeid) => !done.has(nodeid)).length : first.collected === null ? -1 : Math.max(0, first.collected - done.size);
    // Everything else already has a result (the culprit ran last, or xdist carried on): nothing is left to run.
    if (remaining === 0) break;
    const workers = Math.max(1, Math.floor(current.plan.workers / 2));
    attemptNumber += 1;
    await ensureDir(attemptDir(plan, attemptNumber));
    const deselectFile = await writeNodeIdList(plan, attemptNumber, 'deselect.txt', done);
    context.emit({ type: 'chunk-retry', chunk: plan.name, attempt: attemptNumber, kind: 'not-run', tests: remaining, workers });
    const rest = await runAttempt(deriveAttemptPlan(plan, attemptNumber, workers, { deselectFile }), attemptNumber, context);
    attempts.push({ result: rest, kind: 'not-run' });
    // A test proven in an earlier attempt is never run again, so nothing here replaces its record.
    mergeRecords(records, rest.records.filter((record) => !judged.has(record.nodeid)));
    addBlamed(blamed, rest.blamed.filter((test) => !judged.has(test.nodeid)));
    current = rest;
  }

  const recovered = attempts.length > 1;
  const notRun = countNotRun(first, records);
  const merged = [...records.values()];
  const settled = settleOutcome({
    attemptOutcomes: new Map(attempts.map(({ result }) => [result.attempt, result.outcome])),
    recovered,
    verdictOutcomes,
    lastRun: current.outcome,
    records: merged,
    judged,
    notRun,
    cutShort,
    stoppedForMemory: new Set(attempts.flatMap(({ result }) => result.workerStops)),
  });
  const blamedList = [...blamed.values()];
  const outcome = recovered ? describeRecovered(first, attempts.length - 1, settled, blamedList) : (settled ?? first.outcome);
  return { outcome, attempts, records: withNotRun(first, merged), blamed: blamedList, notRun };
}

/** The chunk's status and message after recovery attempts. */
function describeRecovered(first: AttemptResult, retries: number, settled: Outcome | undefined, blamed: readonly BlamedTest[]): Outcome {
  const retried = `${retries} recovery attempt(s) after the first run (${first.outcome.status})`;
  const cleared = blamed.filter((test) => test.verdict === 'oom-flaky').map((test) => test.nodeid);
  const clearedNote = cleared.length > 0 ? `; ${cleared.join(', ')} passed when run alone (oom-flaky: cleared)` : '';
  if (settled === undefined) return { status: 'passed', message: `recovered: every test passed or was skipped in ${retried}${clearedNote}` };
  // The worst verdict leads the message; the others are named too, so none hides behind it.
  const others = blamed.filter((test) => test.verdict !== null && test.verdict !== 'oom-flaky' && !settled.message.startsWith(test.nodeid));
  const shown = others.slice(0, 3).map((test) => `${test.nodeid} (${test.verdict})`);
  const more = others.length > shown.length ? ` and ${others.length - shown.length} more` : '';
  const othersNote = shown.length > 0 ? `; also ${shown.join(', ')}${more}` : '';
  return { status: settled.status, message: `${settled.message}${othersNote}; ${retried}${clearedNote}` };
}
