import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { stopProcessGroup } from '../proc/process-group.js';
import { registerLiveGroup, unregisterLiveGroup } from '../runner/live-groups.js';

/** How an nvidia-smi process ended. */
export interface SmiProcessEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError: NodeJS.ErrnoException | undefined;
}

/** One running nvidia-smi, leading its own process group. */
export interface SmiProcess {
  /** Resolves once the process has exited and all its output lines were delivered. */
  readonly ended: Promise<SmiProcessEnd>;
  /** SIGTERM to the group, a short grace, SIGKILL; resolves when the group is gone. */
  stop(): Promise<void>;
}

// nvidia-smi exits at once on SIGTERM; one that does not within this is stuck and gets SIGKILL.
const STOP_GRACE_MS = 300;
// After exit, output still in the pipe is read for at most this long (nothing else should hold it).
const PIPE_DRAIN_TIMEOUT_MS = 1_000;
// nvidia-smi's lines are short (a CSV row is under 200 characters). A program that never prints a
// newline must not grow an unfinished line without bound: readline did, until V8's string limit
// (~512 MiB, about a second of a flooding pipe) crashed the whole run with a RangeError.
const MAX_LINE_CHARS = 64 * 1024;

/**
 * Passes every line of `stream` to `onLine`, without its "\n" or "\r\n". A line longer than
 * MAX_LINE_CHARS is passed on cut to that length, and its rest, up to the next newline, dropped.
 */
function forwardLines(stream: Readable, onLine: (line: string) => void): void {
  // A read error on our end of the pipe only means no more lines; the exit is reported separately.
  stream.on('error', () => undefined);
  stream.setEncoding('utf8');
  let unfinished = '';
  // Whether the unfinished line was already passed on, cut short: what follows it is dropped.
  let cut = false;
  const deliver = (line: string): void => onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  stream.on('data', (text: string) => {
    const pieces = text.split('\n');
    const rest = pieces.pop()!;
    for (const piece of pieces) {
      if (!cut) deliver((unfinished + piece).slice(0, MAX_LINE_CHARS));
      unfinished = '';
      cut = false;
    }
    if (cut) return;
    unfinished += rest;
    if (unfinished.length > MAX_LINE_CHARS) {
      deliver(unfinished.slice(0, MAX_LINE_CHARS));
      unfinished = '';
      cut = true;
    }
  });
  stream.on('end', () => {
    if (unfinished !== '') deliver(unfinished);
  });
}

function waitUntil(closed: Promise<void>, timeoutMs: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve();
    }, timeoutMs);
  });
  return Promise.race([closed, timedOut]).finally(() => clearTimeout(timer));
}

/**
 * Starts nvidia-smi as the leader of its own process group (registered with the exit safety
 * net), passing every line of its stdout and stderr to `onLine`: errors go to stdout anyway.
 */
export function startSmiProcess(program: string, args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): SmiProcess {
  const child = spawn(program, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = child.pid;
  if (pgid !== undefined) registerLiveGroup(pgid);
  forwardLines(child.stdout!, onLine);
  forwardLines(child.stderr!, onLine);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));

  let stopping: Promise<boolean> | undefined;
  const stopGroup = (): Promise<boolean> => {
    if (pgid === undefined) return Promise.resolve(true);
    stopping ??= stopProcessGroup(pgid, STOP_GRACE_MS);
    return stopping;
  };

  const ended = new Promise<SmiProcessEnd>((resolve) => {
    child.once('exit', (exitCode, signal) => {
      void (async () => {
        // The leader is gone; anything it left in its group goes too.
        const groupCleared = await stopGroup();
        await waitUntil(closed, PIPE_DRAIN_TIMEOUT_MS, () => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        });
        if (pgid !== undefined && groupCleared) unregisterLiveGroup(pgid);
        resolve({ exitCode, signal, spawnError: undefined });
      })();
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      // After a successful spawn, 'error' only reports a failed kill(), which stopGroup covers.
      if (pgid === undefined) resolve({ exitCode: null, signal: null, spawnError: error });
    });
  });

  return {
    ended,
    async stop() {
      // A group that survives SIGKILL (stuck in the driver) never reports its exit: don't wait
      // for it; it stays registered, so the exit hook tries once more.
      if (await stopGroup()) await ended;
    },
  };
}
