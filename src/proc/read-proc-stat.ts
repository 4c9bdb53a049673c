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
  const cpuTicks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  const startTicks = Number(fields[19] ?? 0);
  return { pid, state, ppid, pgid, cpuTicks: Number.isFinite(cpuTicks) ? cpuTicks : 0, startTicks: Number.isFinite(startTicks) ? startTicks : 0 };
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

/** Every live process's stat, read from /proc (processes that vanish mid-scan are skipped). */
export function listProcStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseProcStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (stat) stats.push(stat);
    } catch {
      // The process exited between readdir and read.
    }
  }
  return stats;
}
