import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainOneAfterAnother } from '../../../src/plan/explain-schedule.js';
import { simulateSchedule, type ScheduleItem } from '../../../src/plan/schedule.js';

const GB = 1_000_000_000;
const item = (name: string, peakGb: number | undefined, workers: number): ScheduleItem => ({
  name,
  forecastPeakBytes: peakGb === undefined ? undefined : peakGb * GB,
  forecastDurationMs: 10_000,
  workers,
});

test('two chunks of 2 workers on 2 cores run one after another, and the schedule says each uses both cores', () => {
  const items = [item('unit', 1, 2), item('integration', 1, 2)];
  const limits = { budgetBytes: 16 * GB, cores: 2 };
  const { slots } = simulateSchedule(items, limits);
  assert.deepEqual(
    slots.map((slot) => slot.alongside),
    [[], []],
    'the simulation indeed runs them apart',
  );
  assert.equal(explainOneAfterAnother(items, limits), 'unit and integration run one after another: each uses both cores (its xdist workers).');
  assert.equal(explainOneAfterAnother(items, { budgetBytes: 16 * GB, cores: 8 }), undefined, 'on 8 cores they run together: nothing to explain');
  assert.match(explainOneAfterAnother([item('a', 1, 4), item('b', 1, 4)], { budgetBytes: 16 * GB, cores: 4 })!, /each uses all 4 cores/);
});

test('the reason names the cores when the sum of workers is over them, the budget when the peaks are, or either', () => {
  const cores = explainOneAfterAnother([item('a', 1, 3), item('b', 1, 2)], { budgetBytes: 16 * GB, cores: 4 });
  assert.equal(cores, 'a and b run one after another: beside any other chunk, the workers would exceed the 4 cores (a 3, b 2).');
  const budget = explainOneAfterAnother([item('a', 5, 1), item('b', 5, 1), item('c', 5, 1)], { budgetBytes: 8 * GB, cores: 8 });
  assert.equal(budget, 'a, b and c run one after another: beside any other chunk, the forecast peaks would exceed the 8 GB budget.');
  const either = explainOneAfterAnother([item('a', 5, 1), item('b', 5, 1), item('c', 1, 4)], { budgetBytes: 8 * GB, cores: 4 });
  assert.match(either!, /^a, b and c run one after another: beside any other chunk, either the workers would exceed the 4 cores or the forecast peaks the 8 GB budget\.$/);
});

test('a chunk that fits beside no other is named alone; chunks that must run alone anyway are left to their own notice', () => {
  const limits = { budgetBytes: 8 * GB, cores: 4 };
  assert.equal(explainOneAfterAnother([item('big', 7.5, 1), item('a', 1, 1), item('b', 1, 1)], limits), 'big runs alone: beside any other chunk, the forecast peaks would exceed the 8 GB budget.');
  assert.equal(explainOneAfterAnother([item('new', undefined, 1), item('a', 1, 1)], limits), undefined, '"new" has no forecast: runsAloneBecause says so');
  assert.equal(explainOneAfterAnother([item('a', 1, 4)], limits), undefined, 'one chunk: nothing runs after anything');
});
