// A one-line picture of a series (a chunk's memory over time) for terminal summaries.

const BARS = '▁▂▃▄▅▆▇█';
const DEFAULT_WIDTH = 16;

/** Renders values as at most `width` bars scaled between the series' min and max; a flat series is all "▁". */
export function renderSparkline(values: readonly number[], width: number = DEFAULT_WIDTH): string {
  const barCount = Math.floor(width);
  if (values.length === 0 || barCount < 1) return '';
  const bars = values.length <= barCount ? values : takeBucketMaxima(values, barCount);
  // reduce, not Math.min(...values): an hour of samples would overflow the argument stack.
  const min = values.reduce((low, value) => Math.min(low, value));
  const range = values.reduce((high, value) => Math.max(high, value)) - min;
  const topLevel = BARS.length - 1;
  return bars.map((value) => BARS[range === 0 ? 0 : Math.round(((value - min) / range) * topLevel)]!).join('');
}

// Each bucket keeps its maximum: a memory peak is the point of the picture and must never be averaged away.
function takeBucketMaxima(values: readonly number[], barCount: number): number[] {
  const maxima: number[] = [];
  for (let bucket = 0; bucket < barCount; bucket += 1) {
    const start = Math.floor((bucket * values.length) / barCount);
    const end = Math.floor(((bucket + 1) * values.length) / barCount);
    maxima.push(values.slice(start, end).reduce((high, value) => Math.max(high, value)));
  }
  return maxima;
}
