import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downsampleMax, MAX_SERIES_POINTS, thinByTime } from '../../../src/html/downsample.js';

test('downsampleMax keeps at most the given number of points, in time order, and never loses the peak', () => {
  const points = Array.from({ length: 100_003 }, (_, index) => ({ t: index * 10, value: 100 + (index % 7) }));
  points[54_321] = { t: 543_210, value: 10_000 };
  const kept = downsampleMax(points);
  assert.equal(kept.length, MAX_SERIES_POINTS);
  assert.ok(kept.some((point) => point.t === 543_210 && point.value === 10_000), 'the spike survives with its own time');
  assert.ok(kept.every((point, index) => index === 0 || point.t > kept[index - 1]!.t));
  // Every bucket reports its maximum: nothing lower than the series' floor of maxima (106).
  assert.ok(kept.every((point) => point.value >= 106));
});

test('downsampleMax returns a short series unchanged (as a copy)', () => {
  const points = [
    { t: 0, value: 1 },
    { t: 5, value: 3 },
  ];
  const kept = downsampleMax(points, 10);
  assert.deepEqual(kept, points);
  assert.notEqual(kept, points);
});

test('thinByTime keeps one item per time slot, the one ranked first, in time order', () => {
  const items = Array.from({ length: 1000 }, (_, index) => ({ tMs: index, size: index === 437 ? 1000 : index % 3 }));
  const kept = thinByTime(items, 1000, 10, (a, b) => b.size - a.size);
  assert.equal(kept.length, 10);
  assert.ok(kept.some((item) => item.tMs === 437));
  assert.ok(kept.every((item, index) => index === 0 || item.tMs > kept[index - 1]!.tMs));
  assert.equal(thinByTime(items.slice(0, 5), 1000, 10, () => 0).length, 5);
});
