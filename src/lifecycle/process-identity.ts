import { readFileSync } from 'node:fs';
import os from 'node:os';
import { maskSecretArgs } from '../util/mask-secrets.js';

// Who is running a run: enough to tell, from another process later, whether that run is still
// alive. A pid alone is not: after the run dies the kernel may give its pid to another program,
// so the process's start time (/proc/PID/stat field 22, clock ticks since boot) and the boot id
// are kept with it, and a pid whose start time differs is someone else.

/** One run-chunks process, as written in a lock file and in an in-progress report.json. */
export interface ProcessIdentity {
  pid: number;
  /** os.hostname() of the machine it runs on. */
  host: string;
  /** Start time in clock ticks since boot (/proc/PID/stat); null where /proc is absent. */
  startTime: number | null;
  /** /proc/sys/kernel/random/boot_id: a reboot makes every earlier pid meaningless; null where absent. */
  bootId: string | null;
  /** Its argv, `run-chunks` first, with secret-looking values masked. */
  command: string[];
  /** When it started this run (ISO 8601). */
  startedAt: string;
}

/** Whether the process a lock or marker names is still running. */
export type Liveness =
  | { state: 'alive' }
  | { state: 'gone'; reason: string }
  /** On another machine (or where /proc is absent): nothing here can tell. */
  | { state: 'unknown'; reason: string };

/** A process's start time in clock ticks since boot, or null (no /proc, or no such process). */
export function readProcessStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); starttime is field 22.
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** This process, for a lock file or marker: `argv` is what follows `run-chunks` on its command line. */
export function describeThisProcess(argv: readonly string[], startedAt: Date): ProcessIdentity {
  return {
    pid: process.pid,
    host: os.hostname(),
    startTime: readProcessStartTime(process.pid),
    bootId: readBootId(),
    command: maskSecretArgs(['run-chunks', ...argv]),
    startedAt: startedAt.toISOString(),
  };
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `identity` is still running, judged from this machine: a process on another host is
 * 'unknown'; here, a missing pid, another boot, or a pid now held by a process that started at
 * another time is 'gone'.
 */
export function checkLiveness(identity: ProcessIdentity): Liveness {
  if (identity.host !== os.hostname()) return { state: 'unknown', reason: `it runs on another machine (${identity.host}), which this one cannot look into` };
  const bootId = readBootId();
  if (identity.bootId !== null && bootId !== null && identity.bootId !== bootId) return { state: 'gone', reason: 'this machine has rebooted since it started' };
  if (identity.startTime === null) {
    if (pidExists(identity.pid)) return { state: 'alive' };
    return { state: 'gone', reason: `no process has pid ${identity.pid}` };
  }
  const startTime = readProcessStartTime(identity.pid);
  if (startTime === null) {
    if (!pidExists(identity.pid)) return { state: 'gone', reason: `no process has pid ${identity.pid}` };
    return { state: 'unknown', reason: `/proc/${identity.pid}/stat cannot be read` };
  }
  if (startTime !== identity.startTime) return { state: 'gone', reason: `pid ${identity.pid} now belongs to another process (it started at another time)` };
  return { state: 'alive' };
}

/** "run-chunks (pid 123 on host1), started at 2026-…, command: run-chunks --chunk a" */
export function describeProcess(identity: ProcessIdentity): string {
  return `run-chunks (pid ${identity.pid} on ${identity.host}), started at ${identity.startedAt}, command: ${identity.command.join(' ')}`;
}

/** Whether a value read from a file is a ProcessIdentity (lock files and markers may be damaged). */
export function isProcessIdentity(value: unknown): value is ProcessIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Number.isInteger(v.pid) &&
    typeof v.host === 'string' &&
    (v.startTime === null || typeof v.startTime === 'number') &&
    (v.bootId === null || typeof v.bootId === 'string') &&
    Array.isArray(v.command) &&
    v.command.every((arg) => typeof arg === 'string') &&
    typeof v.startedAt === 'string'
  );
}
