// The per-chunk test lists: blamed tests, the tests that needed the most memory and those that
// kept the most, and failed and killed tests. A chunk may fail thousands of tests, so long lists are split into pages of
// PAGE_SIZE, every page after the first folded in a <details> (readable without any script).
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import type { ChunkReport } from '../results/report-types.js';
import type { PeakSource } from '../results/test-records.js';
import type { FailedTest } from './html-input.js';
import { html, type HtmlValue, type SafeHtml } from './html-text.js';
import { describeVerdict } from '../results/verdict-text.js';

/** Rows shown per page of a list. */
export const PAGE_SIZE = 100;
/** Failed tests listed per chunk; beyond them, junit.xml and report.json have the rest. */
export const MAX_LISTED_FAILURES = 2000;
/** Failures whose full pytest text is included (the others keep their one-line message). */
const MAX_LONGREPRS = 200;
/** Characters kept of a message and of a failure's full text, so one huge traceback cannot bloat the page. */
const MAX_MESSAGE_CHARS = 500;
const MAX_LONGREPR_CHARS = 4000;

function cut(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}… (${text.length - maxChars} more characters)`;
}

function bytesOrDash(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '–' : formatBytes(bytes);
}

/** A table whose rows after the first page are folded into <details>, one per page. */
export function renderPagedTable(caption: string, head: readonly string[], rows: readonly SafeHtml[], total = rows.length): SafeHtml {
  const header = html`<thead><tr>${head.map((cell) => html`<th>${cell}</th>`)}</tr></thead>`;
  const pages: SafeHtml[] = [];
  for (let start = PAGE_SIZE; start < rows.length; start += PAGE_SIZE) {
    const end = Math.min(rows.length, start + PAGE_SIZE);
    pages.push(html`<details class="page"><summary>${caption} ${start + 1}–${end} of ${total}</summary><table class="tests">${header}<tbody>${rows.slice(start, end)}</tbody></table></details>`);
  }
  const more = total > rows.length ? html`<p class="muted">…and ${total - rows.length} more, not listed here: see junit.xml and report.json.</p>` : html``;
  return html`<table class="tests">${header}<tbody>${rows.slice(0, PAGE_SIZE)}</tbody></table>${pages}${more}`;
}

/** The tests running when the chunk was killed. */
export function renderBlamedTests(chunk: ChunkReport): SafeHtml {
  if (chunk.blamedTests.length === 0) return html``;
  const rows = chunk.blamedTests.map(
    (test) =>
      html`<tr class="blamed"><td class="nodeid">${test.nodeid}</td><td>${test.reason}</td><td>${test.worker ?? '–'}</td><td class="num">${bytesOrDash(test.rssGrowthBytes)}</td><td class="num">${bytesOrDash(test.chunkRssBytes)}</td><td>${test.verdict === null ? '–' : describeVerdict(test.verdict)}</td></tr>`,
  );
  return html`<h3>Blamed tests</h3>${renderPagedTable('Blamed tests', ['Test', 'Reason', 'Worker', "Its process's RSS growth", 'Chunk RSS at the last sample', 'Verdict when run alone'], rows)}`;
}

/** The tests whose process kept the most: its RSS at the test's end minus at its start. */
export function renderTopRetainedTests(chunk: ChunkReport): SafeHtml {
  const heading = html`<h3>Tests that kept the most memory <span class="muted">(retained RSS: their process's RSS at the test's end minus at its start)</span></h3>`;
  if (chunk.topRetainedTests.length === 0) return html`${heading}<p class="muted">No test's process kept memory across it (or the chunk has no per-test results).</p>`;
  const rows = chunk.topRetainedTests.map(
    (test) =>
      html`<tr><td class="nodeid">${test.nodeid}</td><td class="num">+${formatBytes(test.rssDeltaBytes)}</td><td class="num">${bytesOrDash(test.rssEndBytes)}</td><td class="num">${test.gpuDeltaBytes === null ? '–' : signed(test.gpuDeltaBytes)}</td><td>${test.worker ?? '–'}</td></tr>`,
  );
  return html`${heading}${renderPagedTable('Tests', ['Test', 'Retained RSS', 'RSS at its end', 'GPU memory, end − start', 'Worker'], rows)}`;
}

/** "+4 MiB", "-200 KiB", "0 B". */
function signed(bytes: number): string {
  return `${bytes > 0 ? '+' : ''}${formatBytes(bytes)}`;
}

/** "412 MiB", or "≥ 412 MiB" for a lower bound (the larger of the RSS at the test's start and end). */
export function describeTestPeak(bytes: number, source: PeakSource): SafeHtml {
  return source === 'hwm' ? html`${formatBytes(bytes)}` : html`<span title="a lower bound: the larger of its RSS at the test's start and end">≥ ${formatBytes(bytes)}</span>`;
}

/** The tests whose process needed the most memory while they ran: their peak RSS, and what a peak that is a lower bound means. */
export function renderTopPeakTests(chunk: ChunkReport): SafeHtml {
  const heading = html`<h3>Tests that needed the most memory <span class="muted">(peak RSS of their own process, setup to teardown)</span></h3>`;
  if (chunk.topPeakTests.length === 0) return html`${heading}<p class="muted">No test's peak is known (the chunk has no per-test results).</p>`;
  const rows = chunk.topPeakTests.map(
    (test) =>
      html`<tr><td class="nodeid">${test.nodeid}</td><td class="num">${describeTestPeak(test.peakRssBytes, test.peakRssSource)}</td><td class="num">${test.peakRiseBytes === null ? '–' : `+${formatBytes(test.peakRiseBytes)}`}</td><td class="num">${test.groupPeakRiseBytes === null ? '–' : `+${formatBytes(test.groupPeakRiseBytes)}`}</td><td class="num">${test.rssDeltaBytes === null ? '–' : signed(test.rssDeltaBytes)}</td><td class="num">${test.childPeakRssBytes === null ? '–' : `≥ ${formatBytes(test.childPeakRssBytes)}`}</td><td class="num">${test.gpuPeakBytes === null ? '–' : `${test.gpuPeakSource === 'nvidia-smi' ? '≥ ' : ''}${formatBytes(test.gpuPeakBytes)}`}</td><td class="num">${test.durationMs === null ? '–' : formatDurationMs(test.durationMs)}</td><td>${test.worker ?? '–'}</td></tr>`,
  );
  const lowerBounds = chunk.topPeakTests.some((test) => test.peakRssSource === 'start-end');
  const legend = html`<p class="muted">Peak RSS is exact: the kernel's high-water mark of the test's process (VmHWM), reset as the test began${lowerBounds ? html`; <b>≥</b> marks a lower bound where that reset was not permitted: the larger of its RSS at the test's start and end, blind to what the test freed` : ''}. Rise: how far above its RSS at the test's start it went. Retained: RSS at its end minus at its start. With children: how far the test's process and every child it started rose together, at their highest, above what they held at its start, from the kernel's peak of the memory charged to the process's own cgroup (page cache included; only where the chunk ran in a cgroup). Child peak: the largest peak RSS of a child process that ended and was waited for during the test (a lower bound of what its children needed). GPU peak: torch's exact CUDA allocation peak over the test where the tests initialised CUDA; <b>≥</b> the highest nvidia-smi reading of the test's process while it ran (sampled, CUDA context included).</p>`;
  return html`${heading}${legend}${renderPagedTable('Tests', ['Test', 'Peak RSS', 'Rise during the test', 'Rise with children (cgroup)', 'Retained RSS', 'Child peak RSS', 'GPU peak', 'Duration', 'Worker'], rows)}`;
}

function failureRow(test: FailedTest, withLongrepr: boolean): SafeHtml {
  const message: HtmlValue = test.message === null || test.message === '' ? html`<span class="muted">no message</span>` : cut(test.message, MAX_MESSAGE_CHARS);
  const details = withLongrepr && test.longrepr ? html`<details><summary>pytest output</summary><pre>${cut(test.longrepr, MAX_LONGREPR_CHARS)}</pre></details>` : html``;
  return html`<tr class="outcome-${test.outcome}"><td class="nodeid">${test.nodeid}</td><td>${test.outcome}</td><td class="num">${test.attempt}</td><td class="message">${message}${details}</td></tr>`;
}

/** Failed, errored, killed and crashed tests with their messages. */
export function renderFailedTests(failed: readonly FailedTest[]): SafeHtml {
  if (failed.length === 0) return html``;
  // Killed and crashed first: they explain a chunk's death; then failures in run order.
  const rank = (test: FailedTest): number => (test.outcome === 'killed' || test.outcome === 'crashed' ? 0 : 1);
  const ordered = [...failed].sort((a, b) => rank(a) - rank(b));
  const listed = ordered.slice(0, MAX_LISTED_FAILURES);
  const rows = listed.map((test, index) => failureRow(test, index < MAX_LONGREPRS));
  return html`<h3>Failed and killed tests <span class="muted">(${failed.length})</span></h3>${renderPagedTable('Failed tests', ['Test', 'Outcome', 'Attempt', 'Message'], rows, failed.length)}`;
}
