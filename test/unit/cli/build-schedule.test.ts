import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSchedule, type BuiltSchedule } from '../../../src/cli/build-schedule.js';

test('--dry-run\'s schedule names a forecast scaled to other workers, and says which chunks run one after another', () => {
  const GB = 1_000_000_000;
  const schedule: BuiltSchedule = {
    limits: { budgetBytes: 16 * GB, cores: 2 },
    items: new Map([
      ['unit', { name: 'unit', forecastPeakBytes: 2 * GB, forecastDurationMs: 60_000, workers: 2 }],
      ['integration', { name: 'integration', forecastPeakBytes: 3 * GB, forecastDurationMs: 30_000, workers: 2 }],
    ]),
    sources: new Map([
      ['unit', 'history'],
      ['integration', 'memoryEstimate'],
    ]),
    scaledFrom: new Map([['unit', [1]]]),
  };
  const text = formatSchedule(schedule);
  assert.match(text, /unit \(peak 2 GB from history, scaled from 1 to 2 workers, ~1m\), first/);
  assert.match(text, /at \+1m: integration \(peak 3 GB from memoryEstimate, ~30\.0s\), on its own/);
  assert.match(text, /^ {2}unit and integration run one after another: each uses both cores \(its xdist workers\)\.$/m);
});
