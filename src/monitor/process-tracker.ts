import type { ProcStat } from '../proc/read-proc-stat.js';
import { readEnvironEntry } from '../proc/read-process-memory.js';

/** How a chunk's processes are recognised. */
export interface TrackerIdentity {
  /** Process group the chunk leads (its leader's pid). */
  pgid: number;
  /** Values of RUN_CHUNKS_RUN_ID and RUN_CHUNKS_CHUNK every chunk process inherits. */
  runId: string;
  chunkName: string;
}

// Reading every process's environment costs one file read per process on the machine, so the
// sweep for escapees (setsid + re-parented to init) runs only every this many scans.
const ENV_SWEEP_EVERY_SCANS = 10;

/**
 * Keeps the set of processes that belong to one chunk: its process group, every descendant
 * (found through parent pids, even when it moved to another group), and processes that left
 * both but still carry the chunk's environment markers. A process once seen stays tracked
 * while it lives; the start time guards against pid reuse.
 */
export class ProcessTracker {
  private readonly known = new Map<number, number>();
  private scans = 0;

  constructor(private readonly identity: TrackerIdentity) {}

  /** Returns the live chunk processes among `stats` (one scan of /proc). */
  scan(stats: readonly ProcStat[]): ProcStat[] {
    const live = stats.filter((stat) => stat.state !== 'Z' && stat.state !== 'X');
    const members = new Map<number, ProcStat>();
    for (const stat of live) {
      if (stat.pgid === this.identity.pgid || this.known.get(stat.pid) === stat.startTicks) members.set(stat.pid, stat);
    }
    if (this.scans % ENV_SWEEP_EVERY_SCANS === 0) {
      for (const stat of live) if (!members.has(stat.pid) && this.carriesMarkers(stat.pid)) members.set(stat.pid, stat);
    }
    this.scans += 1;
    this.addDescendants(live, members);
    this.known.clear();
    for (const stat of members.values()) this.known.set(stat.pid, stat.startTicks);
    return [...members.values()];
  }

  private addDescendants(live: readonly ProcStat[], members: Map<number, ProcStat>): void {
    const children = new Map<number, ProcStat[]>();
    for (const stat of live) {
      const siblings = children.get(stat.ppid);
      if (siblings) siblings.push(stat);
      else children.set(stat.ppid, [stat]);
    }
    const pending = [...members.keys()];
    for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
      for (const child of children.get(pid) ?? []) {
        if (members.has(child.pid)) continue;
        members.set(child.pid, child);
        pending.push(child.pid);
      }
    }
  }

  private carriesMarkers(pid: number): boolean {
    if (pid === process.pid) return false;
    return readEnvironEntry(pid, 'RUN_CHUNKS_RUN_ID') === this.identity.runId && readEnvironEntry(pid, 'RUN_CHUNKS_CHUNK') === this.identity.chunkName;
  }
}
