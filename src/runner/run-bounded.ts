import { spawn, type ChildProcess } from 'node:child_process';
import { registerLiveGroup, unregisterLiveGroup } from './live-groups.js';
import { killGroupNow, stopProcessGroup } from '../proc/process-group.js';

// The short helper runs (the interpreter probe, pytest --collect-only) execute user code: a
// sitecustomize.py, a conftest, a python wrapper script. Any of it may hang, or leave a child
// behind. So each runs as the leader of its own process group, with a deadline, and the whole
// group is stopped when the deadline passes, when the caller aborts (Ctrl-C), or when the leader
// exits (whatever it left behind goes too). Only the tail of the output is kept.

// Enough for pytest's last error lines and a traceback; a collection printing 200,000 node ids
// must not be held whole.
const KEPT_OUTPUT_BYTES = 64 * 1024;
// A helper has nothing worth a long grace: it is stopped because it hangs or the user asked.
const STOP_GRACE_MS = 500;

/** How a bounded run ended. The first reason to stop it wins (a timeout is never reported as an interrupt). */
export interface BoundedRunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last KEPT_OUTPUT_BYTES of each stream. */
  stdout: string;
  stderr: string;
  stoppedBy: 'timeout' | 'interrupt' | undefined;
  /** Set when the program could not be started (ENOENT, EACCES…). */
  spawnError: NodeJS.ErrnoException | undefined;
  durationMs: number;
}

export interface BoundedRunOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  timeoutMs: number;
  /** Aborting stops the run's whole group (Ctrl-C). */
  signal?: AbortSignal;
}

/** Keeps the last `limit` bytes written to it. */
class OutputTail {
  private chunks: Buffer[] = [];
  private bytes = 0;

  push(data: Buffer): void {
    this.chunks.push(data);
    this.bytes += data.length;
    while (this.bytes - this.chunks[0]!.length >= KEPT_OUTPUT_BYTES) this.bytes -= this.chunks.shift()!.length;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - KEPT_OUTPUT_BYTES)).toString('utf8');
  }
}

// A process that left the group (setsid, a daemon) may hold the pipes open; this long, then they
// are closed from this side.
const PIPE_DRAIN_TIMEOUT_MS = 2_000;

function waitForPipes(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.stdout!.closed && child.stderr!.closed) {
      done();
      return;
    }
    const timer = setTimeout(() => {
      child.stdout!.destroy();
      child.stderr!.destroy();
      done();
    }, PIPE_DRAIN_TIMEOUT_MS);
    child.once('close', () => {
      clearTimeout(timer);
      done();
    });
  });
}

/** Runs `argv` (never through a shell) in its own process group, bounded as described above. */
export function runBounded(argv: readonly string[], options: BoundedRunOptions): Promise<BoundedRunResult> {
  const startedAt = Date.now();
  const stdout = new OutputTail();
  const stderr = new OutputTail();
  let stoppedBy: BoundedRunResult['stoppedBy'];
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ exitCode: null, signal: null, stdout: '', stderr: '', stoppedBy: 'interrupt', spawnError: undefined, durationMs: 0 });
      return;
    }
    const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pgid = child.pid;
    if (pgid !== undefined) registerLiveGroup(pgid);
    child.stdout!.on('data', (data: Buffer) => stdout.push(data));
    child.stderr!.on('data', (data: Buffer) => stderr.push(data));
    let stopping: Promise<boolean> | undefined;
    const stop = (reason: 'timeout' | 'interrupt'): void => {
      // Recorded before the kill: the first reason is the one reported.
      stoppedBy ??= reason;
      if (pgid !== undefined) stopping ??= stopProcessGroup(pgid, STOP_GRACE_MS);
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    const onAbort = (): void => stop('interrupt');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const finish = async (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException): Promise<void> => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (pgid !== undefined) {
        // The leader is gone; whatever it left in its group goes too, and only then do the pipes close.
        killGroupNow(pgid);
        await stopping;
        await waitForPipes(child);
        unregisterLiveGroup(pgid);
      }
      resolve({ exitCode, signal, stdout: stdout.text(), stderr: stderr.text(), stoppedBy, spawnError, durationMs: Date.now() - startedAt });
    };
    child.once('exit', (exitCode, signal) => void finish(exitCode, signal));
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (pgid === undefined) void finish(null, null, error);
    });
  });
}

/** The last `count` non-empty lines of `text`, joined with " / " for a one-paragraph message. */
export function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .join(' / ');
}
