import { pageSizeBytes, type ProcStat } from '../proc/read-proc-stat.js';
import { readProcessDetail } from '../proc/read-process-memory.js';

/** The summed usage of a set of processes at one moment. */
export interface TreeUsage {
  rssBytes: number;
  /** Measured PSS, only when details were read this time. */
  pssBytes: number | null;
  processes: number;
  /** Null where the platform's sampler cannot count them cheaply. */
  threads: number | null;
  /** Open file descriptors, only when details were read this time. */
  fds: number | null;
  /** CPU ticks used by each process so far, for the next sample's CPU%. */
  cpuTicksByPid: Map<number, number>;
  /** CPU ticks used since `previousCpuTicks` was taken. */
  cpuTicksDelta: number;
}

/**
 * Sums the usage of `members` from their stat lines (RSS, threads, CPU) and, when `withDetail`,
 * from the dearer reads too (PSS, open fds). `previousCpuTicks` is the previous sample's map, so
 * that CPU use is counted per interval.
 */
export function measureTree(members: readonly ProcStat[], withDetail: boolean, previousCpuTicks: ReadonlyMap<number, number>): TreeUsage {
  const pageBytes = pageSizeBytes();
  const usage: TreeUsage = { rssBytes: 0, pssBytes: null, processes: 0, threads: 0, fds: null, cpuTicksByPid: new Map(), cpuTicksDelta: 0 };
  for (const stat of members) {
    usage.processes += 1;
    usage.rssBytes += stat.rssPages * pageBytes;
    usage.threads = (usage.threads ?? 0) + stat.threads;
    usage.cpuTicksDelta += stat.cpuTicks - (previousCpuTicks.get(stat.pid) ?? 0);
    usage.cpuTicksByPid.set(stat.pid, stat.cpuTicks);
    if (!withDetail) continue;
    const detail = readProcessDetail(stat.pid);
    if (detail.pssBytes !== null) usage.pssBytes = (usage.pssBytes ?? 0) + detail.pssBytes;
    if (detail.fds !== null) usage.fds = (usage.fds ?? 0) + detail.fds;
  }
  return usage;
}
