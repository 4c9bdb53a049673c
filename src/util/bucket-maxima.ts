/**
 * Downsamples a series to at most `buckets` values, each the maximum of its bucket: for memory,
 * a peak is the point of the picture and must never be averaged away.
 */
export function bucketMaxima(values: readonly number[], buckets: number): number[] {
  if (values.length <= buckets) return [...values];
  const maxima: number[] = [];
  for (let bucket = 0; bucket < buckets; bucket += 1) {
    const start = Math.floor((bucket * values.length) / buckets);
    const end = Math.max(start + 1, Math.floor(((bucket + 1) * values.length) / buckets));
    // reduce, not Math.max(...slice): a long series would overflow the argument stack.
    maxima.push(values.slice(start, end).reduce((high, value) => Math.max(high, value)));
  }
  return maxima;
}
