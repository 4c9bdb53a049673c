import type { RunnerKind } from '../config/types.js';
import { formatDurationMs } from '../config/parse-duration.js';
import type { ChunkStatus, TerminationReason } from './outcome.js';

/** How a chunk's process ended, as the supervisor saw it. */
export interface ProcessEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  spawnError: string | undefined;
  /** Set when run-chunks stopped the chunk; recorded before the kill. */
  terminationReason: TerminationReason | undefined;
  /** What the reason was about, in words (e.g. the limit and the memory seen), when it has details. */
  terminationDetail: string | undefined;
  /** Rise of the kernel's oom_kill counter while the chunk ran; null when unreadable. */
  oomKillDelta: number | null;
}

/** Facts about the chunk that shape how its end reads. */
export interface ClassifyContext {
  runner: RunnerKind;
  allowEmpty: boolean;
  timeoutMs: number | undefined;
}

/** A chunk's status and one sentence saying why. */
export interface Outcome {
  status: ChunkStatus;
  message: string;
}

// 128 + 9: how shells and container runtimes report a child killed by SIGKILL.
const SIGKILL_EXIT_CODE = 137;

const PYTEST_EXIT_MEANINGS: Record<number, string> = {
  2: 'pytest stopped early (exit 2): collection errors or an interruption',
  3: 'pytest hit an internal error (exit 3)',
  4: 'pytest rejected its command line (exit 4): a bad option, or a path that does not exist',
};

function describeOomEvidence(oomKillDelta: number | null): string {
  if (oomKillDelta === null) return "the kernel's oom_kill counter is not readable here, so this is not confirmed";
  if (oomKillDelta > 0) return `the kernel's oom_kill counter rose by ${oomKillDelta} meanwhile, confirming an OOM kill`;
  return "the kernel's oom_kill counter did not rise, so something else may have sent it";
}

/** Turns how a chunk's process ended into exactly one status. The first termination reason wins. */
export function classifyOutcome(end: ProcessEnd, context: ClassifyContext): Outcome {
  if (end.spawnError !== undefined) return { status: 'error', message: end.spawnError };
  if (end.terminationReason === 'timeout') {
    const limit = context.timeoutMs === undefined ? '' : ` of ${formatDurationMs(context.timeoutMs)}`;
    return { status: 'timeout', message: `stopped by run-chunks after its timeout${limit}` };
  }
  if (end.terminationReason === 'interrupted') return { status: 'interrupted', message: 'stopped because run-chunks was interrupted' };
  if (end.terminationReason === 'memory-limit' || end.terminationReason === 'gpu-memory-limit')
    return { status: end.terminationReason, message: `stopped by run-chunks: ${end.terminationDetail ?? 'it went over its limit'}` };
  if (end.signal === 'SIGKILL')
    return { status: 'oom', message: `killed by SIGKILL that run-chunks did not send; ${describeOomEvidence(end.oomKillDelta)}` };
  if (end.exitCode === SIGKILL_EXIT_CODE)
    return { status: 'oom', message: `exited with code 137 (a process of it was killed by SIGKILL); ${describeOomEvidence(end.oomKillDelta)}` };
  if (end.signal !== null) return { status: 'crashed', message: `killed by signal ${end.signal}` };
  const exitCode = end.exitCode ?? -1;
  if (exitCode === 0) return { status: 'passed', message: 'all selected tests passed' };
  if (context.runner === 'pytest') {
    if (exitCode === 1) return { status: 'failed', message: 'some tests failed' };
    if (exitCode === 5)
      return {
        status: 'no-tests',
        message: context.allowEmpty
          ? 'no tests were selected (allowed by allowEmpty)'
          : 'no tests were selected (pytest exit 5); check the chunk\'s markers and paths, or set "allowEmpty": true',
      };
    return { status: 'error', message: PYTEST_EXIT_MEANINGS[exitCode] ?? `pytest exited with unexpected code ${exitCode}` };
  }
  if (exitCode === 126 || exitCode === 127)
    return { status: 'error', message: `the command could not be run (exit ${exitCode}: not executable or not found)` };
  return { status: 'failed', message: `the command exited with code ${exitCode}` };
}
