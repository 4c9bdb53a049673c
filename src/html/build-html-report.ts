// The HTML report: one self-contained document (inline CSS and SVG, no fonts, images or scripts
// from anywhere), built on this side so it reads the same with scripts off. A Content-Security-
// Policy forbids every load, so even a name that escaped escaping could fetch nothing.
import { createHash } from 'node:crypto';
import { formatDurationMs } from '../config/parse-duration.js';
import type { RunReport } from '../results/report-types.js';
import { describeGpuPeak, describeGrowth, describePeak, formatCount, occasionalCounts } from '../reporters/chunk-figures.js';
import { ALL_TESTS_SCRIPT } from './all-tests-script.js';
import { allTestsData, renderAllTests } from './all-tests-table.js';
import { renderChunkSection, statusBadge, verdictBadge } from './chunk-section.js';
import type { HtmlChunkData } from './html-input.js';
import { REPORT_CSS } from './html-styles.js';
import { html, SafeHtml } from './html-text.js';
import { renderOverview } from './overview-chart.js';

// The page's only script, allowed by its hash: it marks the page as scripted (tests check that
// scripts run at all, so a missing injected script proves escaping, not a dead browser), and runs
// the All tests table, which marks the page data-all-tests once it has drawn it (the CSS shows the
// table's controls only then). The table's data is a JSON block, which a browser never runs.
const INLINE_SCRIPT = `document.documentElement.setAttribute('data-js','on');\n${ALL_TESTS_SCRIPT}`;
const SCRIPT_HASH = createHash('sha256').update(INLINE_SCRIPT).digest('base64');

/** No network, no plugins, no forms; only the inline style and the one hashed inline script (its hash is of its exact text). */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${SCRIPT_HASH}'; base-uri 'none'; form-action 'none'`;

/**
 * The doctype and <head> every page run-chunks writes shares: the Content-Security-Policy, no
 * referrer, the title (escaped) and the page's inline CSS, then `extra` (meta tags, the script).
 */
export function documentHead(title: string, css: string, extra: SafeHtml = html``): SafeHtml {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${new SafeHtml(css)}</style>
${extra}
</head>`;
}

function renderHeader(report: RunReport): SafeHtml {
  const tally = new Map<string, number>();
  for (const chunk of report.chunks) tally.set(chunk.status, (tally.get(chunk.status) ?? 0) + 1);
  const statuses = [...tally].map(([status, count]) => `${count} ${status}`).join(', ');
  const interrupted = report.interruptedBy === null ? '' : html`<p class="warnings">Interrupted by ${report.interruptedBy}: the report holds what finished.</p>`;
  return html`<header><h1>run-chunks ${statusBadge(report.status)}</h1>
<p class="run-facts">${report.chunks.length} ${report.chunks.length === 1 ? 'chunk' : 'chunks'} in ${formatDurationMs(report.durationMs)} (exit code ${report.exitCode})${statuses ? `: ${statuses}` : ''}. Started ${report.startedAt}, run ${report.runId}, config <code>${report.configFile}</code>${report.gpuSampling.active ? '' : `; GPU not sampled: ${report.gpuSampling.reason ?? 'off'}`}.</p>${interrupted}</header>`;
}

function renderChunkTable(chunks: readonly HtmlChunkData[]): SafeHtml {
  const showGpu = chunks.some((data) => data.report.gpu !== null);
  // xfailed and xpassed columns only when some chunk has such a test.
  const occasional = occasionalCounts(chunks.map((data) => data.report));
  const rows = chunks.map(({ report: chunk }, index) => {
    const gpu = showGpu ? html`<td class="num">${describeGpuPeak(chunk)}</td>` : '';
    const counts = occasional.map(({ key }) => html`<td class="num">${formatCount(chunk.tests?.[key])}</td>`);
    return html`<tr><td><a href="#chunk-${index}">${chunk.name}</a>${chunk.required ? '' : html` <span class="muted">(optional)</span>`}</td><td>${statusBadge(chunk.status)}</td><td class="num">${formatCount(chunk.tests?.passed)}</td><td class="num">${formatCount(chunk.tests?.failed)}</td><td class="num">${formatCount(chunk.tests?.skipped)}</td>${counts}<td class="num">${formatCount(chunk.tests?.errors)}</td><td class="num">${chunk.startedAt === null ? '–' : formatDurationMs(chunk.durationMs)}</td><td class="num">${chunk.workers}</td><td class="num"${chunk.memory?.peak ? html` title="${chunk.memory.peak.detail}"` : ''}>${describePeak(chunk)}</td><td class="num">${describeGrowth(chunk)}</td><td>${verdictBadge(chunk)}</td>${gpu}</tr>`;
  });
  const head = ['Chunk', 'Status', 'Passed', 'Failed', 'Skipped', ...occasional.map(({ title }) => title), 'Errors', 'Duration', 'Workers', 'Peak memory (source) / limit', 'RSS growth', 'Leak', ...(showGpu ? ['Peak GPU / limit'] : [])];
  return html`<table class="summary"><thead><tr>${head.map((cell) => html`<th>${cell}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** How to draw the report. */
export interface HtmlReportOptions {
  /** The chunks ran on separate machines (`merge` of CI jobs): their memory is not summed. */
  separateMachines?: boolean;
}

/**
 * The whole report as one HTML document: a header, the run's timeline (a Gantt bar per chunk,
 * and the chunks' summed memory when they overlapped), the summary table, then one section per
 * chunk, then every test in one table. Every name and message is escaped; nothing refers to
 * anything outside the file.
 */
export function buildHtmlReport(report: RunReport, chunks: HtmlChunkData[], options: HtmlReportOptions = {}): string {
  const document = html`${documentHead(`run-chunks: ${report.status} (${report.chunks.length} chunks)`, REPORT_CSS, html`<script>${new SafeHtml(INLINE_SCRIPT)}</script>`)}
<body>
${renderHeader(report)}
<section class="overview"><h2>Timeline</h2>${renderOverview(report, chunks, options.separateMachines)}</section>
<section><h2>Chunks</h2>${renderChunkTable(chunks)}</section>
${chunks.map((data, index) => renderChunkSection(data, index))}
${renderAllTests(allTestsData(chunks))}
</body>
</html>
`;
  return document.text;
}
