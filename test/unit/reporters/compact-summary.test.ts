import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chalk } from 'chalk';
import { renderCompactSummary } from '../../../src/reporters/compact-summary.js';
import { renderSummaryTable } from '../../../src/reporters/summary-table.js';
import { baseChunkReport, memory } from '../../helpers/report-fixtures.js';
import { runReport } from '../ci/ci-fixtures.js';

const plain = new Chalk({ level: 0 });

const REPORT = runReport([
  baseChunkReport('unit_fast_and_small'),
  baseChunkReport('integration', { status: 'failed', tests: { total: 120, passed: 117, failed: 3, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 } }),
  baseChunkReport('gpu_models', {
    status: 'memory-limit',
    required: false,
    tests: { total: 40, passed: 12, failed: 0, skipped: 0, errors: 1, xfailed: 0, xpassed: 0 },
    notRun: 27,
    memory: memory(3_010_000_000, { limitBytes: 3_000_000_000 }),
  }),
]);

test('the compact summary fits 80 columns where the full table does not', () => {
  const widest = (text: string): number => Math.max(...text.split('\n').map((line) => line.length));
  // Typical rows: names up to 20 characters, an optional chunk, a limit. (A long name with many
  // non-zero counts can still pass 80: the row then wraps, as prose does.)
  const typical = runReport([...REPORT.chunks.slice(0, 2), { ...REPORT.chunks[2]!, notRun: 0 }]);
  assert.ok(widest(renderSummaryTable(typical, plain)) > 100, 'the full table is wide: else this test proves nothing');
  const compact = renderCompactSummary(typical, plain);
  assert.ok(widest(compact) <= 80, compact);
  assert.doesNotMatch(compact, /[│┌└]|\s$/m);
});

test('the compact summary: one row per chunk with status, non-zero counts, time and peak (in the limit\'s units)', () => {
  const lines = renderCompactSummary(REPORT, plain).split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^Chunk +Status +Tests +Time +Peak$/);
  assert.match(lines[1]!, /^unit_fast_and_small +✔ passed +3 passed +1\.5s +200 MiB$/);
  assert.match(lines[2]!, /^integration +✖ failed +117 passed, 3 failed +1\.5s +200 MiB$/);
  assert.match(lines[3]!, /^gpu_models \(optional\) +\S+ memory-limit +12 passed, 1 error, 27 not run +1\.5s +3\.01 GB$/);
});
