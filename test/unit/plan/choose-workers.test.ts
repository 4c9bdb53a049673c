import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseWorkers } from '../../../src/plan/choose-workers.js';

const GIB = 1024 ** 3;

test('workers "auto": 1 without history, then as many as memory and cores allow', () => {
  assert.deepEqual(chooseWorkers(undefined, 16 * GIB, 8).workers, 1);
  assert.match(chooseWorkers(null, 16 * GIB, 8).reason, /no history of this chunk yet, so 1 worker/);
  assert.equal(chooseWorkers(2 * GIB, 16 * GIB, 16).workers, 8, 'memory-bound: 16 GiB / 2 GiB');
  assert.match(chooseWorkers(2 * GIB, 16 * GIB, 16).reason, /limited by memory: 16 GiB ÷ 2 GiB per worker/);
  assert.equal(chooseWorkers(GIB, 16 * GIB, 4).workers, 4, 'core-bound');
  assert.match(chooseWorkers(GIB, 16 * GIB, 4).reason, /limited by the 4 cores/);
  assert.equal(chooseWorkers(32 * GIB, 16 * GIB, 4).workers, 1, 'never below 1');
});
