import { closeSync, openSync, writeSync } from 'node:fs';
import type { GpuAttribution, GpuSource } from './attribute-gpu.js';
import { GpuUsageTracker, type GpuPidReading } from './gpu-usage-tracker.js';
import { pageSizeBytes, type ProcStat } from '../proc/read-proc-stat.js';
import { measureTree, type TreeUsage } from './measure-tree.js';
import { measureTreeWithPidusage } from './measure-with-pidusage.js';
import { ProcessTracker, type TrackerIdentity } from './process-tracker.js';
import type { MemorySample } from './sample-types.js';

/** Which limit a chunk went over. */
export type LimitKind = 'memory-limit' | 'gpu-memory-limit';

export interface ChunkMonitorOptions {
  identity: TrackerIdentity;
  intervalMs: number;
  /** Where each sample is appended as one JSON line. */
  samplesFile: string;
  gpu: GpuSource | undefined;
  memoryLimitBytes: number | undefined;
  gpuMemoryLimitBytes: number | undefined;
  /**
   * Called on the first sample over a limit, with each process's RSS at that sample. The caller
   * stops the chunk (it is not called again), or returns 'keep-watching' when it stopped only a
   * process of it: then it is called again at the next sample still over the limit.
   */
  onLimitExceeded: (kind: LimitKind, observedBytes: number, limitBytes: number, metric: 'PSS' | 'RSS' | 'GPU', rssByPid: ReadonlyMap<number, number>) => LimitAction | void;
  onNotice: (message: string) => void;
  /** Read /proc directly (Linux); false: `ps` and pidusage (macOS), without PSS, threads or fds. */
  useProcFs: boolean;
  /** Hears every sample (for live progress). */
  onSample?: (sample: MemorySample) => void;
}

/** What the caller of onLimitExceeded did: stopped the chunk, or stopped a part and watches on. */
export type LimitAction = 'stop' | 'keep-watching';

/** Running totals kept in memory; the timeline itself stays on disk. */
export interface MonitorTotals {
  samples: number;
  peakRssBytes: number;
  peakPssBytes: number | null;
  peakProcesses: number;
  peakGpuBytes: number | null;
  gpuAttribution: GpuAttribution | null;
  gpuDevicePeaks: Map<string, { index: number; uuid: string; peakUsedBytes: number | null; totalBytes: number | null }>;
  /** The chunk's RSS at the latest sample, and each process's (to blame the test that grew). */
  lastRssBytes: number | null;
  lastRssByPid: Map<number, number>;
  /** Each chunk process's GPU memory as nvidia-smi read it, by pid (see GpuUsageTracker). */
  gpuByPid: Map<number, GpuPidReading[]>;
}

/** A chunk's sampler; `stop` ends sampling and closes the timeline file. */
export interface ChunkMonitor {
  stop(): MonitorTotals;
}

// Linux reports CPU time in clock ticks; USER_HZ is 100 on every mainstream kernel build.
const CLOCK_TICKS_PER_SECOND = 100;
// PSS and fd counts cost some 30 times a stat read; they are read this often. In between, PSS is
// estimated as the last PSS plus the growth of RSS since: memory a chunk adds is its own, so it
// counts in full in both.
const DETAIL_INTERVAL_MS = 2_000;
// ...and sooner when the tree gained a process, but not more often than this (a test that keeps
// starting processes must not turn every sample into a PSS read).
const NEW_PROCESS_DETAIL_GAP_MS = 500;
// A process caught mid-exec may not show its smaps_rollup yet: retry at the next samples.
const DETAIL_RETRIES = 3;

/** PSS now: measured when this sample read it, else the last PSS moved by RSS's change since (at most RSS). */
export function estimatePss(sample: MemorySample, lastPss: { pssBytes: number; rssBytes: number } | undefined): number {
  if (sample.pssBytes !== null) return sample.pssBytes;
  if (lastPss === undefined) return sample.rssBytes;
  return Math.max(0, Math.min(sample.rssBytes, lastPss.pssBytes + sample.rssBytes - lastPss.rssBytes));
}

/** Starts sampling a chunk's process tree every `intervalMs`, appending to its samples file. */
export function startChunkMonitor(options: ChunkMonitorOptions): ChunkMonitor {
  const tracker = new ProcessTracker(options.identity, options.useProcFs);
  const startedAtMs = performance.now();
  const fd = openSync(options.samplesFile, 'a');
  let previousCpuTicks: ReadonlyMap<number, number> = new Map();
  let previousAtMs = startedAtMs;
  let limitReported = false;
  const totals: MonitorTotals = {
    samples: 0,
    peakRssBytes: 0,
    peakPssBytes: null,
    peakProcesses: 0,
    peakGpuBytes: null,
    gpuAttribution: null,
    gpuDevicePeaks: new Map(),
    gpuByPid: new Map(),
    lastRssBytes: null,
    lastRssByPid: new Map(),
  };
  const gpuTracker = new GpuUsageTracker(options.gpu?.latest(), totals, options.onNotice);

  let lastDetailMs = -Infinity;
  let detailMisses = 0;
  let pidsAtLastDetail = new Set<number>();
  let lastPss: { pssBytes: number; rssBytes: number } | undefined;

  let stopped = false;
  let sampling = false;
  let sampleErrorSaid = false;

  /** Measures the tree: synchronously from /proc, or through pidusage where there is none. */
  const measure = async (nowMs: number, members: ProcStat[]): Promise<{ usage: TreeUsage; cpuPercent: number }> => {
    if (!options.useProcFs) {
      const usage = await measureTreeWithPidusage(members);
      return { usage, cpuPercent: Math.round(usage.cpuPercent * 10) / 10 };
    }
    // Between PSS reads, PSS is estimated from RSS growth, which counts a new process's shared
    // pages (libraries, an xdist worker's copy of the interpreter) in full: read PSS soon after
    // the tree gains a process, so the estimate never runs far above the truth.
    const grew = nowMs - lastDetailMs >= NEW_PROCESS_DETAIL_GAP_MS && members.some((member) => !pidsAtLastDetail.has(member.pid));
    const withDetail = grew || nowMs - lastDetailMs >= DETAIL_INTERVAL_MS;
    const usage = measureTree(members, withDetail, previousCpuTicks);
    if (withDetail && (usage.pssBytes !== null || ++detailMisses >= DETAIL_RETRIES)) {
      lastDetailMs = nowMs;
      detailMisses = 0;
      pidsAtLastDetail = new Set(members.map((member) => member.pid));
    }
    const elapsedSeconds = (nowMs - previousAtMs) / 1000;
    previousCpuTicks = usage.cpuTicksByPid;
    previousAtMs = nowMs;
    const cpuPercent = elapsedSeconds > 0 ? Math.round((usage.cpuTicksDelta / CLOCK_TICKS_PER_SECOND / elapsedSeconds) * 1000) / 10 : 0;
    return { usage, cpuPercent };
  };

  const takeSample = async (): Promise<void> => {
    // A pidusage sample slower than the interval must not overlap the next one.
    if (sampling || stopped) return;
    sampling = true;
    try {
      const nowMs = performance.now();
      const members = tracker.scan(nowMs);
      const { usage, cpuPercent } = await measure(nowMs, members);
      if (!stopped) record(nowMs, members, usage, cpuPercent);
    } catch (error) {
      // One failed sample must never take the run down: say so once, and keep sampling.
      if (!sampleErrorSaid) {
        sampleErrorSaid = true;
        options.onNotice(`a memory sample failed (${error instanceof Error ? error.message : String(error)}); sampling goes on`);
      }
    } finally {
      sampling = false;
    }
  };

  const record = (nowMs: number, members: ProcStat[], usage: TreeUsage, cpuPercent: number): void => {
    if (usage.pssBytes !== null) lastPss = { pssBytes: usage.pssBytes, rssBytes: usage.rssBytes };
    const sample: MemorySample = {
      t: Math.round(nowMs - startedAtMs),
      rssBytes: usage.rssBytes,
      pssBytes: usage.pssBytes,
      processes: usage.processes,
      threads: usage.threads,
      fds: usage.fds,
      cpuPercent,
      gpuBytes: null,
    };

    const readings = options.gpu?.latest();
    if (readings) {
      const share = gpuTracker.record(readings, members);
      sample.gpuBytes = share.bytes;
      sample.gpuDevices = Object.fromEntries(readings.devices.map((device) => [String(device.index), device.memoryUsedBytes]));
    }

    // An empty tree, or one whose processes are being torn down (RSS already 0), says nothing
    // about who used the memory: the last figures from before stay.
    if (sample.processes > 0 && sample.rssBytes > 0) {
      totals.lastRssBytes = sample.rssBytes;
      // Per-process RSS comes from /proc/PID/stat; pidusage's path has no per-process figure here.
      totals.lastRssByPid = options.useProcFs
        ? new Map(members.filter((stat) => stat.rssPages > 0).map((stat) => [stat.pid, stat.rssPages * pageSizeBytes()]))
        : new Map();
    }
    totals.samples += 1;
    totals.peakRssBytes = Math.max(totals.peakRssBytes, sample.rssBytes);
    // PSS is read every few seconds; its peak is taken over the estimates in between as well,
    // or a short burst between two reads would never show.
    if (lastPss !== undefined) totals.peakPssBytes = Math.max(totals.peakPssBytes ?? 0, estimatePss(sample, lastPss));
    totals.peakProcesses = Math.max(totals.peakProcesses, sample.processes);
    if (sample.gpuBytes !== null) totals.peakGpuBytes = Math.max(totals.peakGpuBytes ?? 0, sample.gpuBytes);
    writeSync(fd, `${JSON.stringify(sample)}\n`);
    options.onSample?.(sample);
    checkLimits(sample);
  };

  const checkLimits = (sample: MemorySample): void => {
    if (limitReported) return;
    const memoryBytes = estimatePss(sample, lastPss);
    if (options.memoryLimitBytes !== undefined && memoryBytes > options.memoryLimitBytes) {
      limitReported = options.onLimitExceeded('memory-limit', memoryBytes, options.memoryLimitBytes, lastPss === undefined ? 'RSS' : 'PSS', totals.lastRssByPid) !== 'keep-watching';
    } else if (options.gpuMemoryLimitBytes !== undefined && sample.gpuBytes !== null && sample.gpuBytes > options.gpuMemoryLimitBytes) {
      limitReported = options.onLimitExceeded('gpu-memory-limit', sample.gpuBytes, options.gpuMemoryLimitBytes, 'GPU', totals.lastRssByPid) !== 'keep-watching';
    }
  };

  void takeSample();
  const timer = setInterval(() => void takeSample(), options.intervalMs);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      closeSync(fd);
      return totals;
    },
  };
}
