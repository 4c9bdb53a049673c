import { execFileSync } from 'node:child_process';
import type { ProcStat } from './read-proc-stat.js';

// Where there is no /proc (macOS, the BSDs), `ps` lists processes; one call per full scan.
const PS_TIMEOUT_MS = 5_000;

/** Parses `ps -A -o pid=,ppid=,pgid=,state=` output into the fields the tracker needs. */
export function parsePsListing(text: string): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const line of text.split('\n')) {
    const [pid, ppid, pgid, state] = line.trim().split(/\s+/);
    if (!pid || !ppid || !pgid || !/^\d+$/.test(pid) || !/^\d+$/.test(ppid) || !/^\d+$/.test(pgid)) continue;
    // ps states: Z is a zombie on every platform; the rest only matter as "alive".
    stats.push({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), state: state?.startsWith('Z') ? 'Z' : 'S', cpuTicks: 0, startTicks: 0, threads: 0, rssPages: 0 });
  }
  return stats;
}

/** Every process on the machine, listed by `ps`; [] when ps cannot run. */
export function listProcessesWithPs(): ProcStat[] {
  try {
    return parsePsListing(execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,state='], { encoding: 'utf8', timeout: PS_TIMEOUT_MS }));
  } catch {
    return [];
  }
}
