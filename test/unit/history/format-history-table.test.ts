import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatHistoryTable } from '../../../src/history/format-history-table.js';
import { emptyHistory } from '../../../src/history/history-types.js';
import { historyOf, MiB, recordedChunk, timedTests } from './history-fixtures.js';

/** The table's data rows, split into trimmed cells (the border characters dropped). */
function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) =>
      line
        .split('│')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

const PEAKS_MIB = [1000, 1000, 1000, 1100, 1250, 1250, 1250];

test('the history table: one row per chunk with durations, peaks and trend; a regression is flagged and explained', () => {
  const history = historyOf(
    PEAKS_MIB.map((peak, i) => [
      recordedChunk('unit_memory', { peakRssBytes: peak * MiB, durationMs: 60_000 + i * 1000, workers: 2 }),
      recordedChunk('unit_fast', { peakRssBytes: (500 + i) * MiB, durationMs: 5_000 }),
    ]),
  );
  const text = formatHistoryTable(history);
  assert.doesNotMatch(text, /\u001b\[/, 'plain text: no colour codes');
  assert.match(text.split('\n')[0]!, /^Run history: 7 runs \(2026-05-01T10:01:00\.000Z to 2026-05-01T10:07:00\.000Z\)\.$/);
  const [head, memoryRow, fastRow] = rows(text);
  assert.deepEqual(head, ['Chunk', 'Runs', 'Last status', 'Median time', 'p95 time', 'Median peak', 'p95 peak', 'p95 per worker', 'Peak trend']);
  assert.deepEqual(memoryRow, ['unit_memory', '7', 'passed', '1m03s', '1m06s', '1.07 GiB', '1.22 GiB', '625 MiB', '+25% REGRESSION']);
  assert.deepEqual(fastRow, ['unit_fast', '7', 'passed', '5.0s', '5.0s', '503 MiB', '506 MiB', '253 MiB', '+0.8%']);
  assert.match(text, /Memory regression in unit_memory: its peak grew \+25% \(1000 MiB → 1\.22 GiB, median of the first 3 runs vs the last 3; more than 20% is flagged\)\./);
  assert.doesNotMatch(text, /regression in unit_fast/);
});

test('the history table shows GPU peaks only when some chunk had one, and – for what was never measured', () => {
  const history = historyOf([[recordedChunk('gpu', { peakGpuBytes: 2048 * MiB }), recordedChunk('cmd', { peakRssBytes: null })]]);
  const [head, gpu, cmd] = rows(formatHistoryTable(history));
  assert.equal(head!.at(-1), 'p95 GPU');
  assert.equal(gpu!.at(-1), '2 GiB');
  assert.deepEqual(cmd!.slice(5), ['–', '–', '–', '–', '–']);
  assert.match(formatHistoryTable(history), /^Run history: 1 run \(/);
});

test('an empty history says so instead of printing an empty table', () => {
  assert.equal(formatHistoryTable(emptyHistory()), 'The run history is empty: each run of run-chunks adds itself to it, so run some chunks first.');
});

test('the history lists the tests with the highest p95 peak, with their runs, and "≥" where some run knew only a lower bound', () => {
  const peak = (mib: number, source: 'hwm' | 'start-end') => ({ durationMs: 5, outcome: 'passed' as const, rssDeltaBytes: null, peak: { bytes: mib * MiB, source } });
  const history = historyOf(
    [0, 1, 2].map((n) => [
      recordedChunk('unit', {
        tests: new Map([
          ['tests/test_big.py::test_alloc', peak(300 + n, 'hwm')],
          ['tests/test_mid.py::test_bound', peak(200, n === 1 ? 'start-end' : 'hwm')],
          ...Array.from({ length: 12 }, (_, i) => [`tests/test_small.py::test_${i}`, peak(10 + i, 'hwm')] as const),
        ]),
      }),
    ]),
  );
  const text = formatHistoryTable(history);
  assert.doesNotMatch(text, /\u001b\[/, 'plain text: no colour codes');
  assert.match(text, /^Tests with the highest peak RSS in their own process \(nearest-rank p95 over the runs that measured each; "≥": /m);
  const tables = rows(text);
  const start = tables.findIndex((cells) => cells[0] === 'Test');
  assert.deepEqual(tables[start], ['Test', 'Runs', 'p95 peak', 'Measured']);
  const listed = tables.slice(start + 1);
  assert.equal(listed.length, 10);
  assert.deepEqual(listed[0], ['tests/test_big.py::test_alloc', '3', '302 MiB', 'exact']);
  assert.deepEqual(listed[1], ['tests/test_mid.py::test_bound', '3', '≥ 200 MiB', 'lower bound in some run']);
  assert.deepEqual(listed[2], ['tests/test_small.py::test_11', '3', '21 MiB', 'exact']);
});

test('without any test peak (a history from before them), no test table is printed', () => {
  const text = formatHistoryTable(historyOf([[recordedChunk('unit', { tests: timedTests([['t', 5]]) })]]));
  assert.doesNotMatch(text, /Tests with the highest peak/);
  assert.equal(rows(text).filter((cells) => cells[0] === 'Test').length, 0);
});
