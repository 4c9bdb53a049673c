import { existsSync } from 'node:fs';
import type { ProcStat } from '../proc/read-proc-stat.js';
import { attributeGpu, snapshotDeviceUsage, type GpuReadings, type GpuShare } from './attribute-gpu.js';
import type { MonitorTotals } from './chunk-monitor.js';

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
    const share = attributeGpu(readings, new Set(members.map((stat) => stat.pid)), isVisiblePid, this.baseline);
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
}
