import type { RunnerKind } from '../config/types.js';
import { formatDurationMs } from '../config/parse-duration.js';
import { formatLimit } from '../config/parse-size.js';
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
  /** What the kernel said about this chunk's end. */
  oom: OomEvidence;
}

/** The kernel's evidence for one chunk's end, as classification needs it. */
export interface OomEvidence {
  /** Rise of the chunk's own cgroup oom_kill counter; null where it had no cgroup with memory counters. */
  chunkOomKills: number | null;
  /** That counter in words ("cgroup v1 memory.oom_control oom_kill of DIR"), or why there is none. */
  source: string;
  /** Set when the evidence is not a counter's rise: the sentence that proves it (a kernel log line). */
  proof?: string;
  /** The kernel memory limit set on the chunk's cgroup (--isolation cgroup), or null. */
  cgroupLimitBytes: number | null;
  /** The chunk's peak as its cgroup counted it, in words ("kernel peak 200 MiB"), or null. */
  kernelPeak: string | null;
  /** Rise of the machine-wide /proc/vmstat oom_kill counter: context only, never proof. */
  machineOomKillDelta: number | null;
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

/** The machine-wide counter, said as what it is: any process's OOM kill raises it. */
function describeMachineContext(delta: number | null): string {
  if (delta === null || delta === 0) return '';
  return `; the machine-wide oom_kill counter rose by ${delta} meanwhile, but that counts any process on the machine, so it is no evidence for this chunk`;
}

/**
 * A SIGKILL (or exit 137) that run-chunks did not send: an OOM kill only where the chunk's own
 * cgroup counted one; at its cgroup's limit that is the limit's kill; otherwise just `killed`.
 */
function classifyKill(how: string, oom: OomEvidence): Outcome {
  const peak = oom.kernelPeak === null ? '' : ` (${oom.kernelPeak})`;
  if (oom.chunkOomKills !== null && oom.chunkOomKills > 0) {
    const counted = oom.proof ?? `${oom.source} rose by ${oom.chunkOomKills}`;
    if (oom.cgroupLimitBytes !== null)
      return { status: 'memory-limit', message: `${how}: the kernel OOM-killed it at its cgroup memory limit of ${formatLimit(oom.cgroupLimitBytes)}; ${counted}${peak}` };
    return { status: 'oom', message: `${how}: the kernel's OOM killer killed it; ${counted}${peak}${describeMachineContext(oom.machineOomKillDelta)}` };
  }
  const why = oom.chunkOomKills === null ? `no OOM counter of its own: ${oom.source}` : `${oom.source} did not rise`;
  return {
    status: 'killed',
    message: `${how} from outside run-chunks; no OOM evidence for this chunk (${why})${describeMachineContext(oom.machineOomKillDelta)}`,
  };
}

/** Turns how a chunk's process ended into exactly one status. The first termination reason wins. */
/**
 * The chunk's outcome when its command lived on but a process of it that ran tests (an xdist
 * worker) was killed under a test, and the chunk's own cgroup counted an OOM kill: the kernel's
 * kill for memory, as for the whole chunk. Without that evidence, the outcome stands.
 */
export function withWorkerOomKill(outcome: Outcome, oom: OomEvidence, workers: readonly string[]): Outcome {
  if (workers.length === 0 || oom.chunkOomKills === null || oom.chunkOomKills === 0) return outcome;
  if (!['passed', 'failed', 'no-tests', 'skipped'].includes(outcome.status)) return outcome;
  const kill = classifyKill(`a process that ran its tests (${workers.join(', ')}) was killed by SIGKILL`, oom);
  return { status: kill.status, message: `${kill.message}; pytest itself went on: ${outcome.message}` };
}

export function classifyOutcome(end: ProcessEnd, context: ClassifyContext): Outcome {
  if (end.spawnError !== undefined) return { status: 'error', message: end.spawnError };
  if (end.terminationReason === 'timeout') {
    const limit = context.timeoutMs === undefined ? '' : ` of ${formatDurationMs(context.timeoutMs)}`;
    return { status: 'timeout', message: `stopped by run-chunks after its timeout${limit}` };
  }
  if (end.terminationReason === 'interrupted') return { status: 'interrupted', message: 'stopped because run-chunks was interrupted' };
  if (end.terminationReason === 'memory-limit' || end.terminationReason === 'gpu-memory-limit')
    return { status: end.terminationReason, message: `stopped by run-chunks: ${end.terminationDetail ?? 'it went over its limit'}` };
  if (end.signal === 'SIGKILL') return classifyKill('killed by SIGKILL', end.oom);
  if (end.exitCode === SIGKILL_EXIT_CODE) return classifyKill('exited with code 137 (a process of it was killed by SIGKILL)', end.oom);
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
