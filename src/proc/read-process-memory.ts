import { readProcFile } from './read-proc-file.js';
import { readdirSync, readFileSync } from 'node:fs';

/** The costly part of a process's usage, read every few seconds rather than every sample. */
export interface ProcessDetail {
  /** Proportional set size: shared pages divided among the processes sharing them; null where unreadable. */
  pssBytes: number | null;
  /** Open file descriptors; null where unreadable. */
  fds: number | null;
}

const KIB = 1024;

/**
 * Reads PSS from /proc/PID/smaps_rollup (so that pages shared by forked xdist workers are not
 * counted twice) and counts open file descriptors. Walking the page tables makes this some
 * 30 times dearer than /proc/PID/stat, so the sampler does it only every few seconds.
 */
export function readProcessDetail(pid: number): ProcessDetail {
  let pssBytes: number | null = null;
  try {
    const match = /^Pss:\s+(\d+) kB$/m.exec(readProcFile(`/proc/${pid}/smaps_rollup`));
    pssBytes = match ? Number(match[1]) * KIB : null;
  } catch {
    // Kernels before 4.14 have no smaps_rollup; another user's process denies it; or it is gone.
  }
  let fds: number | null = null;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    // Not ours to list, or gone.
  }
  return { pssBytes, fds };
}
