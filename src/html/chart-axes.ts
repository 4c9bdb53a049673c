// Scales and axes shared by the charts: linear scales, and "nice" ticks in bytes and in time, so
// a reader sees 0, 100 MiB, 200 MiB rather than 0, 97.3 MiB, 194.6 MiB.
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import { html, px, type SafeHtml } from './html-text.js';

/** Where the plot sits inside its SVG (pixels). */
export interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A linear map from data to pixels. */
export type Scale = (value: number) => number;

/** Maps [domainMin, domainMax] onto [rangeFrom, rangeTo] (an empty domain maps to rangeFrom). */
export function linearScale(domainMin: number, domainMax: number, rangeFrom: number, rangeTo: number): Scale {
  const span = domainMax - domainMin;
  return (value) => (span <= 0 ? rangeFrom : rangeFrom + ((value - domainMin) / span) * (rangeTo - rangeFrom));
}

const NICE_STEPS = [1, 2, 2.5, 5, 10];
const BINARY_UNITS = [1024 ** 4, 1024 ** 3, 1024 ** 2, 1024, 1];
// Steps a clock is read in: seconds, minutes, hours; below a second, niceStep in ms.
const TIME_STEPS_MS = [1, 2, 5, 10, 15, 30].map((s) => s * 1000)
  .concat([1, 2, 5, 10, 15, 30].map((m) => m * 60_000))
  .concat([1, 2, 3, 6, 12, 24, 48].map((h) => h * 3_600_000));

/** A round step that cuts [0, max] into about `count` parts. */
export function niceStep(max: number, count: number): number {
  const rough = max / Math.max(count, 1);
  if (!(rough > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = NICE_STEPS.find((candidate) => candidate * magnitude >= rough) ?? 10;
  return step * magnitude;
}

/** Byte ticks from 0 past `maxBytes`, round in the binary unit the values are counted in (0, 2.5 GiB, 5 GiB). */
export function byteTicks(maxBytes: number, count = 4): number[] {
  const unit = BINARY_UNITS.find((candidate) => maxBytes / candidate >= 2) ?? 1;
  const step = niceStep(Math.max(maxBytes / unit, 1), count) * unit;
  const ticks: number[] = [];
  for (let tick = 0; tick < maxBytes + step; tick += step) ticks.push(tick);
  return ticks;
}

/** Time ticks from 0 to `spanMs` at round steps of a clock (500ms, 15s, 10m, 6h). */
export function timeTicks(spanMs: number, count = 6): number[] {
  const rough = spanMs / count;
  const step = rough < 1000 ? niceStep(Math.max(spanMs, 1), count) : (TIME_STEPS_MS.find((candidate) => candidate >= rough) ?? Math.ceil(rough / 86_400_000) * 86_400_000);
  const ticks: number[] = [];
  for (let tick = 0; tick <= spanMs + 1e-9; tick += step) ticks.push(tick);
  return ticks;
}

/** Horizontal grid lines with byte labels on the left. */
export function renderByteAxis(area: PlotArea, ticks: readonly number[], y: Scale): SafeHtml {
  return html`<g class="axis">${ticks.map(
    (tick) => html`<line class="grid" x1="${px(area.left)}" x2="${px(area.left + area.width)}" y1="${px(y(tick))}" y2="${px(y(tick))}"/><text x="${px(area.left - 6)}" y="${px(y(tick) + 4)}" text-anchor="end">${formatBytes(tick)}</text>`,
  )}</g>`;
}

/** Time labels under the plot, from the clock's zero. */
export function renderTimeAxis(area: PlotArea, ticks: readonly number[], x: Scale): SafeHtml {
  const base = area.top + area.height;
  return html`<g class="axis"><line class="baseline" x1="${px(area.left)}" x2="${px(area.left + area.width)}" y1="${px(base)}" y2="${px(base)}"/>${ticks.map(
    (tick) => html`<line class="tick" x1="${px(x(tick))}" x2="${px(x(tick))}" y1="${px(base)}" y2="${px(base + 4)}"/><text x="${px(x(tick))}" y="${px(base + 16)}" text-anchor="middle">${tick === 0 ? '0' : formatDurationMs(tick)}</text>`,
  )}</g>`;
}

/** An SVG polyline through the points (nothing for an empty series). */
export function renderPolyline(points: readonly { t: number; value: number }[], x: Scale, y: Scale, className: string): SafeHtml {
  if (points.length === 0) return html``;
  const coordinates = points.map((point) => `${px(x(point.t))},${px(y(point.value))}`).join(' ');
  return html`<polyline class="${className}" points="${coordinates}"/>`;
}
