import { readProcFile } from './read-proc-file.js';
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/PID/stat that run-chunks uses. */
export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  /** CPU time in user and kernel mode, in clock ticks. */
  cpuTicks: number;
  /** Start time after boot, in clock ticks: with the pid, it identifies a process across pid reuse. */
  startTicks: number;
  threads: number;
  /** Resident set size in pages (see pageSizeBytes). */
  rssPages: number;
}

/** Parses the text of /proc/PID/stat; the command name may itself contain spaces and ")". */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // Fields after the name, numbered from 0 here (state), i.e. proc(5)'s field number minus 3.
  const fields = text.slice(close + 2).split(' ');
  const [state, ppid, pgid] = [fields[0], Number(fields[1]), Number(fields[2])];
  if (!state || !Number.isInteger(pid) || !Number.isInteger(ppid) || !Number.isInteger(pgid)) return undefined;
  const numberAt = (index: number): number => {
    const value = Number(fields[index] ?? 0);
    return Number.isFinite(value) ? value : 0;
  };
  return {
    pid,
    state,
    ppid,
    pgid,
    cpuTicks: numberAt(11) + numberAt(12),
    threads: numberAt(17),
    startTicks: numberAt(19),
    rssPages: numberAt(21),
  };
}

/** Whether this system exposes processes under /proc (Linux). */
export function hasProcFs(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}

/** One process's stat, or undefined when it is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readProcFile(`/proc/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/** PIDs of the children of a process's main thread (/proc/PID/task/PID/children); [] when unreadable. */
export function readChildPids(pid: number): number[] {
  try {
    return readProcFile(`/proc/${pid}/task/${pid}/children`)
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

let cachedPageSize: number | undefined;

/**
 * The kernel's page size, which /proc/PID/stat counts RSS in: 4 KiB on x86, often 16 or 64 KiB
 * on Arm. Worked out once by comparing this process's RSS in pages with VmRSS in kB.
 */
export function pageSizeBytes(): number {
  if (cachedPageSize !== undefined) return cachedPageSize;
  cachedPageSize = 4096;
  try {
    const pages = parseProcStat(readFileSync('/proc/self/stat', 'utf8'))?.rssPages ?? 0;
    const rssKib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
    if (pages > 0 && rssKib > 0) cachedPageSize = 2 ** Math.round(Math.log2((rssKib * 1024) / pages));
  } catch {
    // Not Linux: keep the common 4 KiB.
  }
  return cachedPageSize;
}

/** Every live process's stat, read from /proc (processes that vanish mid-scan are skipped). */
export function listProcStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process that exited between readdir and read is simply skipped.
    const stat = readProcStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}
