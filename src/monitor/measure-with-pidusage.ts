import pidusage from 'pidusage';
import type { ProcStat } from '../proc/read-proc-stat.js';
import type { TreeUsage } from './measure-tree.js';

/**
 * Measures `members` with pidusage, for systems without /proc (macOS): RSS and CPU% only, as
 * those systems offer no PSS, and thread and fd counts would cost a process spawn each.
 */
export async function measureTreeWithPidusage(members: readonly ProcStat[]): Promise<TreeUsage & { cpuPercent: number }> {
  const usage: TreeUsage & { cpuPercent: number } = {
    rssBytes: 0,
    pssBytes: null,
    processes: 0,
    threads: null,
    fds: null,
    cpuTicksByPid: new Map(),
    cpuTicksDelta: 0,
    cpuPercent: 0,
  };
  if (members.length === 0) return usage;
  let stats: Record<string, pidusage.Status | undefined>;
  try {
    stats = await pidusage(members.map((stat) => stat.pid));
  } catch {
    // One pid vanished between the listing and the measurement: measure the rest one by one.
    stats = {};
    for (const stat of members) {
      try {
        stats[stat.pid] = await pidusage(stat.pid);
      } catch {
        // Gone.
      }
    }
  }
  // pidusage leaves a process that vanished mid-measurement out, or undefined.
  for (const stat of Object.values(stats)) {
    if (!stat || typeof stat.memory !== 'number') continue;
    usage.processes += 1;
    usage.rssBytes += stat.memory;
    usage.cpuPercent += stat.cpu;
  }
  return usage;
}
