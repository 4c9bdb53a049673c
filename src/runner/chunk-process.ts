import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, openSync, readFileSync, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import type { ChunkPlan } from '../plan/types.js';
import type { ChunkCgroup } from '../proc/cgroup/chunk-cgroup.js';
import { killMarkedProcesses, readCommand, type MarkedProcess } from '../proc/marker-sweep.js';
import { preferAsOomVictim } from '../proc/oom-kill-counter.js';
import { killGroupNow, stopProcessGroup } from '../proc/process-group.js';
import type { TerminationReason } from '../results/outcome.js';
import { registerLiveGroup, unregisterLiveGroup } from './live-groups.js';
import { holdUnlinkedFile, restoreFile } from './lost-folder.js';

/** How the chunk's process ended, before classification. */
export interface ChunkProcessEnd {
  pid: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  spawnError: string | undefined;
  terminationReason: TerminationReason | undefined;
  terminationDetail: string | undefined;
  /** False when processes of the group outlived even SIGKILL's settle time. */
  groupCleared: boolean;
  /**
   * Processes that had left the group (setsid, a daemon) and outlived the command: killed at its
   * end, found in the chunk's cgroup, re-parented to the launcher, or by the chunk's markers.
   */
  escaped: EscapedProcess[];
  /** Set when the launcher could not put the chunk in its cgroup (the command did not run). */
  launcherError: string | undefined;
  /** The command's own pid under the launcher (the group leader is the launcher); undefined without one. */
  commandPid: number | undefined;
  /** The launcher ran but could not become the child subreaper. */
  subreaperFailed: boolean;
}

/** A process killed at the chunk's end, and how it was found. */
export interface EscapedProcess extends MarkedProcess {
  foundBy: 'cgroup' | 'subreaper' | 'markers';
}

/** How the chunk's descendants are contained, whatever they do to their environment. */
export interface Containment {
  /** The chunk's own cgroup: the launcher joins it before the command can fork. */
  cgroup: ChunkCgroup | undefined;
  /** A python3 for the launcher (child subreaper); undefined: none found, no subreaper. */
  python: string | undefined;
  /** Where the launcher writes what it killed (and a failure to join the cgroup). */
  statusFile: string;
}

/** The bundled launcher: `python/run_chunks_launcher.py` at the package root (dist/src/runner → root). */
export function bundledLauncher(): string {
  return fileURLToPath(new URL('../../../python/run_chunks_launcher.py', import.meta.url));
}

// Without a python, sh joins the cgroup (its own pid, before anything forks) and execs the command.
const SH_JOIN_SCRIPT = 'echo $$ > "$1" 2>/dev/null || { echo "error could not join the chunk\'s cgroup ($1)" >> "$2"; exit 125; }; shift 2; exec "$@"';

/** The argv that runs `argv` contained: through the launcher, or sh where there is no python. */
export function containedArgv(argv: readonly string[], containment: Containment): string[] {
  const { cgroup, python, statusFile } = containment;
  if (python !== undefined)
    return [python, '-I', '-S', bundledLauncher(), ...(cgroup ? ['--cgroup-procs', cgroup.procsFile] : []), '--status-file', statusFile, '--', ...argv];
  if (cgroup) return ['/bin/sh', '-c', SH_JOIN_SCRIPT, 'run-chunks-join', cgroup.procsFile, statusFile, ...argv];
  return [...argv];
}

/** What the launcher wrote: processes it killed, and an error that kept the command from running. */
interface LauncherStatus {
  killed: EscapedProcess[];
  error: string | undefined;
  execError: NodeJS.ErrnoException | undefined;
  commandPid: number | undefined;
  subreaperFailed: boolean;
}

function readLauncherStatus(statusFile: string): LauncherStatus {
  let text = '';
  try {
    text = readFileSync(statusFile, 'utf8');
  } catch {
    return { killed: [], error: undefined, execError: undefined, commandPid: undefined, subreaperFailed: false };
  }
  let commandPid: number | undefined;
  let subreaperFailed = false;
  const killed: EscapedProcess[] = [];
  let error: string | undefined;
  let execError: NodeJS.ErrnoException | undefined;
  for (const line of text.split('\n')) {
    const match = /^killed (\d+) (.*)$/.exec(line);
    if (match) killed.push({ pid: Number(match[1]), command: match[2]!, foundBy: 'subreaper' });
    else if (/^command \d+$/.test(line)) commandPid = Number(line.slice('command '.length));
    else if (line.startsWith('no-subreaper')) subreaperFailed = true;
    else if (line.startsWith('error ')) error ??= line.slice('error '.length);
    else if (line.startsWith('exec-error ')) {
      // The command itself could not be started: said as a failed spawn would be.
      const [code, ...message] = line.slice('exec-error '.length).split(' ');
      execError ??= Object.assign(new Error(message.join(' ')), { code });
    }
  }
  return { killed, error, execError, commandPid, subreaperFailed };
}

/** A running chunk process: the exact group it leads, and the ways to stop it. */
export interface ChunkProcessHandle {
  readonly pid: number | undefined;
  /**
   * SIGTERM the group, wait the grace period (the plan's, or `gracePeriodMs` when shorter), then
   * SIGKILL the group. The first reason wins.
   */
  terminate(reason: TerminationReason, detail?: string, gracePeriodMs?: number): void;
  /** SIGKILL the group at once (a second Ctrl-C). */
  killNow(reason: TerminationReason): void;
  readonly ended: Promise<ChunkProcessEnd>;
}

export interface ChunkProcessOptions {
  /** Extra variables for every process of the chunk (run id markers). */
  extraEnv: Record<string, string>;
  /**
   * NAME=value pairs only the chunk's processes carry (run id and chunk name): at the chunk's
   * end, processes that escaped its group but still carry them are killed too.
   */
  markers: Record<string, string>;
  /** The chunk's cgroup and launcher; undefined: spawned bare (group and markers only). */
  containment: Containment | undefined;
  onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => void;
  onLogError: (error: Error) => void;
}

// Once the leader and its group are gone, a process that escaped the group (setsid) may still
// hold our pipes open; this long, then the pipes are closed from our side.
const PIPE_DRAIN_TIMEOUT_MS = 2_000;

/** Copies a child's output to the log (pausing the child when the disk falls behind) and to a callback. */
function forwardOutput(source: Readable, log: WriteStream, emit: (data: Buffer) => void): void {
  source.on('data', (data: Buffer) => {
    if (!log.write(data)) {
      source.pause();
      log.once('drain', () => source.resume());
    }
    emit(data);
  });
}

function describeSpawnError(error: NodeJS.ErrnoException, plan: ChunkPlan): string {
  const program = plan.argv[0] ?? '';
  if (error.code === 'ENOENT')
    return `could not start "${program}": no such program (or the working directory ${plan.cwd} does not exist). Check the interpreter or command in the config.`;
  if (error.code === 'EACCES') return `could not start "${program}": permission denied. Make it executable (chmod +x) or fix the path.`;
  return `could not start "${program}": ${error.message}`;
}

function waitForClose(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.stdout?.readableEnded !== false && child.stderr?.readableEnded !== false) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve();
    }, PIPE_DRAIN_TIMEOUT_MS);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Opens the log for writing, keeping its descriptor (see holdUnlinkedFile); undefined lets the stream report the error. */
function openLogFd(file: string): number | undefined {
  try {
    return openSync(file, 'w');
  } catch {
    return undefined;
  }
}

function closeLog(log: WriteStream): Promise<void> {
  if (log.destroyed) return Promise.resolve();
  return new Promise((resolve) => log.end(() => resolve()));
}

/**
 * Spawns a chunk from its argv as the leader of a new process group (and session), streams
 * its output to the plan's log file, and stops the whole group when asked or when it ends.
 */
export function startChunkProcess(plan: ChunkPlan, options: ChunkProcessOptions): ChunkProcessHandle {
  const { containment } = options;
  const [program, ...args] = containment ? containedArgv(plan.argv, containment) : plan.argv;
  const logFd = openLogFd(plan.logFile);
  const log = logFd === undefined ? createWriteStream(plan.logFile) : createWriteStream(plan.logFile, { fd: logFd });
  // A failing disk must not crash the run: the chunk goes on, its log is simply incomplete.
  log.on('error', (error) => options.onLogError(error));
  let terminationReason: TerminationReason | undefined;
  let terminationDetail: string | undefined;
  let stopping: Promise<boolean> | undefined;
  let leaderExited = false;

  const child = spawn(program!, args, {
    cwd: plan.cwd,
    env: { ...process.env, ...plan.env, ...options.extraEnv },
    // detached: setsid() in the child, so the chunk leads its own process group and session.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid;
  if (pgid !== undefined) {
    registerLiveGroup(pgid);
    preferAsOomVictim(pgid);
  }
  forwardOutput(child.stdout!, log, (data) => options.onOutput('stdout', data));
  forwardOutput(child.stderr!, log, (data) => options.onOutput('stderr', data));

  const stopGroup = (gracePeriodMs = plan.gracePeriodMs): Promise<boolean> => {
    if (pgid === undefined) return Promise.resolve(true);
    stopping ??= stopProcessGroup(pgid, Math.min(gracePeriodMs, plan.gracePeriodMs));
    return stopping;
  };

  const timeoutTimer =
    plan.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          terminationReason ??= 'timeout';
          void stopGroup();
        }, plan.timeoutMs);

  const ended = new Promise<ChunkProcessEnd>((resolve) => {
    const finish = async (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: string): Promise<void> => {
      if (leaderExited) return;
      leaderExited = true;
      clearTimeout(timeoutTimer);
      // The leader is gone; whatever it left in its group (xdist workers, grandchildren) goes too.
      const groupCleared = await stopGroup();
      // Whatever left the group (setsid, a daemon) is still in the chunk's cgroup, whatever its
      // environment; the launcher killed what re-parented to it; the markers find the rest.
      const launcher: LauncherStatus = containment ? readLauncherStatus(containment.statusFile) : { killed: [], error: undefined, execError: undefined, commandPid: undefined, subreaperFailed: false };
      const escaped: EscapedProcess[] = [...launcher.killed];
      const cgroup = containment?.cgroup;
      if (cgroup) {
        const inCgroup = cgroup.pids();
        for (const pid of inCgroup) escaped.push({ pid, command: readCommand(pid), foundBy: 'cgroup' });
        if (inCgroup.length > 0) await cgroup.killAll();
      }
      for (const marked of await killMarkedProcesses(options.markers)) escaped.push({ ...marked, foundBy: 'markers' });
      await waitForClose(child);
      // A test may have deleted the log with the chunk's folder: what it holds is copied back.
      const unlinkedLog = holdUnlinkedFile(logFd);
      await closeLog(log);
      if (unlinkedLog !== undefined) restoreFile(unlinkedLog, plan.logFile);
      if (pgid !== undefined && groupCleared) unregisterLiveGroup(pgid);
      resolve({ pid: pgid, exitCode, signal, spawnError, terminationReason, terminationDetail, groupCleared, escaped, launcherError: launcher.error ?? (launcher.execError ? describeSpawnError(launcher.execError, plan) : undefined), commandPid: launcher.commandPid, subreaperFailed: launcher.subreaperFailed });
    };
    child.once('exit', (exitCode, signal) => void finish(exitCode, signal));
    child.once('error', (error: NodeJS.ErrnoException) => {
      // After a successful spawn, 'error' only reports a failed kill(), which stopGroup covers.
      if (pgid === undefined) void finish(null, null, describeSpawnError(error, plan));
    });
  });

  return {
    pid: pgid,
    terminate(reason, detail, gracePeriodMs) {
      if (terminationReason === undefined) {
        // Recorded before the kill: the first reason (and its details) is the one reported.
        terminationReason = reason;
        terminationDetail = detail;
      }
      void stopGroup(gracePeriodMs);
    },
    killNow(reason) {
      terminationReason ??= reason;
      if (pgid !== undefined) killGroupNow(pgid);
    },
    ended,
  };
}
