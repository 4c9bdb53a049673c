// One chunk's section of the HTML report: its status and figures, the memory chart, the leak
// verdict, and its test lists.
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import type { ChunkReport } from '../results/report-types.js';
import { describeGpuPeak, describeGrowth, describePeak, formatCount } from '../reporters/chunk-figures.js';
import type { FileRefs } from './file-links.js';
import type { HtmlChunkData } from './html-input.js';
import { html, type HtmlValue, type SafeHtml } from './html-text.js';
import { renderMemoryChart } from './memory-chart.js';
import { renderLeak, renderPeakSources } from './memory-details.js';
import { renderBlamedTests, renderFailedTests, renderTopPeakTests, renderTopRetainedTests } from './test-tables.js';


/** A status as a coloured label. */
export function statusBadge(status: string): SafeHtml {
  return html`<span class="badge status-${status}">${status}</span>`;
}

/** The leak verdict as a coloured label ("–" without memory figures). */
export function verdictBadge(chunk: ChunkReport): SafeHtml {
  const verdict = chunk.memory?.verdict;
  return verdict === undefined ? html`–` : html`<span class="badge verdict-${verdict}">${verdict}</span>`;
}

/** A file the page names: a relative link where it lies in the page's folder, else its path and why it is not linked. */
function renderFile(file: string, refs: FileRefs): SafeHtml {
  const ref = refs.get(file);
  if (ref?.kind === 'link') return html`<a href="${ref.href}" title="${file}"><code>${ref.shown}</code></a>`;
  return html`<code>${file}</code>${ref ? html` <span class="muted">(${ref.why})</span>` : ''}`;
}

function figure(label: string, value: HtmlValue, title?: string): SafeHtml {
  return html`<div class="figure"${title ? html` title="${title}"` : ''}><dt>${label}</dt><dd>${value}</dd></div>`;
}

/** What the Growth figure measured, for its tooltip. */
export function describeGrowthSource(chunk: ChunkReport): string {
  if (!chunk.memory) return '';
  return chunk.memory.verdictSource === 'test-series'
    ? "RSS growth over its judged tests of the pytest process the leak verdict rests on (from each test's end)"
    : "growth of the sampled RSS of the chunk's processes after their warm-up (the timeline's fitted line)";
}

function renderFigures(chunk: ChunkReport): SafeHtml {
  const tests = chunk.tests;
  const counted = chunk.testsSource === 'events' ? "counted from the run-chunks plugin's events" : chunk.testsSource === 'junit' ? "counted from pytest's JUnit file" : undefined;
  const figures = [
    figure('Passed', formatCount(tests?.passed), counted),
    figure('Failed', formatCount(tests?.failed), counted),
    figure('Skipped', formatCount(tests?.skipped), counted),
    // pytest's xfailed and xpassed, only where this chunk has some.
    ...(tests && tests.xfailed > 0 ? [figure('Xfailed', tests.xfailed, counted && `${counted}; failed as expected (xfail)`)] : []),
    ...(tests && tests.xpassed > 0 ? [figure('Xpassed', tests.xpassed, counted && `${counted}; marked xfail, not strict, and passed`)] : []),
    figure('Errors', formatCount(tests?.errors), counted && `${counted}; killed and crashed tests count here`),
    figure('Not run', chunk.notRun === null ? '–' : chunk.notRun, 'collected, never started: the chunk died first'),
    figure('Duration', chunk.startedAt === null ? '–' : formatDurationMs(chunk.durationMs), "wall-clock time of every attempt, added up"),
    figure('Workers', chunk.workers, chunk.workersReason ?? undefined),
    figure('Peak memory (source) / limit', describePeak(chunk), chunk.memory?.peak?.detail),
    figure('RSS growth', describeGrowth(chunk), describeGrowthSource(chunk)),
    figure('Leak', verdictBadge(chunk), chunk.memory ? `from the ${chunk.memory.verdictSource === 'test-series' ? 'test series of each pytest process' : 'sampled timeline'}` : undefined),
  ];
  if (chunk.gpu) figures.push(figure('Peak GPU / limit', describeGpuPeak(chunk), chunk.gpu.attribution === 'device-delta' ? "growth of the devices' used memory (the chunk's PIDs were not visible)" : "summed over the chunk's processes, sampled"));
  return html`<dl class="figures">${figures}</dl>${renderPeakSources(chunk)}`;
}

function renderLegend(data: HtmlChunkData): SafeHtml {
  const entries = [html`<span class="key rss">RSS, summed over the chunk's processes, every sample</span>`];
  if (data.samples.some((sample) => sample.pssBytes !== null)) entries.push(html`<span class="key pss dot">PSS, summed, where it was read (points: it is read every few samples, not in between)</span>`);
  if (data.samples.some((sample) => sample.gpuBytes !== null)) entries.push(html`<span class="key gpu">GPU memory of the chunk, sampled</span>`);
  const metric = data.report.memory?.metric === 'pss' ? 'PSS' : 'RSS';
  if (data.report.memory?.limitBytes != null) entries.push(html`<span class="key limit">memory limit (checked against ${metric})</span>`);
  if (data.report.gpu?.limitBytes != null) entries.push(html`<span class="key limit">GPU memory limit</span>`);
  if (data.testMarks.length > 0) entries.push(html`<span class="key mark">test start (hover: its name, and its process's RSS end − start)</span>`);
  if (data.report.blamedTests.length > 0) entries.push(html`<span class="key blamed">blamed test</span>`);
  return html`<div class="legend">${entries}</div>`;
}

function renderAttempts(chunk: ChunkReport, refs: FileRefs): SafeHtml {
  if (chunk.attempts.length <= 1) return html``;
  const rows = chunk.attempts.map(
    (attempt) =>
      html`<tr><td class="num">${attempt.attempt}</td><td>${attempt.kind}</td><td>${statusBadge(attempt.status)}</td><td class="num">${attempt.workers}</td><td class="num">${formatDurationMs(attempt.durationMs)}</td><td class="num">${attempt.peakRssBytes === null ? '–' : formatBytes(attempt.peakRssBytes)}</td><td class="num">${attempt.peakPssBytes === null ? '–' : formatBytes(attempt.peakPssBytes)}</td><td class="message">${attempt.message}</td><td>${renderFile(attempt.logFile, refs)}</td></tr>`,
  );
  return html`<h3>Attempts</h3><table class="tests"><thead><tr><th>#</th><th>Kind</th><th>Status</th><th>Workers</th><th>Duration</th><th>Peak RSS (sampled)</th><th>Peak PSS (sampled)</th><th>Message</th><th>Log</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function renderMergedShards(chunk: ChunkReport, refs: FileRefs): SafeHtml {
  if (chunk.mergedShards === null) return html``;
  const rows = chunk.mergedShards.map(
    (shard) =>
      html`<tr><td class="num">${shard.index}/${shard.count}</td><td>${statusBadge(shard.status)}</td><td>${shard.startedAt ?? '–'}</td><td class="num">${formatDurationMs(shard.durationMs)}</td><td class="num">${shard.peakRssBytes === null ? '–' : formatBytes(shard.peakRssBytes)}</td><td>${renderFile(shard.logFile, refs)}</td><td class="message">${shard.message}</td></tr>`,
  );
  return html`<h3>Shards</h3><p class="muted">Merged from ${chunk.mergedShards.length} of ${chunk.mergedShards[0]?.count ?? 0} shards, which ran on separate machines. Their memory timelines are not drawn here: each shard's samples.jsonl is beside its log, in that shard's own report dir.</p><table class="tests"><thead><tr><th>Shard</th><th>Status</th><th>Started</th><th>Duration</th><th>Peak RSS (sampled)</th><th>Log</th><th>Message</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The kernel's evidence for the chunk's end: its own cgroup's counters, and the machine-wide one as context. */
function describeEvidence(chunk: ChunkReport): HtmlValue {
  const evidence = chunk.evidence;
  const machine = chunk.oomKillDelta !== null ? html`<br>machine-wide oom_kill counter rose by ${chunk.oomKillDelta} (any process counts: context, not evidence)` : '';
  if (!evidence) return machine;
  const cgroup = evidence.cgroup
    ? html`<br>cgroup v${evidence.cgroup.version}: <code>${evidence.cgroup.path}</code>${evidence.cgroup.counters.map((counter) => html`<br>${counter.name}: ${counter.before ?? '?'} → ${counter.after ?? '?'}`)}`
    : '';
  const unavailable = evidence.unavailable.map((line) => html`<br>not available: ${line}`);
  return html`<br>contained by: ${evidence.containment.join(', ')}${cgroup}${unavailable}${machine}`;
}

/** The chunk's log and JUnit file, where a reader looks first after the figures. */
function renderFiles(chunk: ChunkReport, refs: FileRefs): SafeHtml {
  return html`<p class="files">Log: ${renderFile(chunk.logFile, refs)}${chunk.junitFile ? html` · JUnit: ${renderFile(chunk.junitFile, refs)}` : ''}</p>`;
}

function renderDetails(chunk: ChunkReport, refs: FileRefs): SafeHtml {
  const env = Object.entries(chunk.env).map(([name, value]) => `${name}=${value}`);
  return html`<details class="command"><summary>Command and folder</summary><pre>${chunk.commandLine}</pre><p>cwd: <code>${chunk.cwd}</code>${chunk.workersReason ? html`<br>workers: ${chunk.workersReason}` : ''}${describeEvidence(chunk)}${chunk.isolation ? html`<br>isolation: ${chunk.isolation}${chunk.isolationDecision && chunk.isolationDecision.requested !== chunk.isolation ? html` (asked: ${chunk.isolationDecision.requested})` : ''}${chunk.isolationDecision?.reason ? html`: ${chunk.isolationDecision.reason}` : ''}` : ''}</p>${env.length > 0 ? html`<pre>${env.join('\n')}</pre>` : ''}</details>`;
}

/** One chunk's section, with id `chunk-<index>` (the overview's bars link to it). */
export function renderChunkSection(data: HtmlChunkData, index: number): SafeHtml {
  const chunk = data.report;
  const optional = chunk.required ? '' : html` <span class="muted">(optional)</span>`;
  const warnings = chunk.warnings.length > 0 ? html`<ul class="warnings">${chunk.warnings.map((warning) => html`<li>${warning}</li>`)}</ul>` : '';
  return html`<section class="chunk" id="chunk-${index}">
<h2>${chunk.name}${optional} ${statusBadge(chunk.status)}</h2>
${chunk.description ? html`<p class="muted">${chunk.description}</p>` : ''}
<p class="message">${chunk.message}</p>${warnings}
${renderFigures(chunk)}
${renderFiles(chunk, data.fileRefs)}
<div class="chart-box">${renderLegend(data)}${renderMemoryChart(data, `memory of chunk ${chunk.name} over time`)}</div>
${renderLeak(chunk)}
${renderBlamedTests(chunk)}${data.records.length > 0 ? html`<p class="muted">Each of this chunk's ${data.records.length} ${data.records.length === 1 ? 'test' : 'tests'}, with its figures, is in <a href="#all-tests">All tests</a> below.</p>` : ''}${renderTopPeakTests(chunk)}${renderTopRetainedTests(chunk)}${renderFailedTests(data.failedTests)}${renderAttempts(chunk, data.fileRefs)}${renderMergedShards(chunk, data.fileRefs)}${renderDetails(chunk, data.fileRefs)}
</section>`;
}
