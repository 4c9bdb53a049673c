import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attributeGpu, snapshotDeviceUsage, type GpuReadings } from '../../../src/monitor/attribute-gpu.js';

const MIB = 1024 * 1024;
const readings = (processes: GpuReadings['processes'], used = [4000, 1000]): GpuReadings => ({
  takenAtMs: 0,
  devices: used.map((usedMiB, index) => ({ index, uuid: `GPU-${index}`, memoryUsedBytes: usedMiB * MIB, memoryTotalBytes: 81_559 * MIB })),
  processes,
});

test('GPU memory is summed over the chunk\'s own PIDs, on every device', () => {
  const share = attributeGpu(
    readings([
      { pid: 10, gpuUuid: 'GPU-0', usedMemoryBytes: 1500 * MIB },
      { pid: 11, gpuUuid: 'GPU-1', usedMemoryBytes: 500 * MIB },
      { pid: 99, gpuUuid: 'GPU-0', usedMemoryBytes: 2000 * MIB },
    ]),
    new Set([10, 11, 12]),
    () => true,
    new Map(),
  );
  assert.deepEqual(share, { bytes: 2000 * MIB, attribution: 'process' });
});

test('no compute processes, or only other local processes: nothing is attributed', () => {
  assert.deepEqual(attributeGpu(readings([]), new Set([10]), () => true, new Map()), { bytes: 0, attribution: 'process' });
  assert.deepEqual(attributeGpu(readings([{ pid: 99, gpuUuid: 'GPU-0', usedMemoryBytes: MIB }]), new Set([10]), () => true, new Map()), {
    bytes: 0,
    attribution: 'process',
  });
});

test('PIDs that exist nowhere here (a container\'s PID namespace): device growth since the start is attributed', () => {
  const baseline = snapshotDeviceUsage(readings([], [1000, 1000]));
  const share = attributeGpu(readings([{ pid: 123456, gpuUuid: 'GPU-0', usedMemoryBytes: null }], [4000, 900]), new Set([10]), () => false, baseline);
  // Device 0 grew by 3000 MiB; device 1 shrank, which is not counted as negative.
  assert.deepEqual(share, { bytes: 3000 * MIB, attribution: 'device-delta' });
});

test('devices reporting N/A are left out of the baseline', () => {
  const snapshot = readings([]);
  snapshot.devices[1]!.memoryUsedBytes = null;
  assert.deepEqual([...snapshotDeviceUsage(snapshot).keys()], ['GPU-0']);
  assert.equal(snapshotDeviceUsage(undefined).size, 0);
});
