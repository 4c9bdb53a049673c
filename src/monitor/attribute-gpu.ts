// GPU readings as the monitor needs them; the nvidia-smi layer (src/gpu) produces this shape.

/** One GPU at one moment. */
export interface GpuDeviceUsage {
  index: number;
  uuid: string;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
}

/** One compute process on a GPU, as the driver names it. */
export interface GpuProcessUsage {
  pid: number;
  gpuUuid: string;
  usedMemoryBytes: number | null;
}

/** Everything one GPU sampling tick saw. */
export interface GpuReadings {
  takenAtMs: number;
  devices: GpuDeviceUsage[];
  processes: GpuProcessUsage[];
}

/** Where GPU readings come from (a running GPU monitor). */
export interface GpuSource {
  latest(): GpuReadings | undefined;
}

/**
 * How GPU memory was attributed to a chunk: by the PIDs of its processes, or (when the driver
 * reports PIDs that exist nowhere here, as inside a container with its own PID namespace) by
 * the growth of device memory since the chunk started.
 */
export type GpuAttribution = 'process' | 'device-delta';

/** The chunk's share of GPU memory at one tick. */
export interface GpuShare {
  bytes: number;
  attribution: GpuAttribution;
}

/**
 * Attributes GPU memory to a chunk. `chunkPids` are the chunk's processes, `isVisiblePid` tells
 * whether a pid exists on this machine, `baselineUsedBytes` is each device's used memory when the
 * chunk started.
 */
export function attributeGpu(
  readings: GpuReadings,
  chunkPids: ReadonlySet<number>,
  isVisiblePid: (pid: number) => boolean,
  baselineUsedBytes: ReadonlyMap<string, number>,
): GpuShare {
  const owned = readings.processes.filter((process) => chunkPids.has(process.pid));
  if (owned.length > 0) return { bytes: owned.reduce((sum, process) => sum + (process.usedMemoryBytes ?? 0), 0), attribution: 'process' };
  const foreign = readings.processes.length > 0 && readings.processes.every((process) => !isVisiblePid(process.pid));
  if (!foreign) return { bytes: 0, attribution: 'process' };
  let growth = 0;
  for (const device of readings.devices) {
    if (device.memoryUsedBytes === null) continue;
    growth += Math.max(0, device.memoryUsedBytes - (baselineUsedBytes.get(device.uuid) ?? device.memoryUsedBytes));
  }
  return { bytes: growth, attribution: 'device-delta' };
}

/** Each device's used memory, keyed by uuid (devices that report N/A are left out). */
export function snapshotDeviceUsage(readings: GpuReadings | undefined): Map<string, number> {
  const usage = new Map<string, number>();
  for (const device of readings?.devices ?? []) if (device.memoryUsedBytes !== null) usage.set(device.uuid, device.memoryUsedBytes);
  return usage;
}
