import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { attemptDir, deriveAttemptPlan } from '../plan/derive-attempt-plan.js';
import type { ChunkPlan } from '../plan/types.js';
import type { Outcome } from '../results/classify-outcome.js';
import { compareSeverity } from '../results/outcome.js';
import type { AttemptReport } from '../results/report-types.js';
import { notRunRecords } from '../results/records-to-junit.js';
import type { BlamedTest, TestRecord } from '../results/test-records.js';
import { runAttempt, type AttemptContext, type AttemptResult } from './run-attempt.js';

/** A chunk's attempts after recovery, and what they add up to. */
export interface Recovery {
  outcome: Outcome;
  attempts: { result: AttemptResult; kind: AttemptReport['kind'] }[];
  /** One record per test: the latest attempt's result wins. */
  records: TestRecord[];
  blamed: BlamedTest[];
  /** Tests collected but never run in any attempt; null when the count is unknown. */
  notRun: number | null;
}

/** Writes a list of node ids, one per line, for the plugin's RUN_CHUNKS_SELECT_FILE / DESELECT_FILE. */
async function writeNodeIdList(plan: ChunkPlan, attempt: number, name: string, nodeids: readonly string[]): Promise<string> {
  const file = path.join(attemptDir(plan, attempt), name);
  await writeFile(file, nodeids.map((nodeid) => `${nodeid}\n`).join(''));
  return file;
}

function isOomLike(attempt: AttemptResult): boolean {
  return attempt.outcome.status === 'oom' || attempt.outcome.status === 'memory-limit';
}

/** Tests that reached an end of their own (not killed, not crashed with their worker). */
function finishedIds(records: Iterable<TestRecord>): Set<string> {
  const ids = new Set<string>();
  for (const record of records) if (record.outcome !== 'killed' && record.outcome !== 'crashed') ids.add(record.nodeid);
  return ids;
}

function mergeRecords(into: Map<string, TestRecord>, records: readonly TestRecord[]): void {
  for (const record of records) into.set(record.nodeid, record);
}

function worstOutcome(outcomes: Outcome[]): Outcome | undefined {
  return outcomes.reduce<Outcome | undefined>((worst, outcome) => (worst === undefined || compareSeverity(outcome.status, worst.status) > 0 ? outcome : worst), undefined);
}

function countNotRun(collected: number | null, records: Map<string, TestRecord>): number | null {
  return collected === null ? null : Math.max(0, collected - records.size);
}

/** Adds the tests that never started in any attempt, when the collection is known. */
function withNotRun(first: AttemptResult, records: TestRecord[]): TestRecord[] {
  const reason = `never started: the chunk was stopped (${first.outcome.status}) before it reached this test`;
  return [...records, ...notRunRecords(first.collectedIds, records, reason)];
}

/**
 * After an OOM or memory-limit kill, runs again only what did not complete: the most likely
 * culprit alone in its own process (killed again: 'oom-deterministic'; passes: 'oom-flaky'),
 * then every test that had not finished, with half the workers. Tests that already passed are
 * not run again. Repeats up to the chunk's retryOnOom rounds while attempts keep dying.
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
  const blamed = [...first.blamed];
  const collected = first.collected;
  if (!isOomLike(first) || plan.retryOnOom === 0 || !plan.pytest || !first.hasEvents || first.blamed.length === 0)
    return { outcome: first.outcome, attempts, records: withNotRun(first, [...records.values()]), blamed, notRun: countNotRun(collected, records) };

  const verdicts: Outcome[] = [];
  let current = first;
  let attemptNumber = 1;
  for (let round = 0; round < plan.retryOnOom && isOomLike(current) && current.blamed.length > 0 && mayStartMore(); round += 1) {
    const suspect = current.blamed[0]!;
    attemptNumber += 1;
    await ensureDir(attemptDir(plan, attemptNumber));
    const selectFile = await writeNodeIdList(plan, attemptNumber, 'select.txt', [suspect.nodeid]);
    context.emit({ type: 'chunk-retry', chunk: plan.name, attempt: attemptNumber, kind: 'blamed-alone', tests: 1, workers: 1 });
    const alone = await runAttempt(deriveAttemptPlan(plan, attemptNumber, 1, { selectFile }), attemptNumber, context);
    attempts.push({ result: alone, kind: 'blamed-alone' });
    mergeRecords(records, alone.records);
    suspect.verdict = isOomLike(alone) ? 'oom-deterministic' : 'oom-flaky';
    if (isOomLike(alone)) verdicts.push({ status: alone.outcome.status, message: `${suspect.nodeid} was killed again when run alone (${alone.outcome.message})` });
    if (!mayStartMore()) break;

    const done = finishedIds(records.values());
    done.add(suspect.nodeid);
    const remaining = collected === null ? -1 : Math.max(0, collected - done.size);
    // Everything else already finished (the culprit ran last): nothing is left to run.
    if (remaining === 0) break;
    const workers = Math.max(1, Math.floor(current.plan.workers / 2));
    attemptNumber += 1;
    await ensureDir(attemptDir(plan, attemptNumber));
    const deselectFile = await writeNodeIdList(plan, attemptNumber, 'deselect.txt', [...done]);
    context.emit({ type: 'chunk-retry', chunk: plan.name, attempt: attemptNumber, kind: 'not-run', tests: remaining, workers });
    const rest = await runAttempt(deriveAttemptPlan(plan, attemptNumber, workers, { deselectFile }), attemptNumber, context);
    attempts.push({ result: rest, kind: 'not-run' });
    mergeRecords(records, rest.records);
    blamed.push(...rest.blamed);
    current = rest;
  }

  const merged = [...records.values()];
  const outcomes = [...verdicts];
  if (current !== first && !['passed', 'no-tests'].includes(current.outcome.status)) outcomes.push(current.outcome);
  if (merged.some((record) => record.outcome === 'failed' || record.outcome === 'error'))
    outcomes.push({ status: 'failed', message: 'some tests failed' });
  const flaky = blamed.filter((test) => test.verdict === 'oom-flaky').map((test) => test.nodeid);
  const retried = `${attempts.length - 1} recovery attempt(s) after the ${first.outcome.status}`;
  const flakyNote = flaky.length > 0 ? `; ${flaky.join(', ')} passed when run alone (oom-flaky)` : '';
  const worst = worstOutcome(outcomes);
  const outcome: Outcome = worst
    ? { status: worst.status, message: `${worst.message}; ${retried}${flakyNote}` }
    : { status: 'passed', message: `recovered: everything passed in ${retried}${flakyNote}` };
  return { outcome, attempts, records: withNotRun(first, merged), blamed, notRun: countNotRun(collected, records) };
}
