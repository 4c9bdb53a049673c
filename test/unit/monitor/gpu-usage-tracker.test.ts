import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attachSampledGpuPeaks, GpuUsageTracker } from '../../../src/monitor/gpu-usage-tracker.js';
import type { MonitorTotals } from '../../../src/monitor/chunk-monitor.js';
import type { ProcStat } from '../../../src/proc/read-proc-stat.js';
import { bareRecord, type TestRecord } from '../../../src/results/test-records.js';

const MIB = 1024 * 1024;
const GPU = 'GPU-0';

function totals(): MonitorTotals {
  return { samples: 0, peakRssBytes: 0, peakPssBytes: null, peakProcesses: 0, peakGpuBytes: null, gpuAttribution: null, gpuDevicePeaks: new Map(), lastRssBytes: null, lastRssByPid: new Map(), gpuByPid: new Map() };
}

const member = (pid: number): ProcStat => ({ pid }) as ProcStat;
const reading = (atMs: number, processes: [number, number | null][]) => ({
  takenAtMs: atMs,
  devices: [{ index: 0, uuid: GPU, memoryUsedBytes: 4000 * MIB, memoryTotalBytes: 8000 * MIB }],
  processes: processes.map(([pid, used]) => ({ pid, gpuUuid: GPU, usedMemoryBytes: used })),
});

test('each chunk process\'s GPU readings are kept once per round; other processes and unknown amounts are not', () => {
  const kept = totals();
  const tracker = new GpuUsageTracker(undefined, kept, () => {});
  const first = reading(1_000, [[11, 100 * MIB], [99, 700 * MIB], [12, null]]);
  tracker.record(first, [member(11), member(12)]);
  tracker.record(first, [member(11), member(12)]); // a second sample seeing the same round
  tracker.record(reading(1_500, [[11, 300 * MIB]]), [member(11), member(12)]);
  assert.deepEqual([...kept.gpuByPid], [[11, [{ atMs: 1_000, bytes: 100 * MIB }, { atMs: 1_500, bytes: 300 * MIB }]]]);
});

test('a test gets the highest reading of its process while it ran, unless torch gave the exact one', () => {
  const record = (nodeid: string, pid: number, fromS: number, toS: number, torch: number | null = null): TestRecord => ({
    ...bareRecord(nodeid, 'passed', '', 1),
    pid,
    startedAtS: fromS,
    endedAtS: toS,
    gpuPeakBytes: torch,
    gpuPeakSource: torch === null ? null : 'torch',
  });
  const readings = new Map([[11, [{ atMs: 1_000, bytes: 100 * MIB }, { atMs: 1_500, bytes: 300 * MIB }, { atMs: 2_500, bytes: 900 * MIB }]]]);
  const records = [record('during', 11, 0.9, 2.0), record('after', 11, 2.6, 3.0), record('torch', 11, 0.9, 3.0, 5 * MIB), record('other-pid', 12, 0.9, 3.0)];
  attachSampledGpuPeaks(records, readings);
  assert.deepEqual(records.map((one) => [one.nodeid, one.gpuPeakBytes, one.gpuPeakSource]), [
    ['during', 300 * MIB, 'nvidia-smi'],
    ['after', null, null],
    ['torch', 5 * MIB, 'torch'],
    ['other-pid', null, null],
  ]);
});
