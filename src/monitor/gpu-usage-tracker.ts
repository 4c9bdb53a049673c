import { existsSync } from 'node:fs';
import type { ProcStat } from '../proc/read-proc-stat.js';
import { attributeGpu, snapshotDeviceUsage, type GpuReadings, type GpuShare } from './attribute-gpu.js';
import type { MonitorTotals } from './chunk-monitor.js';
import type { TestRecord } from '../results/test-records.js';

/** One nvidia-smi reading of one process's GPU memory (epoch ms). */
export interface GpuPidReading {
  atMs: number;
  bytes: number;
}

// Per-process readings kept for per-test GPU peaks: one per GPU round per process; past this
// many in all (hours of a busy chunk), later ones are dropped and those tests get no figure.
const MAX_PID_READINGS = 200_000;

function isVisiblePid(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/**
 * Follows one chunk's GPU memory across samples: attributes each reading to the chunk, keeps
 * per-device peaks in `totals`, and says once when it has to fall back to device growth.
 */
export class GpuUsageTracker {
  private readonly baseline: Map<string, number>;
  private deltaNoticeGiven = false;
  private pidReadings = 0;
  private lastTakenAtMs = -1;

  constructor(
    initial: GpuReadings | undefined,
    private readonly totals: MonitorTotals,
    private readonly onNotice: (message: string) => void,
  ) {
    this.baseline = snapshotDeviceUsage(initial);
  }

  /** Attributes one reading to the chunk whose processes are `members`, updating the totals. */
  record(readings: GpuReadings, members: readonly ProcStat[]): GpuShare {
    // A device first seen now (GPU sampling may start after the chunk) starts its baseline now.
    for (const [uuid, usedBytes] of snapshotDeviceUsage(readings)) if (!this.baseline.has(uuid)) this.baseline.set(uuid, usedBytes);
    const memberPids = new Set(members.map((stat) => stat.pid));
    const share = attributeGpu(readings, memberPids, isVisiblePid, this.baseline);
    this.keepPidReadings(readings, memberPids);
    if (share.attribution === 'device-delta') {
      this.totals.gpuAttribution = 'device-delta';
      if (!this.deltaNoticeGiven) {
        this.deltaNoticeGiven = true;
        this.onNotice(
          'nvidia-smi reports GPU processes whose PIDs do not exist here (a container with its own PID namespace?): ' +
            "GPU memory is attributed from the devices' growth since the chunk started, which includes other processes on the same GPUs.",
        );
      }
    } else this.totals.gpuAttribution ??= 'process';
    for (const device of readings.devices) {
      const peak = this.totals.gpuDevicePeaks.get(device.uuid);
      const used = device.memoryUsedBytes;
      this.totals.gpuDevicePeaks.set(device.uuid, {
        index: device.index,
        uuid: device.uuid,
        peakUsedBytes: used === null ? (peak?.peakUsedBytes ?? null) : Math.max(used, peak?.peakUsedBytes ?? 0),
        totalBytes: device.memoryTotalBytes ?? peak?.totalBytes ?? null,
      });
    }
    return share;
  }

  /** Keeps each chunk process's reading of a GPU round once (samples may see the same round twice). */
  private keepPidReadings(readings: GpuReadings, memberPids: ReadonlySet<number>): void {
    if (readings.takenAtMs === this.lastTakenAtMs) return;
    this.lastTakenAtMs = readings.takenAtMs;
    const byPid = new Map<number, number>();
    for (const process of readings.processes)
      if (process.usedMemoryBytes !== null && memberPids.has(process.pid)) byPid.set(process.pid, (byPid.get(process.pid) ?? 0) + process.usedMemoryBytes);
    for (const [pid, bytes] of byPid) {
      if (this.pidReadings >= MAX_PID_READINGS) return;
      this.pidReadings += 1;
      const list = this.totals.gpuByPid.get(pid);
      if (list) list.push({ atMs: readings.takenAtMs, bytes });
      else this.totals.gpuByPid.set(pid, [{ atMs: readings.takenAtMs, bytes }]);
    }
  }
}

/**
 * Gives each test without torch's exact GPU peak the highest nvidia-smi reading of its process
 * while it ran (source 'nvidia-smi': sampled, so a lower bound, and it includes the CUDA context).
 */
export function attachSampledGpuPeaks(records: TestRecord[], gpuByPid: ReadonlyMap<number, readonly GpuPidReading[]>): void {
  if (gpuByPid.size === 0) return;
  for (const record of records) {
    if (record.gpuPeakBytes !== null || record.pid === null || record.startedAtS === null || record.endedAtS === null) continue;
    const fromMs = record.startedAtS * 1000;
    const toMs = record.endedAtS * 1000;
    let highest: number | null = null;
    for (const reading of gpuByPid.get(record.pid) ?? []) if (reading.atMs >= fromMs && reading.atMs <= toMs && (highest === null || reading.bytes > highest)) highest = reading.bytes;
    if (highest !== null) {
      record.gpuPeakBytes = highest;
      record.gpuPeakSource = 'nvidia-smi';
    }
  }
}
