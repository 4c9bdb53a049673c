import { readFileSync, writeFileSync } from 'node:fs';

// RUN_CHUNKS_VMSTAT_FILE stands in for /proc/vmstat (tests: a machine-wide counter that rises
// for a neighbour's OOM kill must never make a chunk's SIGKILL an oom).

/**
 * The kernel's count of OOM kills since boot (`oom_kill` in /proc/vmstat), or null where it
 * cannot be read. Any process's OOM kill raises it, so a rise while a chunk ran is context,
 * never evidence for that chunk.
 */
export function readOomKillCount(vmstatPath = process.env.RUN_CHUNKS_VMSTAT_FILE || '/proc/vmstat'): number | null {
  try {
    const match = /^oom_kill (\d+)$/m.exec(readFileSync(vmstatPath, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

// The maximum score: raising it needs no privilege, and children forked later inherit it.
const PREFERRED_VICTIM_SCORE = 1000;

/** Makes a process the kernel's preferred OOM victim, so a blow-up kills the chunk, not run-chunks. */
export function preferAsOomVictim(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/oom_score_adj`, String(PREFERRED_VICTIM_SCORE));
    return true;
  } catch {
    return false;
  }
}
