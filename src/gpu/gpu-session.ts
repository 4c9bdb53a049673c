import type { GpuSnapshot } from './gpu-monitor.js';
import { createDeviceRoundSplitter } from './device-round-splitter.js';
import { parseComputeAppsLine, parseGpuQueryLine, type GpuDeviceReading, type GpuProcessReading } from './nvidia-smi-csv.js';
import { buildDeviceLoopArgs, buildProcessQueryArgs } from './nvidia-smi-queries.js';
import { startSmiProcess, type SmiProcess, type SmiProcessEnd } from './smi-process.js';

// One attempt at sampling: a long-lived `--query-gpu` loop, plus one `--query-compute-apps`
// query each time the loop completes a round of GPU rows.
//
// Why not a second loop for processes: a compute-apps iteration without processes prints
// nothing, and no header marks iterations, so "no processes" and "hung" would look the same. A one-shot query is delimited by its own exit: empty output with exit code 0 means
// no processes. The device loop keeps NVML initialised, which makes those queries cheap, and
// paces them: a query still running when the next round completes is not doubled up.
//
// A tick (one GpuSnapshot) is the newest complete device round plus a successful process query.
// The session reports its first failure once and samples nothing more; the monitor decides
// whether to start another session.

/** Why a session stopped sampling. */
export interface SessionFailure {
  reason: string;
  /** True when another attempt cannot help (the program is missing or not executable). */
  permanent: boolean;
}

/** What one sampling attempt runs, and where it reports. */
export interface GpuSessionOptions {
  nvidiaSmi: string;
  intervalMs: number;
  stallTimeoutMs: number;
  env: NodeJS.ProcessEnv;
  onSnapshot: (snapshot: GpuSnapshot) => void;
  /** Called at most once. The session's processes keep running until `stop()`. */
  onFailure: (failure: SessionFailure) => void;
}

/** A running sampling attempt. */
export interface GpuSession {
  /** Stops every nvidia-smi of the session and its timers; safe to call more than once. */
  stop(): Promise<void>;
}

// Output lines quoted in messages are cut here: a misbehaving program may print anything.
const QUOTE_MAX_CHARS = 160;

function quote(line: string): string {
  const trimmed = line.trim();
  return trimmed.length > QUOTE_MAX_CHARS ? `${trimmed.slice(0, QUOTE_MAX_CHARS)}…` : trimmed;
}

function describeEnd(program: string, what: string, end: SmiProcessEnd, firstStrayLine: string | undefined): SessionFailure {
  const error = end.spawnError;
  if (error !== undefined) {
    if (error.code === 'ENOENT')
      return { reason: `could not start "${program}": no such program${program.includes('/') ? '' : ' on PATH'}`, permanent: true };
    if (error.code === 'EACCES') return { reason: `could not start "${program}": permission denied (is it executable?)`, permanent: true };
    return { reason: `could not start "${program}": ${error.message}`, permanent: false };
  }
  const how = end.signal !== null ? `was killed by ${end.signal}` : `exited with code ${end.exitCode ?? 'unknown'}`;
  const said = firstStrayLine === undefined ? '' : `: ${quote(firstStrayLine)}`;
  return { reason: `${what} ${how}${said}`, permanent: false };
}

/** Starts one sampling attempt; see the comment at the top of this file. */
export function startGpuSession(options: GpuSessionOptions): GpuSession {
  const { nvidiaSmi: program, env } = options;
  const splitter = createDeviceRoundSplitter();
  let latestRound: GpuDeviceReading[] | undefined;
  let processQuery: SmiProcess | undefined;
  let finished = false;
  let samplerStrayLine: string | undefined;
  let stallTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;

  const fail = (failure: SessionFailure): void => {
    if (finished) return;
    finished = true;
    clearTimeout(stallTimer);
    options.onFailure(failure);
  };

  // Which part stalled: a process query still out is the culprit (the loop's rounds are what
  // start queries, so a silent loop leaves none out); otherwise the loop, quoting what it printed.
  const describeStall = (): string => {
    const stalled = `nvidia-smi gave no complete reading for ${options.stallTimeoutMs} ms`;
    if (processQuery !== undefined) return `${stalled}: nvidia-smi --query-compute-apps has not returned`;
    return samplerStrayLine === undefined ? stalled : `${stalled}; it printed: ${quote(samplerStrayLine)}`;
  };

  const armStallTimer = (): void => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => fail({ reason: describeStall(), permanent: false }), options.stallTimeoutMs);
  };

  const completeTick = (processes: GpuProcessReading[]): void => {
    if (finished || latestRound === undefined) return;
    armStallTimer();
    options.onSnapshot({ takenAtMs: Date.now(), devices: latestRound, processes });
  };

  const queryProcesses = (): void => {
    if (finished || processQuery !== undefined) return;
    const processes: GpuProcessReading[] = [];
    let strayLine: string | undefined;
    const query = startSmiProcess(program, buildProcessQueryArgs(), env, (line) => {
      const reading = parseComputeAppsLine(line);
      if (reading !== undefined) processes.push(reading);
      else if (line.trim() !== '') strayLine ??= line;
    });
    processQuery = query;
    void query.ended.then((end) => {
      if (processQuery === query) processQuery = undefined;
      if (finished) return;
      if (end.spawnError !== undefined || end.exitCode !== 0) {
        fail(describeEnd(program, 'nvidia-smi --query-compute-apps', end, strayLine));
        return;
      }
      // Only unreadable lines: not "no processes". No tick; the stall timer judges persistence.
      if (processes.length === 0 && strayLine !== undefined) return;
      completeTick(processes);
    });
  };

  const sampler = startSmiProcess(program, buildDeviceLoopArgs(options.intervalMs), env, (line) => {
    if (finished) return;
    const reading = parseGpuQueryLine(line);
    if (reading === undefined) {
      if (line.trim() !== '') samplerStrayLine ??= line;
      return;
    }
    const round = splitter.push(reading);
    if (round === undefined) return;
    latestRound = round;
    queryProcesses();
  });
  void sampler.ended.then((end) => fail(describeEnd(program, 'nvidia-smi', end, samplerStrayLine)));
  armStallTimer();

  return {
    stop() {
      finished = true;
      clearTimeout(stallTimer);
      stopping ??= Promise.all([sampler.stop(), processQuery?.stop()]).then(() => undefined);
      return stopping;
    },
  };
}
