import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canStart, orderForSchedule, runsAloneBecause, simulateSchedule, type ScheduleItem } from '../../../src/plan/schedule.js';

const GB = 1_000_000_000;
const item = (name: string, peakGb: number | undefined, durationS: number | undefined, workers = 1): ScheduleItem => ({
  name,
  forecastPeakBytes: peakGb === undefined ? undefined : peakGb * GB,
  forecastDurationMs: durationS === undefined ? undefined : durationS * 1000,
  workers,
});
const LIMITS = { budgetBytes: 8 * GB, cores: 8 };

test('chunks run together while their forecast peaks fit the budget', () => {
  const { slots, makespanMs } = simulateSchedule([item('a', 3, 60), item('b', 3, 30), item('c', 3, 30)], LIMITS);
  // a and b fit together (6 GB); c waits for b to end (a + c = 6 GB).
  assert.deepEqual(
    slots.map((slot) => [slot.name, slot.startMs / 1000, slot.endMs / 1000]),
    [
      ['a', 0, 60],
      ['b', 0, 30],
      ['c', 30, 60],
    ],
  );
  assert.equal(makespanMs, 60_000);
});

test('a chunk that alone exceeds the budget, or has no forecast, runs alone', () => {
  assert.match(runsAloneBecause(item('huge', 9, 10), LIMITS)!, /exceeds the memory budget/);
  assert.match(runsAloneBecause(item('new', undefined, 10), LIMITS)!, /no forecast/);
  const { slots } = simulateSchedule([item('huge', 9, 100), item('small', 1, 10), item('new', undefined, 20)], LIMITS);
  for (const slot of slots) assert.deepEqual(slot.alongside, [], `${slot.name} ran alone`);
  assert.deepEqual(slots.map((slot) => slot.name), ['huge', 'new', 'small']);
});

test('the cores limit: workers of chunks running together never exceed the cores', () => {
  assert.equal(canStart(item('b', 1, 10, 4), [item('a', 1, 10, 4)], LIMITS), true);
  assert.equal(canStart(item('c', 1, 10, 1), [item('a', 1, 10, 4), item('b', 1, 10, 4)], LIMITS), false);
  assert.match(runsAloneBecause(item('wide', 1, 10, 16), LIMITS)!, /more workers than the machine has cores/);
});

test('longest forecast duration first; unknown durations keep config order at the end', () => {
  assert.deepEqual(
    orderForSchedule([item('x', 1, undefined), item('short', 1, 5), item('long', 1, 50), item('y', 1, undefined)]).map((entry) => entry.name),
    ['long', 'short', 'x', 'y'],
  );
});

test('never more than the budget at any moment of the simulated schedule', () => {
  const items = Array.from({ length: 12 }, (_, index) => item(`c${index}`, 1 + (index % 4), 10 + ((index * 7) % 23)));
  const { slots } = simulateSchedule(items, LIMITS);
  for (const slot of slots) {
    const concurrent = slots.filter((other) => other.startMs <= slot.startMs && other.endMs > slot.startMs);
    const memory = concurrent.reduce((sum, other) => sum + items.find((entry) => entry.name === other.name)!.forecastPeakBytes!, 0);
    assert.ok(memory <= LIMITS.budgetBytes, `${memory} at ${slot.startMs}`);
  }
  assert.equal(slots.length, 12);
});
