import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChunkPlan } from '../plan/types.js';
import { buildJunitSuiteXml } from '../results/junit-writer.js';
import { recordToJunitCase } from '../results/records-to-junit.js';
import type { TestRecord } from '../results/test-records.js';
import type { Recovery } from './recover-from-oom.js';
import type { AttemptResult } from './run-attempt.js';

/** Name of the JUnit file rebuilt from the event stream, inside the chunk's report folder. */
export const REBUILT_JUNIT_NAME = 'junit.xml';

/**
 * The chunk's JUnit file: pytest's own when it wrote one and nothing was re-run; otherwise one
 * rebuilt from the event stream (completed tests, the killed test as an error, tests that never
 * ran as skipped, the results of recovery attempts). Returns its path, or null when there is
 * nothing to write it from.
 */
export async function writeChunkJunit(plan: ChunkPlan, first: AttemptResult, recovery: Recovery, records: readonly TestRecord[]): Promise<string | null> {
  if (first.junitCounts !== undefined && recovery.attempts.length === 1) return plan.junitPath ?? null;
  if (!recovery.attempts.some(({ result }) => result.hasEvents)) return null;
  const target = plan.junitPath ?? path.join(plan.chunkReportDir, REBUILT_JUNIT_NAME);
  const xml = buildJunitSuiteXml({
    name: plan.name,
    timestamp: first.startedAt.toISOString(),
    durationMs: recovery.attempts.reduce((sum, { result }) => sum + result.durationMs, 0),
    properties: { status: recovery.outcome.status, message: recovery.outcome.message, rebuiltBy: 'run-chunks (pytest did not write this file itself)' },
    cases: records.map(recordToJunitCase),
    systemOut: `Full output: ${plan.logFile}`,
  });
  await writeFile(target, xml);
  return target;
}
