import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { formatBytes } from '../../../src/config/parse-size.js';
import type { TestSample } from '../../../src/history/history-types.js';
import { buildMemorySchedulePlan, chunkTestForecasts, describeMemorySchedule, readMemoryScheduleReport, writeMemorySchedulePlan } from '../../../src/plan/memory-plan.js';
import { historyOf, MiB, recordedChunk } from '../history/history-fixtures.js';

function sample(peakMiB: number): TestSample {
  return { durationMs: 10, outcome: 'passed', rssDeltaBytes: null, peak: { bytes: peakMiB * MiB, source: 'hwm' } };
}

test("a chunk's forecasts come from its own runs: the same test in another chunk does not count", () => {
  const history = historyOf([[recordedChunk('heavy', { tests: new Map([['t::x', sample(900)]]) }), recordedChunk('light', { tests: new Map([['t::x', sample(40)], ['t::y', sample(60)]]) })]]);
  const forecasts = chunkTestForecasts(history, 'light');
  assert.deepEqual([...forecasts.keys()].sort(), ['t::x', 't::y']);
  assert.equal(forecasts.get('t::x')!.p95PeakRssBytes, 40 * MiB);
  assert.equal(chunkTestForecasts(history, 'none').size, 0);
});

test('the plan: a tenth of the budget kept back, the smallest forecast as a worker between tests, the room shared as the default', () => {
  const history = historyOf([[recordedChunk('c', { tests: new Map([['a', sample(300)], ['b', sample(50)]]) })]]);
  const plan = buildMemorySchedulePlan(chunkTestForecasts(history, 'c'), 1000 * MiB, 3);
  assert.deepEqual(plan, { budgetBytes: 1000 * MiB, reserveBytes: 100 * MiB, baselineBytes: 50 * MiB, defaultForecastBytes: 300 * MiB, forecasts: { a: 300 * MiB, b: 50 * MiB } });
  // No history: the default stands in for the worker between tests too, so n workers fit exactly.
  assert.equal(buildMemorySchedulePlan(new Map(), 900 * MiB, 2).baselineBytes, buildMemorySchedulePlan(new Map(), 900 * MiB, 2).defaultForecastBytes);
});

test("the report: the scheduler's result, the peak furthest over its forecast (exact peaks only), or why xdist's scheduler ran", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-memory-plan-'));
  const plan = buildMemorySchedulePlan(new Map(), 1000 * MiB, 2);
  const file = await writeMemorySchedulePlan(dir, plan);
  const missing = await readMemoryScheduleReport(file, plan, 'available', []);
  assert.equal(missing.scheduler, 'load');
  assert.match(missing.reason!, /xdist's load scheduling ran: the plugin wrote no result/);
  assert.match(describeMemorySchedule(missing, formatBytes), /^memory scheduling did not run: xdist's load scheduling ran/);
  writeFileSync(
    `${file}.result.json`,
    JSON.stringify({
      budgetBytes: 1000 * MiB, roomBytes: 900 * MiB, workers: 2, tests: 3, forecastSources: { history: 2, default: 1 },
      waited: { tests: 1, totalSeconds: 1.25, longest: [{ nodeid: 'b', seconds: 1.25 }] }, oversize: ['c'], forced: 0,
      forecasts: { a: [100 * MiB, 'history'], b: [200 * MiB, 'history'], c: [950 * MiB, 'default'] },
    }),
  );
  const report = await readMemoryScheduleReport(file, plan, 'memoryLimit', [
    { nodeid: 'a', peakRssBytes: 180 * MiB, peakRssSource: 'hwm' },
    { nodeid: 'b', peakRssBytes: 900 * MiB, peakRssSource: 'start-end' },
    { nodeid: 'c', peakRssBytes: 990 * MiB, peakRssSource: 'hwm' },
  ]);
  // A peak a page or two over its forecast is noise, not a forecast error.
  assert.equal((await readMemoryScheduleReport(file, plan, 'memoryLimit', [{ nodeid: 'b', peakRssBytes: 200 * MiB + 512 * 1024, peakRssSource: 'hwm' }])).worstUnderForecast, null);
  assert.equal(report.scheduler, 'memory');
  assert.deepEqual(report.waited, { tests: 1, totalMs: 1250, longest: [{ nodeid: 'b', ms: 1250 }] });
  // a is 80 MiB over, c 40 MiB; b's lower bound proves nothing.
  assert.deepEqual(report.worstUnderForecast, { nodeid: 'a', forecastBytes: 100 * MiB, measuredBytes: 180 * MiB, forecastSource: 'history' });
  assert.equal(
    describeMemorySchedule(report, formatBytes),
    'memory scheduling within 900 MiB of a 1000 MiB budget (memoryLimit); forecasts: 2 from history, 1 from default; 1 waited for memory, 1.3 s in all; 1 over the room alone, run with the other workers idle; largest peak over its forecast: a 180 MiB vs 100 MiB (history)',
  );
});
