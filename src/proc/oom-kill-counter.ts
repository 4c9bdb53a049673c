import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The kernel's count of OOM kills since boot (`oom_kill` in /proc/vmstat), or null where it
 * cannot be read. A rise while a chunk ran backs up the guess that a SIGKILL came from the OOM killer.
 */
export function readOomKillCount(vmstatPath = '/proc/vmstat'): number | null {
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
