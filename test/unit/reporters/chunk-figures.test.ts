import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeGpuPeak, describeGrowth, describePeak } from '../../../src/reporters/chunk-figures.js';
import { baseChunkReport, memory } from '../../helpers/report-fixtures.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

test('a peak beside a limit written in decimal units is shown in them: "2.9 GB cgroup / 3 GB", not "2.7 GiB … / 2.79 GiB"', () => {
  const peak = { bytes: 2.9e9, source: 'cgroup' as const, detail: 'memory.max_usage_in_bytes' };
  assert.equal(describePeak(baseChunkReport('decimal', { memory: memory(2.9e9, { limitBytes: 3e9, peak }) })), '2.9 GB cgroup / 3 GB');
  assert.equal(describePeak(baseChunkReport('binary', { memory: memory(2.9e9, { limitBytes: 4 * GiB, peak }) })), '2.7 GiB cgroup / 4 GiB');
  assert.equal(describePeak(baseChunkReport('none', { memory: memory(2.9e9, { peak }) })), '2.7 GiB cgroup');
  assert.equal(describePeak(baseChunkReport('unsampled', { memory: null })), '–');
});

test('the GPU peak and its limit alike', () => {
  const gpu = (limitBytes: number | null) => ({ peakBytes: 1.5e9, attribution: 'process' as const, limitBytes, devices: [] });
  assert.equal(describeGpuPeak(baseChunkReport('decimal', { gpu: gpu(2e9) })), '1.5 GB / 2 GB');
  assert.equal(describeGpuPeak(baseChunkReport('binary', { gpu: gpu(2 * GiB) })), '1.4 GiB / 2 GiB');
  assert.equal(describeGpuPeak(baseChunkReport('none', { gpu: gpu(null) })), '1.4 GiB');
  assert.equal(describeGpuPeak(baseChunkReport('cpu', { gpu: null })), '–');
});

test('the growth column is rounded: "+382%", "+4.2%", "0%"', () => {
  assert.equal(describeGrowth(baseChunkReport('big', { memory: memory(MiB, { growthPercent: 382.14159 }) })), '+382%');
  assert.equal(describeGrowth(baseChunkReport('small', { memory: memory(MiB, { growthPercent: 4.2 }) })), '+4.2%');
  assert.equal(describeGrowth(baseChunkReport('flat', { memory: memory(MiB, { growthPercent: 0 }) })), '0%');
  assert.equal(describeGrowth(baseChunkReport('unknown', { memory: memory(MiB, { growthPercent: null }) })), '–');
});
