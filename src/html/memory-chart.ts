// A chunk's memory over time as inline SVG: RSS and GPU lines, PSS as points where it was read
// (never a line: between two reads nothing is known of it), the limit as a dashed line,
// and a lane of test-start markers whose <title> is the native hover tooltip (so it works with
// scripts off). The blamed test's marker is red and drawn through the plot.
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes, formatLimit } from '../config/parse-size.js';
import { PASSING_OUTCOMES } from '../results/test-records.js';
import { byteTicks, linearScale, renderByteAxis, renderPolyline, renderTimeAxis, timeTicks, type PlotArea, type Scale } from './chart-axes.js';
import { downsampleMax, thinByTime, type SeriesPoint } from './downsample.js';
import type { HtmlChunkData, TestMark } from './html-input.js';
import { html, px, shorten, type SafeHtml } from './html-text.js';

const WIDTH = 960;
const HEIGHT = 280;
const AREA: PlotArea = { left: 76, top: 30, width: WIDTH - 76 - 16, height: HEIGHT - 30 - 28 };
const MARK_LANE_TOP = 8;
const MARK_HEIGHT = 14;
/** Markers drawn per chart: one per ~3 px; where tests are denser, the one that grew most per slot. */
export const MAX_TEST_MARKS = 300;

const MAX_LABEL_CHARS = 60;
const SHORT_SERIES = 2;

/** The part of a node id after its file ("test_x[1]" of "tests/a.py::test_x[1]"). */
function testName(nodeid: string): string {
  const separator = nodeid.indexOf('::');
  return separator < 0 ? nodeid : nodeid.slice(separator + 2);
}

/** "RSS end − start +12 MiB" / "RSS end − start -3 MiB" / "RSS end − start unknown": what the test's process kept. */
export function formatDelta(bytes: number | null): string {
  if (bytes === null) return 'RSS end − start unknown';
  return `RSS end − start ${bytes >= 0 ? '+' : ''}${formatBytes(bytes)}`;
}

function markTitle(mark: TestMark, blamed: boolean): string {
  const lines = [mark.nodeid, `${formatDelta(mark.rssDeltaBytes)}, ${mark.outcome}, started at ${formatDurationMs(Math.max(0, mark.tMs))}`];
  if (blamed) lines.push('blamed: running when the chunk was killed');
  return lines.join('\n');
}

/** Whether the mark's test ended with a passing outcome (passed, skipped, xfailed, xpassed). */
function endedWell(mark: TestMark): boolean {
  return (PASSING_OUTCOMES as readonly string[]).includes(mark.outcome);
}

// Killed and failing tests first, then the largest growth: what a reader hovers for.
function rankMarks(a: TestMark, b: TestMark): number {
  const weight = (mark: TestMark): number => (endedWell(mark) ? 0 : 1);
  return weight(b) - weight(a) || Math.abs(b.rssDeltaBytes ?? 0) - Math.abs(a.rssDeltaBytes ?? 0);
}

function renderMarks(marks: readonly TestMark[], blamedIds: ReadonlySet<string>, spanMs: number, x: Scale): SafeHtml {
  const blamed = marks.filter((mark) => blamedIds.has(mark.nodeid));
  const others = thinByTime(
    marks.filter((mark) => !blamedIds.has(mark.nodeid)),
    spanMs,
    MAX_TEST_MARKS,
    rankMarks,
  );
  const plotBottom = AREA.top + AREA.height;
  // A test that started a moment before the chunk's clock (clocks differ by milliseconds) sits at 0.
  const xOf = (mark: TestMark): number => x(Math.max(0, mark.tMs));
  const drawn = others.map((mark) => {
    const cls = `mark mark-${endedWell(mark) ? 'ok' : 'bad'}`;
    return html`<g class="${cls}"><title>${markTitle(mark, false)}</title><rect x="${px(xOf(mark) - 2)}" y="${MARK_LANE_TOP}" width="4" height="${MARK_HEIGHT}"/></g>`;
  });
  // The blamed test last, so it sits on top of its neighbours; labelled on the side with more room.
  const highlighted = blamed.map((mark) => {
    const markX = xOf(mark);
    const onLeft = markX > AREA.left + AREA.width / 2;
    const label = html`<text x="${px(markX + (onLeft ? -6 : 6))}" y="${px(AREA.top + 14)}" text-anchor="${onLeft ? 'end' : 'start'}">blamed: ${shorten(testName(mark.nodeid), MAX_LABEL_CHARS)}</text>`;
    return html`<g class="mark mark-blamed" data-blamed="true"><title>${markTitle(mark, true)}</title><line x1="${px(markX)}" x2="${px(markX)}" y1="${MARK_LANE_TOP}" y2="${px(plotBottom)}"/><rect x="${px(markX - 4)}" y="${MARK_LANE_TOP - 2}" width="8" height="${MARK_HEIGHT + 4}"/>${label}</g>`;
  });
  return html`<g class="marks">${drawn}${highlighted}</g>`;
}

// Labelled at the left, where memory usually is still low, so the label rarely hides the lines.
function renderLimit(limitBytes: number | null, label: string, cls: string, y: Scale): SafeHtml {
  if (limitBytes === null) return html``;
  const lineY = y(limitBytes);
  return html`<g class="${cls}"><line x1="${px(AREA.left)}" x2="${px(AREA.left + AREA.width)}" y1="${px(lineY)}" y2="${px(lineY)}"/><text x="${px(AREA.left + 6)}" y="${px(lineY - 4)}">${label} ${formatLimit(limitBytes)}</text></g>`;
}

// PSS is read every few samples only, so it is drawn as its readings, each a point (downsampled to
// the highest reading of each run, so every point drawn is a real one). RSS and GPU series of a
// point or two are dotted too, since a line through one point is invisible (a chunk shorter than
// its sampling interval).
function renderDots(points: readonly SeriesPoint[], x: Scale, y: Scale, cls: string, maxPoints = Infinity): SafeHtml {
  if (points.length === 0 || points.length > maxPoints) return html``;
  return html`<g class="${cls}">${points.map((point) => html`<circle cx="${px(x(point.t))}" cy="${px(y(point.value))}" r="2.5"/>`)}</g>`;
}

function seriesOf(data: HtmlChunkData, pick: (sample: HtmlChunkData['samples'][number]) => number | null): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (const sample of data.samples) {
    const value = pick(sample);
    if (value !== null) points.push({ t: sample.t, value });
  }
  return downsampleMax(points);
}

/** The chart's SVG, or a sentence saying why there is none. */
export function renderMemoryChart(data: HtmlChunkData, label: string): SafeHtml {
  const chunk = data.report;
  if (data.samples.length === 0) {
    const why = chunk.mergedShards !== null ? 'its shards ran on separate machines (see Shards below)' : chunk.startedAt === null ? 'the chunk never started' : 'its samples.jsonl is missing or empty';
    return html`<p class="muted">No memory timeline: ${why}.</p>`;
  }
  const rss = seriesOf(data, (sample) => sample.rssBytes);
  const pss = seriesOf(data, (sample) => sample.pssBytes);
  const gpu = seriesOf(data, (sample) => sample.gpuBytes);
  const limitBytes = chunk.memory?.limitBytes ?? null;
  const gpuLimitBytes = chunk.gpu?.limitBytes ?? null;
  const spanMs = Math.max(1, data.samples.at(-1)!.t, data.testMarks.at(-1)?.tMs ?? 0);
  const maxBytes = Math.max(1, ...[rss, pss, gpu].flatMap((series) => series.map((point) => point.value)), limitBytes ?? 0, gpuLimitBytes ?? 0);
  const yTicks = byteTicks(maxBytes * 1.05);
  const y = linearScale(0, yTicks.at(-1)!, AREA.top + AREA.height, AREA.top);
  const x = linearScale(0, spanMs, AREA.left, AREA.left + AREA.width);
  const blamedIds = new Set(chunk.blamedTests.map((test) => test.nodeid));
  return html`<svg class="chart memory-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${label}">
${renderByteAxis(AREA, yTicks, y)}${renderTimeAxis(AREA, timeTicks(spanMs), x)}
${renderPolyline(rss, x, y, 'series rss')}${renderPolyline(gpu, x, y, 'series gpu')}
${renderDots(rss, x, y, 'dots rss', SHORT_SERIES)}${renderDots(pss, x, y, 'dots pss')}${renderDots(gpu, x, y, 'dots gpu', SHORT_SERIES)}
${renderLimit(limitBytes, 'memory limit', 'limit', y)}${renderLimit(gpuLimitBytes, 'GPU limit', 'limit gpu-limit', y)}
${renderMarks(data.testMarks, blamedIds, spanMs, x)}
</svg>`;
}
