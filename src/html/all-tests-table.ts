// The "All tests" table: every test of every chunk with its outcome, duration and memory. A run
// may have 50,000 tests, so the rows go into the page once, as JSON in a data block, and the
// page's script shows a page of them at a time (sorted, filtered). Without scripts the first page
// is there as plain rows, with a note saying that the rest needs JavaScript.
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import type { PeakSource, TestRecordOutcome } from '../results/test-records.js';
import { ALL_TESTS_COLUMNS, ALL_TESTS_PAGE_SIZE } from './all-tests-script.js';
import type { HtmlChunkData } from './html-input.js';
import { embedJson, html, type SafeHtml } from './html-text.js';

/** One test in the page's data: [chunk index, nodeid, outcome, durationMs, peakRssBytes, peakRssSource, retained RSS bytes, worker, attempt]. */
export type AllTestsRow = [
  chunk: number,
  nodeid: string,
  outcome: TestRecordOutcome,
  durationMs: number | null,
  peakRssBytes: number | null,
  peakRssSource: PeakSource | null,
  retainedBytes: number | null,
  worker: string | null,
  attempt: number,
];

/** What the page's data block holds: the chunks' names, and a row per test. */
export interface AllTestsData {
  chunks: string[];
  rows: AllTestsRow[];
}

/** Every record of every chunk, by chunk in report order, each chunk's in the order the run recorded them. */
export function allTestsData(chunks: readonly HtmlChunkData[]): AllTestsData {
  const rows: AllTestsRow[] = [];
  for (const [index, data] of chunks.entries()) {
    for (const record of data.records) {
      const retained = record.rssStartBytes !== null && record.rssEndBytes !== null ? record.rssEndBytes - record.rssStartBytes : null;
      rows.push([index, record.nodeid, record.outcome, record.durationMs, record.peakRssBytes, record.peakRssSource, retained, record.worker, record.attempt]);
    }
  }
  return { chunks: chunks.map((data) => data.report.name), rows };
}

/** The text of each cell of a row, as the page's script writes it: "≥" before a peak that is a lower bound. */
export function allTestsCells(row: AllTestsRow, chunks: readonly string[]): string[] {
  const [chunk, nodeid, outcome, durationMs, peakBytes, peakSource, retainedBytes, worker, attempt] = row;
  const peak = peakBytes === null ? '–' : `${peakSource === 'start-end' ? '≥ ' : ''}${formatBytes(peakBytes)}`;
  const retained = retainedBytes === null ? '–' : `${retainedBytes > 0 ? '+' : ''}${formatBytes(retainedBytes)}`;
  return [chunks[chunk] ?? '', nodeid, outcome, durationMs === null ? '–' : formatDurationMs(durationMs), peak, retained, worker ?? '–', String(attempt)];
}

function cellClass(column: (typeof ALL_TESTS_COLUMNS)[number]): string {
  return column.numeric ? 'num' : column.key === 'nodeid' ? 'nodeid' : '';
}

function staticRow(row: AllTestsRow, chunks: readonly string[]): SafeHtml {
  const cells = allTestsCells(row, chunks);
  return html`<tr class="outcome-${row[2]}">${ALL_TESTS_COLUMNS.map((column, index) => {
    const cls = cellClass(column);
    return html`<td${cls ? html` class="${cls}"` : ''}>${cells[index]}</td>`;
  })}</tr>`;
}

/** The section: legend, controls (shown when scripts run), the first page of rows, and every row as JSON. */
export function renderAllTests(data: AllTestsData): SafeHtml {
  const total = data.rows.length;
  if (total === 0) return html`<section class="all-tests" id="all-tests"><h2>All tests</h2><p class="muted">No per-test results: no chunk's records or events file held a test.</p></section>`;
  const shown = Math.min(total, ALL_TESTS_PAGE_SIZE);
  const head = ALL_TESTS_COLUMNS.map((column) => html`<th${column.numeric ? html` class="num"` : ''} data-column="${column.key}" aria-sort="none" tabindex="0">${column.label}</th>`);
  const withoutScript =
    total <= ALL_TESTS_PAGE_SIZE
      ? `Without JavaScript: all ${total} rows, by chunk and in the order the tests were recorded; sorting and search need JavaScript.`
      : `Without JavaScript: rows 1–${shown} of ${total}, by chunk and in the order the tests were recorded; sorting, search and the other ${total - shown} rows need JavaScript (they are in this page's data).`;
  return html`<section class="all-tests" id="all-tests"><h2>All tests <span class="muted">(${total})</span></h2>
<p class="muted">Peak RSS: the test's own process at its highest, from setup to teardown. Exact where the kernel's high-water mark (VmHWM) could be reset as the test began; <b>≥</b> marks a lower bound where it could not: the larger of its RSS at the test's start and end, blind to what the test freed. Retained RSS: its process's RSS at the test's end minus at its start. Duration: pytest's setup, call and teardown. Worker: the xdist worker (– without xdist).</p>
<div class="table-controls js-only"><input type="search" id="all-tests-filter" placeholder="Filter by node id" aria-label="Filter tests by node id (any case)"><button type="button" id="all-tests-prev">Previous</button><span id="all-tests-status" aria-live="polite">Rows 1–${shown} of ${total}</span><button type="button" id="all-tests-next">Next</button><span class="muted">Click a column's header to sort by it.</span></div>
<p class="nojs muted">${withoutScript}</p>
<table class="tests all-tests"><thead><tr id="all-tests-head">${head}</tr></thead><tbody id="all-tests-body">${data.rows.slice(0, shown).map((row) => staticRow(row, data.chunks))}</tbody></table>
<script type="application/json" id="all-tests-data">${embedJson(data)}</script></section>`;
}
