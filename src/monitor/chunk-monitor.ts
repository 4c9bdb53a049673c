import { closeSync, openSync, writeSync } from 'node:fs';
import { listProcStats } from '../proc/read-proc-stat.js';
import { readProcessUsage } from '../proc/read-process-memory.js';
import { attributeGpu, snapshotDeviceUsage, type GpuAttribution, type GpuSource } from './attribute-gpu.js';
import { ProcessTracker, type TrackerIdentity } from './process-tracker.js';
import type { MemorySample } from './sample-types.js';

/** Which limit a chunk went over. */
export type LimitKind = 'memory-limit' | 'gpu-memory-limit';

export interface ChunkMonitorOptions {
  identity: TrackerIdentity;
  intervalMs: number;
  /** Where each sample is appended as one JSON line. */
  samplesFile: string;
  withPss: boolean;
  gpu: GpuSource | undefined;
  memoryLimitBytes: number | undefined;
  gpuMemoryLimitBytes: number | undefined;
  /** Called once, on the first sample over a limit; the caller stops the chunk. */
  onLimitExceeded: (kind: LimitKind, observedBytes: number, limitBytes: number, metric: 'PSS' | 'RSS' | 'GPU') => void;
  onNotice: (message: string) => void;
}

/** Running totals kept in memory; the timeline itself stays on disk. */
export interface MonitorTotals {
  samples: number;
  peakRssBytes: number;
  peakPssBytes: number | null;
  peakProcesses: number;
  peakGpuBytes: number | null;
  gpuAttribution: GpuAttribution | null;
  gpuDevicePeaks: Map<string, { index: number; uuid: string; peakUsedBytes: number | null; totalBytes: number | null }>;
}

/** A chunk's sampler; `stop` ends sampling and closes the timeline file. */
export interface ChunkMonitor {
  stop(): MonitorTotals;
}

// Linux reports CPU time in clock ticks; USER_HZ is 100 on every mainstream kernel build.
const CLOCK_TICKS_PER_SECOND = 100;

/** The amount a memory limit is checked against: PSS where the kernel provides it, else RSS. */
export function limitedBytes(sample: MemorySample): number {
  return sample.pssBytes ?? sample.rssBytes;
}

/** Starts sampling a chunk's process tree every `intervalMs`, appending to its samples file. */
export function startChunkMonitor(options: ChunkMonitorOptions): ChunkMonitor {
  const tracker = new ProcessTracker(options.identity);
  const startedAtMs = performance.now();
  const fd = openSync(options.samplesFile, 'a');
  const previousCpuTicks = new Map<number, number>();
  let previousAtMs = startedAtMs;
  let limitReported = false;
  let deltaNoticeGiven = false;
  const gpuBaseline = snapshotDeviceUsage(options.gpu?.latest());
  const totals: MonitorTotals = {
    samples: 0,
    peakRssBytes: 0,
    peakPssBytes: null,
    peakProcesses: 0,
    peakGpuBytes: options.gpu ? 0 : null,
    gpuAttribution: null,
    gpuDevicePeaks: new Map(),
  };

  const takeSample = (): void => {
    const nowMs = performance.now();
    const stats = listProcStats();
    const members = tracker.scan(stats);
    const sample: MemorySample = { t: Math.round(nowMs - startedAtMs), rssBytes: 0, pssBytes: null, processes: 0, threads: 0, fds: null, cpuPercent: 0, gpuBytes: null };
    let cpuTicks = 0;
    const nextCpuTicks = new Map<number, number>();
    for (const stat of members) {
      const usage = readProcessUsage(stat.pid, options.withPss);
      if (!usage) continue;
      sample.processes += 1;
      sample.rssBytes += usage.rssBytes;
      if (usage.pssBytes !== null) sample.pssBytes = (sample.pssBytes ?? 0) + usage.pssBytes;
      sample.threads += usage.threads;
      if (usage.fds !== null) sample.fds = (sample.fds ?? 0) + usage.fds;
      cpuTicks += stat.cpuTicks - (previousCpuTicks.get(stat.pid) ?? 0);
      nextCpuTicks.set(stat.pid, stat.cpuTicks);
    }
    const elapsedSeconds = (nowMs - previousAtMs) / 1000;
    sample.cpuPercent = elapsedSeconds > 0 ? Math.round((cpuTicks / CLOCK_TICKS_PER_SECOND / elapsedSeconds) * 1000) / 10 : 0;
    previousCpuTicks.clear();
    for (const [pid, ticks] of nextCpuTicks) previousCpuTicks.set(pid, ticks);
    previousAtMs = nowMs;

    const readings = options.gpu?.latest();
    if (readings) {
      const share = attributeGpu(readings, new Set(members.map((stat) => stat.pid)), new Set(stats.map((stat) => stat.pid)), gpuBaseline);
      sample.gpuBytes = share.bytes;
      sample.gpuDevices = Object.fromEntries(readings.devices.map((device) => [String(device.index), device.memoryUsedBytes]));
      if (share.attribution === 'device-delta') {
        totals.gpuAttribution = 'device-delta';
        if (!deltaNoticeGiven) {
          deltaNoticeGiven = true;
          options.onNotice(
            'nvidia-smi reports GPU processes whose PIDs do not exist here (a container with its own PID namespace?): ' +
              "GPU memory is attributed from the devices' growth since the chunk started, which includes other processes on the same GPUs.",
          );
        }
      } else totals.gpuAttribution ??= 'process';
      for (const device of readings.devices) {
        const peak = totals.gpuDevicePeaks.get(device.uuid);
        const used = device.memoryUsedBytes;
        totals.gpuDevicePeaks.set(device.uuid, {
          index: device.index,
          uuid: device.uuid,
          peakUsedBytes: used === null ? (peak?.peakUsedBytes ?? null) : Math.max(used, peak?.peakUsedBytes ?? 0),
          totalBytes: device.memoryTotalBytes ?? peak?.totalBytes ?? null,
        });
      }
    }

    totals.samples += 1;
    totals.peakRssBytes = Math.max(totals.peakRssBytes, sample.rssBytes);
    if (sample.pssBytes !== null) totals.peakPssBytes = Math.max(totals.peakPssBytes ?? 0, sample.pssBytes);
    totals.peakProcesses = Math.max(totals.peakProcesses, sample.processes);
    if (sample.gpuBytes !== null) totals.peakGpuBytes = Math.max(totals.peakGpuBytes ?? 0, sample.gpuBytes);
    writeSync(fd, `${JSON.stringify(sample)}\n`);
    checkLimits(sample);
  };

  const checkLimits = (sample: MemorySample): void => {
    if (limitReported) return;
    const memoryBytes = limitedBytes(sample);
    if (options.memoryLimitBytes !== undefined && memoryBytes > options.memoryLimitBytes) {
      limitReported = true;
      options.onLimitExceeded('memory-limit', memoryBytes, options.memoryLimitBytes, sample.pssBytes === null ? 'RSS' : 'PSS');
    } else if (options.gpuMemoryLimitBytes !== undefined && sample.gpuBytes !== null && sample.gpuBytes > options.gpuMemoryLimitBytes) {
      limitReported = true;
      options.onLimitExceeded('gpu-memory-limit', sample.gpuBytes, options.gpuMemoryLimitBytes, 'GPU');
    }
  };

  takeSample();
  const timer = setInterval(takeSample, options.intervalMs);
  return {
    stop() {
      clearInterval(timer);
      closeSync(fd);
      return totals;
    },
  };
}
