// A one-line picture of a series (a chunk's memory over time) for terminal summaries.

import { bucketMaxima } from '../util/bucket-maxima.js';

const BARS = '▁▂▃▄▅▆▇█';
const DEFAULT_WIDTH = 16;

/** Renders values as at most `width` bars scaled between the series' min and max; a flat series is all "▁". */
export function renderSparkline(values: readonly number[], width: number = DEFAULT_WIDTH): string {
  const barCount = Math.floor(width);
  if (values.length === 0 || barCount < 1) return '';
  const bars = bucketMaxima(values, barCount);
  // reduce, not Math.min(...values): an hour of samples would overflow the argument stack.
  const min = values.reduce((low, value) => Math.min(low, value));
  const range = values.reduce((high, value) => Math.max(high, value)) - min;
  const topLevel = BARS.length - 1;
  return bars.map((value) => BARS[range === 0 ? 0 : Math.round(((value - min) / range) * topLevel)]!).join('');
}
