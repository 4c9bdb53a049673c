import { listProcessesWithPs } from '../proc/ps-listing.js';
import { listProcStats, readChildPids, readProcStat, type ProcStat } from '../proc/read-proc-stat.js';
import { carriesMarkers, markerNeedles } from '../proc/marker-sweep.js';

/** How a chunk's processes are recognised. */
export interface TrackerIdentity {
  /** Process group the chunk leads (its leader's pid). */
  pgid: number;
  /** Values of RUN_CHUNKS_RUN_ID and RUN_CHUNKS_CHUNK every chunk process inherits. */
  runId: string;
  chunkName: string;
  /**
   * run-chunks' launcher, when it leads the group (python/run_chunks_launcher.py): followed for
   * its descendants, never counted as the chunk's, since it is run-chunks' own process.
   */
  launcherPid?: number;
}

// A full scan of /proc reads every process on the machine (~1.5 ms for 200); between full scans
// only the chunk's own processes and their children are read (~0.6 ms for 32). Full scans find
// what the children lists cannot: processes re-parented to init, or forked by a non-main thread.
const FULL_SCAN_INTERVAL_MS = 2_000;
// Reading every process's environment is dearer still, so the sweep for escapees (setsid and
// re-parented, but still carrying the chunk's markers) runs on every few full scans only.
const ENV_SWEEP_EVERY_FULL_SCANS = 3;

function isLive(stat: ProcStat): boolean {
  return stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * Keeps the set of processes that belong to one chunk: its process group, every descendant
 * (even one that moved to another group), and processes that left both but still carry the
 * chunk's environment markers. A process once seen stays tracked while it lives; its start time
 * guards against pid reuse.
 */
export class ProcessTracker {
  private known = new Map<number, number>();
  private lastFullScanMs = -Infinity;
  private fullScans = 0;
  private readonly needles: string[];

  /**
   * `useProcFs` false: list processes with `ps` (every scan is a full one, and environment
   * markers cannot be read), for systems without /proc.
   */
  constructor(
    private readonly identity: TrackerIdentity,
    private readonly useProcFs = true,
  ) {
    this.needles = markerNeedles({ RUN_CHUNKS_RUN_ID: identity.runId, RUN_CHUNKS_CHUNK: identity.chunkName });
  }

  /** Returns the chunk's live processes now (the launcher left out). `nowMs` decides whether a full scan is due. */
  scan(nowMs: number = performance.now()): ProcStat[] {
    const fullScanDue = !this.useProcFs || nowMs - this.lastFullScanMs >= FULL_SCAN_INTERVAL_MS;
    const members = fullScanDue ? this.scanAll(nowMs) : this.scanKnown();
    this.known = new Map(members.map((stat) => [stat.pid, stat.startTicks]));
    const launcher = this.identity.launcherPid;
    return launcher === undefined ? members : members.filter((stat) => stat.pid !== launcher);
  }

  private scanAll(nowMs: number): ProcStat[] {
    this.lastFullScanMs = nowMs;
    const live = (this.useProcFs ? listProcStats() : listProcessesWithPs()).filter(isLive);
    const members = new Map<number, ProcStat>();
    for (const stat of live) {
      if (stat.pgid === this.identity.pgid || this.known.get(stat.pid) === stat.startTicks) members.set(stat.pid, stat);
    }
    if (this.useProcFs && this.fullScans % ENV_SWEEP_EVERY_FULL_SCANS === 0) {
      for (const stat of live) if (!members.has(stat.pid) && this.carriesMarkers(stat.pid)) members.set(stat.pid, stat);
    }
    this.fullScans += 1;
    addDescendants(live, members);
    return [...members.values()];
  }

  private scanKnown(): ProcStat[] {
    const members = new Map<number, ProcStat>();
    const pending: number[] = [];
    for (const [pid, startTicks] of this.known) {
      const stat = readProcStat(pid);
      if (stat && isLive(stat) && stat.startTicks === startTicks) {
        members.set(pid, stat);
        pending.push(pid);
      }
    }
    // New children (xdist workers, subprocesses a test starts) join at the next sample.
    for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
      for (const child of readChildPids(pid)) {
        if (members.has(child)) continue;
        const stat = readProcStat(child);
        if (!stat || !isLive(stat)) continue;
        members.set(child, stat);
        pending.push(child);
      }
    }
    return [...members.values()];
  }

  private carriesMarkers(pid: number): boolean {
    return pid !== process.pid && carriesMarkers(pid, this.needles);
  }
}

/** Adds every descendant of `members` found among `live` (by parent pid). */
function addDescendants(live: readonly ProcStat[], members: Map<number, ProcStat>): void {
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
