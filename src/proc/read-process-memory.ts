import { readdirSync, readFileSync } from 'node:fs';

/** What one process uses, read from /proc. Sizes in bytes; null where the kernel would not say. */
export interface ProcessUsage {
  rssBytes: number;
  pssBytes: number | null;
  threads: number;
  fds: number | null;
}

const KIB = 1024;

function readKibField(text: string, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
  return match ? Number(match[1]) * KIB : null;
}

/**
 * Reads a process's memory from /proc/PID/status (RSS, threads) and, when asked,
 * /proc/PID/smaps_rollup (PSS: shared pages divided among the processes sharing them, so that
 * forked xdist workers are not counted twice). Returns undefined when the process is gone.
 */
export function readProcessUsage(pid: number, withPss: boolean): ProcessUsage | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  let pssBytes: number | null = null;
  if (withPss) {
    try {
      pssBytes = readKibField(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {
      // Kernels before 4.14 have no smaps_rollup; another user's process denies it.
    }
  }
  let fds: number | null = null;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    // Not ours to list.
  }
  const threadsMatch = /^Threads:\s+(\d+)$/m.exec(status);
  return { rssBytes: readKibField(status, 'VmRSS') ?? 0, pssBytes, threads: threadsMatch ? Number(threadsMatch[1]) : 1, fds };
}

/** Reads one `VAR=value` entry of a process's environment, or undefined. */
export function readEnvironEntry(pid: number, name: string): string | undefined {
  try {
    const prefix = `${name}=`;
    const entry = readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .find((item) => item.startsWith(prefix));
    return entry?.slice(prefix.length);
  } catch {
    return undefined;
  }
}
