// Chunk outcomes, their severity and how they map to run-chunks' exit code: written down once.

/** Every status a chunk can end with, from least to most severe. */
export const CHUNK_STATUSES = [
  'passed',
  'skipped',
  'no-tests',
  'failed',
  'error',
  'crashed',
  'timeout',
  'memory-limit',
  'gpu-memory-limit',
  'killed',
  'oom',
  'interrupted',
] as const;
export type ChunkStatus = (typeof CHUNK_STATUSES)[number];

/** Why run-chunks itself stopped a chunk. The first reason recorded wins. */
export type TerminationReason = 'timeout' | 'interrupted' | 'memory-limit' | 'gpu-memory-limit';

/** Statuses meaning the chunk's process did not finish on its own terms (exit code 3). */
export const BROKEN_STATUSES: readonly ChunkStatus[] = ['error', 'crashed', 'timeout', 'memory-limit', 'gpu-memory-limit', 'killed', 'oom'];

/** Documented exit codes of run-chunks. */
export const EXIT_CODES = {
  passed: 0,
  testsFailed: 1,
  usage: 2,
  chunkBroken: 3,
  interrupted: 130,
} as const;

/** The run's overall status, one per exit code. */
export type RunStatus = 'passed' | 'failed' | 'error' | 'interrupted';

/** Orders statuses by severity (negative when `a` is less severe). */
export function compareSeverity(a: ChunkStatus, b: ChunkStatus): number {
  return CHUNK_STATUSES.indexOf(a) - CHUNK_STATUSES.indexOf(b);
}

/** Whether a chunk's status makes the run fail, if the chunk is required. */
export function isFailingStatus(status: ChunkStatus, allowEmpty: boolean): boolean {
  if (status === 'no-tests') return !allowEmpty;
  return status !== 'passed' && status !== 'skipped';
}

/** What decides a chunk's share in the run's outcome. */
export interface OutcomeInput {
  status: ChunkStatus;
  required: boolean;
  allowEmpty: boolean;
  /** The chunk's memory verdict was 'leak' (only counts with --fail-on-leak). */
  leaked: boolean;
}

/**
 * Decides the run's status and exit code from its chunks (non-required chunks never fail it).
 * With `failOnLeak`, a required chunk judged to leak fails the run like a failed test.
 */
export function decideRunOutcome(
  chunks: readonly OutcomeInput[],
  interrupted: boolean,
  failOnLeak = false,
): { status: RunStatus; exitCode: number } {
  if (interrupted) return { status: 'interrupted', exitCode: EXIT_CODES.interrupted };
  const required = chunks.filter((chunk) => chunk.required);
  const failing = required.filter((chunk) => isFailingStatus(chunk.status, chunk.allowEmpty));
  if (failing.some((chunk) => BROKEN_STATUSES.includes(chunk.status) || chunk.status === 'no-tests'))
    return { status: 'error', exitCode: EXIT_CODES.chunkBroken };
  if (failing.length > 0 || (failOnLeak && required.some((chunk) => chunk.leaked)))
    return { status: 'failed', exitCode: EXIT_CODES.testsFailed };
  return { status: 'passed', exitCode: EXIT_CODES.passed };
}
