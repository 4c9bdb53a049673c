// The run at a glance: a Gantt bar per chunk on the run's clock, coloured by status, and, when
// chunks ran at the same time, the memory they held together (the sum of their RSS).
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import type { RunReport } from '../results/report-types.js';
import { byteTicks, linearScale, renderByteAxis, renderPolyline, renderTimeAxis, timeTicks, type PlotArea } from './chart-axes.js';
import { MAX_SERIES_POINTS, type SeriesPoint } from './downsample.js';
import type { HtmlChunkData } from './html-input.js';
import { html, px, shorten, type SafeHtml } from './html-text.js';

const WIDTH = 960;
const LABEL_WIDTH = 170;
const ROW_HEIGHT = 22;
const TOTAL_HEIGHT = 150;
/** Characters of a chunk's name that fit left of the bars. */
const MAX_LABEL_CHARS = 24;

/** A chunk's span on the run's clock (ms since the run started). */
export interface ChunkSpan {
  index: number;
  data: HtmlChunkData;
  startMs: number;
  endMs: number;
}

/** Where each chunk that started sits on the run's clock. */
export function spansOf(report: RunReport, chunks: readonly HtmlChunkData[]): ChunkSpan[] {
  const runStartMs = Date.parse(report.startedAt);
  const spans: ChunkSpan[] = [];
  for (const [index, data] of chunks.entries()) {
    const startedMs = data.report.startedAt === null ? NaN : Date.parse(data.report.startedAt);
    if (!Number.isFinite(startedMs) || !Number.isFinite(runStartMs)) continue;
    const startMs = Math.max(0, startedMs - runStartMs);
    spans.push({ index, data, startMs, endMs: startMs + data.report.durationMs });
  }
  return spans;
}

/** Whether any two chunks ran at the same time. */
export function chunksOverlap(spans: readonly { startMs: number; endMs: number }[]): boolean {
  const sorted = [...spans].sort((a, b) => a.startMs - b.startMs);
  let latestEndMs = -Infinity;
  for (const span of sorted) {
    if (span.startMs < latestEndMs) return true;
    latestEndMs = Math.max(latestEndMs, span.endMs);
  }
  return false;
}

/**
 * The sum of the chunks' RSS on the run's clock, in `buckets` slots: each chunk counts with its
 * highest sample in a slot, or its last one before it while it still runs (so a slot between two
 * samples does not drop the chunk).
 */
export function machineTotalSeries(spans: readonly ChunkSpan[], spanMs: number, buckets = MAX_SERIES_POINTS): SeriesPoint[] {
  const totals = new Array<number>(buckets).fill(0);
  const slotMs = Math.max(spanMs, 1) / buckets;
  for (const span of spans) {
    const samples = span.data.samples;
    if (samples.length === 0) continue;
    const highest = new Array<number>(buckets).fill(-1);
    for (const sample of samples) {
      const slot = Math.min(buckets - 1, Math.floor((span.startMs + sample.t) / slotMs));
      highest[slot] = Math.max(highest[slot]!, sample.rssBytes);
    }
    const firstSlot = Math.min(buckets - 1, Math.floor((span.startMs + samples[0]!.t) / slotMs));
    const lastSlot = Math.min(buckets - 1, Math.floor((span.startMs + samples.at(-1)!.t) / slotMs));
    let carried = 0;
    for (let slot = firstSlot; slot <= lastSlot; slot += 1) {
      if (highest[slot]! >= 0) carried = highest[slot]!;
      totals[slot]! += carried;
    }
  }
  return totals.map((value, slot) => ({ t: (slot + 0.5) * slotMs, value }));
}

function renderGantt(spans: readonly ChunkSpan[], chunks: readonly HtmlChunkData[], spanMs: number): SafeHtml {
  const area: PlotArea = { left: LABEL_WIDTH, top: 6, width: WIDTH - LABEL_WIDTH - 16, height: chunks.length * ROW_HEIGHT };
  const height = area.top + area.height + 24;
  const x = linearScale(0, spanMs, area.left, area.left + area.width);
  const byIndex = new Map(spans.map((span) => [span.index, span]));
  const rows = chunks.map((data, index) => {
    const chunk = data.report;
    const rowY = area.top + index * ROW_HEIGHT;
    const label = html`<text class="gantt-label" x="${px(area.left - 8)}" y="${px(rowY + 15)}" text-anchor="end"><title>${chunk.name}</title>${shorten(chunk.name, MAX_LABEL_CHARS)}</text>`;
    const span = byIndex.get(index);
    if (!span) return html`${label}<text class="muted" x="${px(area.left + 4)}" y="${px(rowY + 15)}">never started (${chunk.status})</text>`;
    const barX = x(span.startMs);
    const barWidth = Math.max(2, x(span.endMs) - barX);
    const tooltip = `${chunk.name}: ${chunk.status} in ${formatDurationMs(chunk.durationMs)}, from +${formatDurationMs(span.startMs)}`;
    return html`${label}<a href="#chunk-${index}"><g class="bar status-${chunk.status}"><title>${tooltip}</title><rect x="${px(barX)}" y="${px(rowY + 3)}" width="${px(barWidth)}" height="${ROW_HEIGHT - 6}" rx="3"/></g></a>`;
  });
  return html`<svg class="chart gantt" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="timeline of the chunks">
${renderTimeAxis(area, timeTicks(spanMs), x)}${rows}
</svg>`;
}

function renderMachineTotal(spans: readonly ChunkSpan[], spanMs: number): SafeHtml {
  const area: PlotArea = { left: LABEL_WIDTH, top: 10, width: WIDTH - LABEL_WIDTH - 16, height: TOTAL_HEIGHT - 10 - 24 };
  const series = machineTotalSeries(spans, spanMs);
  const peak = series.reduce((high, point) => Math.max(high, point.value), 0);
  const ticks = byteTicks(Math.max(peak * 1.05, 1), 3);
  const x = linearScale(0, spanMs, area.left, area.left + area.width);
  const y = linearScale(0, ticks.at(-1)!, area.top + area.height, area.top);
  return html`<h3>Memory of all chunks together <span class="muted">(sum of the chunks' sampled RSS; highest ${formatBytes(peak)})</span></h3>
<svg class="chart machine-total" viewBox="0 0 ${WIDTH} ${TOTAL_HEIGHT}" role="img" aria-label="sum of the chunks' memory">
${renderByteAxis(area, ticks, y)}${renderTimeAxis(area, timeTicks(spanMs), x)}${renderPolyline(series, x, y, 'series total')}
</svg>`;
}

function describeNoTotal(separateMachines: boolean): SafeHtml {
  const why = separateMachines ? 'The chunks ran on separate machines (a merged run)' : 'The chunks ran one at a time';
  return html`<p class="muted">${why}: their memory did not add up.</p>`;
}

/**
 * The run overview: the Gantt chart, and the machine total when chunks overlapped on one
 * machine (`separateMachines`: they did not share one, as in a merge of CI jobs).
 */
export function renderOverview(report: RunReport, chunks: readonly HtmlChunkData[], separateMachines = false): SafeHtml {
  if (chunks.length === 0) return html`<p class="muted">The run has no chunks.</p>`;
  const spans = spansOf(report, chunks);
  const spanMs = Math.max(1, report.durationMs, ...spans.map((span) => span.endMs));
  const total = !separateMachines && chunksOverlap(spans) ? renderMachineTotal(spans, spanMs) : describeNoTotal(separateMachines);
  return html`${renderGantt(spans, chunks, spanMs)}${total}`;
}
