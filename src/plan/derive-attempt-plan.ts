import path from 'node:path';
import { buildPytestArgv } from './pytest-invocation.js';
import type { ChunkPlan } from './types.js';

/** Which tests a recovery attempt runs: listed ones only, or all but the listed ones. */
export type TestSelection = { selectFile: string } | { deselectFile: string };

/** The report folder of a recovery attempt, inside its chunk's. */
export function attemptDir(plan: ChunkPlan, attempt: number): string {
  return path.join(plan.chunkReportDir, `attempt-${attempt}`);
}

/**
 * The plan of a recovery attempt after an OOM: the same pytest selection, `workers` workers, a
 * list of node ids to run (or to leave out) read by the bundled plugin, and its own log, JUnit
 * and event files. An empty selection is not an error there: there may be nothing left to run.
 */
export function deriveAttemptPlan(plan: ChunkPlan, attempt: number, workers: number, selection: TestSelection): ChunkPlan {
  if (!plan.pytest || plan.eventsFile === undefined) throw new Error(`chunk "${plan.name}" cannot be re-run in part: it is not a pytest chunk with the event plugin`);
  const dir = attemptDir(plan, attempt);
  const junitPath = path.join(dir, 'junit.xml');
  const eventsFile = path.join(dir, path.basename(plan.eventsFile));
  const env: Record<string, string> = { ...plan.env, RUN_CHUNKS_EVENTS_FILE: eventsFile };
  if ('selectFile' in selection) env.RUN_CHUNKS_SELECT_FILE = selection.selectFile;
  else env.RUN_CHUNKS_DESELECT_FILE = selection.deselectFile;
  return {
    ...plan,
    argv: buildPytestArgv(plan.pytest, workers, junitPath),
    env,
    workers,
    needsXdist: workers > 1,
    allowEmpty: true,
    junitPath,
    chunkReportDir: dir,
    logFile: path.join(dir, 'output.log'),
    eventsFile,
  };
}
