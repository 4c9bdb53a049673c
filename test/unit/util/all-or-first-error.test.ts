import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allOrFirstError } from '../../../src/util/all-or-first-error.js';

const later = <T>(ms: number, value: T, fail = false): Promise<T> => new Promise((resolve, reject) => setTimeout(() => (fail ? reject(value) : resolve(value)), ms));

test('allOrFirstError gives the results in order when every task succeeds', async () => {
  assert.deepEqual(await allOrFirstError([later(20, 'a'), later(5, 'b'), Promise.resolve('c')]), ['a', 'b', 'c']);
});

test('allOrFirstError throws the first failure only after every other task has ended', async () => {
  const ended: string[] = [];
  const slow = later(60, 'slow').finally(() => ended.push('slow'));
  const firstFailure = new Error('first');
  let calls = 0;
  await assert.rejects(
    // Listed first, but failing after the other: the failure that came first in time is thrown.
    allOrFirstError<unknown>([later(30, new Error('second'), true), slow, later(5, firstFailure, true)], () => (calls += 1)),
    (error) => error === firstFailure,
  );
  assert.deepEqual(ended, ['slow']);
  assert.equal(calls, 1);
});
