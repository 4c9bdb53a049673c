// An attempt's containment and the kernel's evidence about its end: its own cgroup (created
// before it starts, with its memory limit under --isolation cgroup), the launcher's Python, and,
// after it ends, the cgroup's counters (or the kernel log where there are none) read into the
// evidence report.json carries; then the cgroup is removed.
import { formatBesideLimit } from '../config/parse-size.js';
import type { ChunkPlan } from '../plan/types.js';
import { cgroupName, COUNTER_FILES, openChunkCgroup, type AppliedLimit, type CgroupReading, type ChunkCgroup } from '../proc/cgroup/chunk-cgroup.js';
import type { KernelLogReading } from '../proc/kernel-log.js';
import type { OomEvidence } from '../results/classify-outcome.js';
import type { ChunkEvidence, EvidenceCounter } from '../results/report-types.js';
import { describeFsError } from '../util/describe-fs-error.js';
import { registerLiveCgroup, unregisterLiveCgroup } from './live-groups.js';
import type { AttemptContext } from './run-attempt.js';

/** File (next to an attempt's log) where the launcher lists what it killed. */
export const LAUNCHER_STATUS_FILE = 'launcher-status.txt';

/** An attempt's cgroup (with its limit) and launcher, set up before it starts. */
export interface ContainmentSetup {
  cgroup: ChunkCgroup | undefined;
  limit: AppliedLimit | undefined;
  before: CgroupReading | undefined;
  python: string | undefined;
  unavailable: string[];
}

export function setUpContainment(plan: ChunkPlan, attempt: number, context: AttemptContext): ContainmentSetup {
  const support = context.containment;
  const unavailable: string[] = [];
  // A pytest chunk has a Python (the one that runs pytest); a command chunk gets python3 from PATH.
  // A child subreaper is Linux's alone: elsewhere the launcher would only cost its start.
  const python = process.platform === 'linux' ? (plan.python ?? support.python3) : undefined;
  if (process.platform !== 'linux') unavailable.push(`no child subreaper on ${process.platform} (it is Linux's), so no launcher: a daemon that leaves the chunk is found by its environment markers only`);
  else if (python === undefined) unavailable.push('no python3 on PATH for the launcher, so no child subreaper: a daemon that leaves the chunk is found by its environment markers only');
  let cgroup: ChunkCgroup | undefined;
  if (support.cgroupReason === null) {
    const opened = openChunkCgroup(cgroupName(['run-chunks', context.runId, plan.name, String(attempt)]));
    if (opened.cgroup) cgroup = opened.cgroup;
    else unavailable.push(`no cgroup for this chunk: ${opened.reason}`);
  } else unavailable.push(`no cgroup for this chunk: ${support.cgroupReason}`);
  if (cgroup && !cgroup.hasMemoryController()) unavailable.push(`its cgroup ${cgroup.dir} has no memory controller (not enabled for run-chunks' child cgroups), so no kernel counters`);
  let limit: AppliedLimit | undefined;
  if (cgroup && context.isolation === 'cgroup' && context.memoryLimitBytes !== undefined) {
    try {
      limit = cgroup.limitMemory(context.memoryLimitBytes);
    } catch (error) {
      context.warn(`could not set its memoryLimit on its cgroup ${cgroup.dir} (${describeFsError(error)}); run-chunks' sampling watchdog enforces it instead.`);
    }
  }
  if (cgroup) registerLiveCgroup(cgroup.dir);
  return { cgroup, limit, before: cgroup?.read(), python, unavailable };
}

function counter(name: string, before: number | null | undefined, after: number | null): EvidenceCounter {
  const was = before ?? null;
  return { name, before: was, after, delta: was === null || after === null ? null : after - was };
}

/** Reads the attempt's cgroup counters after its end, then removes the cgroup. */
export async function readKernelEvidence(
  setup: ContainmentSetup,
  machineOomKillDelta: number | null,
  warn: (message: string) => void,
  readKernelLog: (() => KernelLogReading) | undefined,
): Promise<{ oom: OomEvidence; evidence: ChunkEvidence; kernelPeak: { bytes: number; source: string } | null }> {
  const { cgroup, limit } = setup;
  const containment: ChunkEvidence['containment'] = [...(cgroup ? ['cgroup' as const] : []), ...(setup.python ? ['subreaper' as const] : []), 'markers'];
  if (!cgroup || !cgroup.hasMemoryController()) {
    const removed = cgroup ? await removeCgroup(cgroup, warn) : false;
    const why = cgroup ? `its cgroup ${cgroup.dir} has no memory controller, so no OOM counter` : (setup.unavailable.find((line) => line.startsWith('no cgroup')) ?? 'no cgroup for this chunk');
    // Without cgroup counters, the kernel log is the only evidence for this chunk: read where it can be.
    const log = readKernelLog?.();
    const unavailable = log && 'unreadable' in log ? [...setup.unavailable, `the kernel log (${log.source}) is not readable (${log.unreadable}), so an OOM kill cannot be told from another SIGKILL`] : setup.unavailable;
    const lines = log && 'lines' in log ? log.lines : [];
    const killedPids = new Set(lines.map((line) => /(?:Killed process |pid=)(\d+)/.exec(line)?.[1] ?? line));
    const chunkOomKills = lines.length > 0 ? killedPids.size : null;
    const proof = lines.length > 0 ? `the kernel log (${log!.source}) names its process: "${lines.find((line) => line.includes('Killed process')) ?? lines[0]}"` : undefined;
    return {
      oom: { chunkOomKills, source: log && 'lines' in log && lines.length === 0 ? `${why}; the kernel log (${log.source}) names none of its processes` : why, ...(proof === undefined ? {} : { proof }), cgroupLimitBytes: null, kernelPeak: null, machineOomKillDelta },
      evidence: {
        containment,
        cgroup: cgroup ? { version: cgroup.version, path: cgroup.dir, memoryController: false, memoryLimitBytes: null, swap: null, counters: [], removed } : null,
        kernelLog: log && 'lines' in log ? { source: log.source, lines } : null,
        unavailable,
        chunkOomKills,
        machineOomKillDelta,
      },
      kernelPeak: null,
    };
  }
  // From here on the cgroup has the memory controller, and so its counters.
  const after = cgroup.read();
  const names = COUNTER_FILES[cgroup.version];
  const counters = (['oomKill', 'oomGroupKill', 'limitHits'] as const).filter((key) => names[key] !== '').map((key) => counter(names[key], setup.before?.[key], after[key]));
  const oomCounter = counters.find((entry) => entry.name === names.oomKill);
  const chunkOomKills = oomCounter?.delta ?? null;
  const removed = await removeCgroup(cgroup, warn);
  const kernelPeak = after.peakBytes !== null ? { bytes: after.peakBytes, source: `cgroup v${cgroup.version} ${names.peakBytes}` } : null;
  const source = `its cgroup's ${names.oomKill} (cgroup v${cgroup.version}, ${cgroup.dir})`;
  return {
    oom: {
      chunkOomKills,
      source,
      cgroupLimitBytes: limit?.limitBytes ?? null,
      kernelPeak: kernelPeak ? `kernel peak ${formatBesideLimit(kernelPeak.bytes, limit?.limitBytes ?? null)} from ${kernelPeak.source}` : null,
      machineOomKillDelta,
    },
    evidence: {
      containment,
      cgroup: {
        version: cgroup.version,
        path: cgroup.dir,
        memoryController: true,
        memoryLimitBytes: limit?.limitBytes ?? null,
        swap: limit?.swap ?? null,
        counters,
        removed,
      },
      kernelLog: null,
      unavailable: setup.unavailable,
      chunkOomKills,
      machineOomKillDelta,
    },
    kernelPeak,
  };
}

async function removeCgroup(cgroup: ChunkCgroup, warn: (message: string) => void): Promise<boolean> {
  const removed = await cgroup.remove();
  if (removed) unregisterLiveCgroup(cgroup.dir);
  else warn(`its cgroup ${cgroup.dir} could not be removed (processes still in it?); remove it with rmdir once they are gone.`);
  return removed;
}
