import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDeviceRoundSplitter } from '../../../src/gpu/device-round-splitter.js';
import type { GpuDeviceReading } from '../../../src/gpu/nvidia-smi-csv.js';

function row(index: number, usedBytes = 0): GpuDeviceReading {
  return { index, uuid: `GPU-${index}`, memoryUsedBytes: usedBytes, memoryTotalBytes: 100, utilizationPercent: 0 };
}

function indices(round: GpuDeviceReading[] | undefined): number[] | undefined {
  return round?.map((reading) => reading.index);
}

test('learns the round size from the first round, then completes rounds without waiting', () => {
  const splitter = createDeviceRoundSplitter();
  assert.equal(splitter.push(row(0)), undefined);
  assert.equal(splitter.push(row(1)), undefined);
  assert.equal(splitter.push(row(2)), undefined);
  // The index going back ends the first round (its size was unknown until now).
  assert.deepEqual(indices(splitter.push(row(0))), [0, 1, 2]);
  assert.equal(splitter.push(row(1)), undefined);
  // Three rows: complete at once.
  assert.deepEqual(indices(splitter.push(row(2))), [0, 1, 2]);
  assert.equal(splitter.push(row(0)), undefined);
});

test('a single GPU: every row after the first completes a round', () => {
  const splitter = createDeviceRoundSplitter();
  assert.equal(splitter.push(row(0, 1)), undefined);
  assert.deepEqual(splitter.push(row(0, 2))?.[0]?.memoryUsedBytes, 2);
  assert.deepEqual(splitter.push(row(0, 3))?.[0]?.memoryUsedBytes, 3);
});

test('a round that ends short (a GPU stopped answering) is emitted and becomes the new size', () => {
  const splitter = createDeviceRoundSplitter();
  for (const index of [0, 1, 2]) splitter.push(row(index));
  assert.deepEqual(indices(splitter.push(row(0))), [0, 1, 2]);
  splitter.push(row(1));
  assert.deepEqual(indices(splitter.push(row(0))), [0, 1]);
  assert.deepEqual(indices(splitter.push(row(1))), [0, 1]);
});
