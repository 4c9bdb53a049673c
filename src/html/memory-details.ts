// A chunk's memory figures in words, each with where it comes from: the headline peak and the
// other peaks measured, and the leak verdict with its source (each pytest process's test series,
// or the sampled timeline), the figures of each process, the suspects, and the second witness.
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import type { ChunkReport } from '../results/report-types.js';
import { describeGrowth } from '../reporters/chunk-figures.js';
import type { ProcessLeakVerdict, TestSeriesLeak } from '../monitor/test-series-leak.js';
import { html, type SafeHtml } from './html-text.js';

/** A percentage rounded to a tenth, without trailing zeros: "5.4%", "10%". */
export function formatPercent(percent: number): string {
  const rounded = Number(percent.toFixed(1));
  return `${rounded === 0 ? 0 : rounded}%`;
}

/** "+4.2%" / "-1.0%": a signed growth to a tenth, as the Growth figure shows it. */
function formatSignedPercent(percent: number): string {
  const text = Math.abs(percent).toFixed(1);
  return `${percent < 0 && text !== '0.0' ? '-' : '+'}${text}%`;
}

function signedBytes(bytes: number): string {
  return `${bytes > 0 ? '+' : ''}${formatBytes(bytes)}`;
}

/** "+1.2 MiB/s" (the sampled timeline's fitted slope), or "–" when unknown. */
export function describeSlope(chunk: ChunkReport): string {
  const slope = chunk.memory?.slopeBytesPerSec;
  if (slope === null || slope === undefined) return '–';
  return `${signedBytes(slope)}/s`;
}

function verdictLabel(verdict: string): SafeHtml {
  return html`<span class="badge verdict-${verdict}">${verdict}</span>`;
}

/**
 * The peak's source in a sentence, and the other peaks this chunk has, each named by what it
 * measured: the kernel's cgroup figure, the sampled tree's RSS and PSS.
 */
export function renderPeakSources(chunk: ChunkReport): SafeHtml {
  const memory = chunk.memory;
  if (!memory) return html``;
  const lines: SafeHtml[] = [];
  if (memory.peak) lines.push(html`<li>Peak memory ${formatBytes(memory.peak.bytes)} (${memory.peak.source}): ${memory.peak.detail}.</li>`);
  if (memory.kernelPeakBytes !== null && memory.peak?.source !== 'cgroup')
    lines.push(html`<li>Kernel peak of the chunk's cgroup: ${formatBytes(memory.kernelPeakBytes)}${memory.kernelPeakSource ? ` (${memory.kernelPeakSource})` : ''}.</li>`);
  if (memory.samples > 0) {
    const pss = memory.peakPssBytes === null ? 'PSS not read' : `PSS ${formatBytes(memory.peakPssBytes)} at its highest reading`;
    lines.push(html`<li>Sampled, summed over the chunk's processes (${memory.samples} ${memory.samples === 1 ? 'sample' : 'samples'} every ${formatDurationMs(memory.intervalMs)}, lower bounds): RSS ${formatBytes(memory.peakRssBytes)} at its highest sample; ${pss}.</li>`);
  }
  if (memory.limitBytes !== null) lines.push(html`<li>Memory limit ${formatBytes(memory.limitBytes)}, checked against the sampled ${memory.metric === 'pss' ? 'PSS' : 'RSS'}.</li>`);
  return lines.length === 0 ? html`` : html`<ul class="sources muted">${lines}</ul>`;
}

function processName(process: ProcessLeakVerdict): string {
  return process.worker === null ? `pid ${process.pid}` : `${process.worker} (pid ${process.pid})`;
}

function renderProcesses(series: TestSeriesLeak): SafeHtml {
  const rows = series.processes.map(
    (process) =>
      html`<tr><td>${processName(process)}</td><td>${verdictLabel(process.verdict)}</td><td class="num">${process.judgedTests} of ${process.tests} (${process.warmupTests} warm-up)</td><td class="num">${process.growthBytes === null ? '–' : signedBytes(process.growthBytes)}</td><td class="num">${process.growthPercent === null ? '–' : formatSignedPercent(process.growthPercent)}</td><td class="num">${process.allowedBytes === null ? '–' : formatBytes(process.allowedBytes)}</td><td class="num">${process.bytesPerTest === null ? '–' : signedBytes(process.bytesPerTest)}</td><td class="message">${process.reason}</td></tr>`,
  );
  const head = ['Process', 'Verdict', 'Tests judged', 'RSS growth (fitted)', 'Of its RSS after warm-up', 'Allowed', 'Per test', 'Why'];
  return html`<table class="tests"><thead><tr>${head.map((cell) => html`<th>${cell}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
}

function renderSuspects(series: TestSeriesLeak): SafeHtml {
  if (series.suspects.length === 0) return html``;
  const items = series.suspects.map(
    (suspect) => html`<li><code>${suspect.test}</code>: ${suspect.runs} ${suspect.runs === 1 ? 'run' : 'runs'}, ${signedBytes(suspect.growthBytes)} of RSS kept (${formatPercent(suspect.share * 100)} of the growth)</li>`,
  );
  return html`<p>Tests whose runs carry the growth:</p><ul>${items}</ul>`;
}

/** The sampled timeline's own figures: fitted slope, growth and what was allowed, after its warm-up. */
function describeTimeline(chunk: ChunkReport): string {
  const memory = chunk.memory!;
  const growth = memory.growthPercent === null ? '–' : formatSignedPercent(memory.growthPercent);
  return `slope ${describeSlope(chunk)}, growth ${growth} (allowed ${formatPercent(memory.allowedGrowthPercent)}), ${memory.samples} ${memory.samples === 1 ? 'sample' : 'samples'} every ${formatDurationMs(memory.intervalMs)}`;
}

/** The leak verdict, where it comes from and the figures behind it; the timeline as a second witness. */
export function renderLeak(chunk: ChunkReport): SafeHtml {
  const memory = chunk.memory;
  if (!memory) return html``;
  const notes: SafeHtml[] = [];
  if (memory.threads?.onlyGrows) notes.push(html`<li>Threads only grew: ${memory.threads.start} → ${memory.threads.end}.</li>`);
  if (memory.fds?.onlyGrows) notes.push(html`<li>Open file descriptors only grew: ${memory.fds.start} → ${memory.fds.end}.</li>`);
  const noteList = notes.length > 0 ? html`<ul>${notes}</ul>` : '';
  const series = memory.testSeries;
  if (memory.verdictSource === 'timeline' || !series) {
    return html`<div class="leak"><h3>Leak verdict</h3><p>${verdictLabel(memory.verdict)} ${memory.verdictReason}.</p><p class="muted">From the sampled RSS of the chunk's processes over time, after their warm-up (there were no per-test figures to judge from): ${describeTimeline(chunk)}.</p>${noteList}</div>`;
  }
  return html`<div class="leak"><h3>Leak verdict</h3><p>${verdictLabel(memory.verdict)} ${memory.verdictReason}. RSS growth judged: ${describeGrowth(chunk)}.</p>
<p class="muted">From each pytest process's RSS after each of its tests, in the order it ran them (its warm-up and the growth of tests that set up a shared fixture or imported modules left out); the chunk's verdict is the worst of its processes'.</p>
${renderProcesses(series)}${renderSuspects(series)}
<p class="muted">Second witness, the sampled RSS of the chunk's processes over time: ${verdictLabel(memory.timelineVerdict)} ${memory.timelineVerdictReason}; ${describeTimeline(chunk)}.</p>${noteList}</div>`;
}
