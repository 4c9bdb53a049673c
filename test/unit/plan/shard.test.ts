import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseShardSpec, partitionTests } from '../../../src/plan/shard.js';

test('--shard I/N parses; nonsense is undefined', () => {
  assert.deepEqual(parseShardSpec('2/4'), { index: 2, count: 4 });
  for (const bad of ['0/4', '5/4', '1/0', 'a/b', '2', '2/4/1', '-1/4']) assert.equal(parseShardSpec(bad), undefined, bad);
});

test('every collected test lands in exactly one shard', () => {
  const ids = Array.from({ length: 1000 }, (_, index) => `tests/test_${index % 37}.py::test_${index}`);
  const groups = partitionTests(ids, new Map(), 7);
  const all = groups.flat();
  assert.equal(all.length, ids.length);
  assert.deepEqual(new Set(all), new Set(ids));
  assert.ok(groups.every((group) => group.length > 0));
});

test('shards balance within 10% on a synthetic history; untimed tests take the median', () => {
  // Durations from 10 ms to 30 s, skewed like real suites (a few slow tests, many quick ones).
  const ids = Array.from({ length: 500 }, (_, index) => `t.py::test_${index}`);
  const durations = new Map(ids.slice(0, 450).map((id, index) => [id, 10 + Math.round(30_000 * ((index * 7919) % 450) ** 3 / 450 ** 3)]));
  for (const count of [2, 3, 4, 8]) {
    const groups = partitionTests(ids, durations, count);
    const median = [...durations.values()].sort((a, b) => a - b)[225]!;
    const loads = groups.map((group) => group.reduce((sum, id) => sum + (durations.get(id) ?? median), 0));
    const mean = loads.reduce((sum, load) => sum + load, 0) / count;
    for (const load of loads) assert.ok(Math.abs(load - mean) / mean <= 0.1, `count ${count}: ${loads.join(', ')}`);
  }
});

test('the split does not depend on the order tests were collected in', () => {
  const ids = Array.from({ length: 200 }, (_, index) => `t.py::test_${index}`);
  const a = partitionTests(ids, new Map(), 3);
  const b = partitionTests([...ids].reverse(), new Map(), 3);
  assert.deepEqual(a.map((group) => [...group].sort()), b.map((group) => [...group].sort()));
});

test('more shards than tests: extra shards are empty lists, never an error', () => {
  const groups = partitionTests(['a::x', 'a::y'], new Map(), 4);
  assert.equal(groups.flat().length, 2);
  assert.equal(groups.filter((group) => group.length === 0).length, 2);
});
