// Charts get at most a few hundred points per series: a day-long chunk sampled every 500 ms has
// 170,000 samples, more than a browser should draw and far more than the chart has pixels.

/** A point of a series: time (ms) and value (bytes). */
export interface SeriesPoint {
  t: number;
  value: number;
}

/** Points per series on a chart: more than its width in pixels would add nothing. */
export const MAX_SERIES_POINTS = 600;

/**
 * At most `maxPoints` points, each the highest of its run of consecutive points (with that
 * point's own time): a memory peak is the point of the picture, so it is never averaged away.
 */
export function downsampleMax(points: readonly SeriesPoint[], maxPoints = MAX_SERIES_POINTS): SeriesPoint[] {
  if (points.length <= maxPoints) return [...points];
  const kept: SeriesPoint[] = [];
  for (let bucket = 0; bucket < maxPoints; bucket += 1) {
    const start = Math.floor((bucket * points.length) / maxPoints);
    const end = Math.max(start + 1, Math.floor(((bucket + 1) * points.length) / maxPoints));
    let highest = points[start]!;
    for (let index = start + 1; index < end; index += 1) if (points[index]!.value > highest.value) highest = points[index]!;
    kept.push(highest);
  }
  return kept;
}

/**
 * At most `slots` items spread over [0, spanMs]: per slot of time, the item `rank` puts first.
 * Items are kept in time order. Used for test-start markers, of which a chunk may have thousands.
 */
export function thinByTime<T extends { tMs: number }>(items: readonly T[], spanMs: number, slots: number, rank: (a: T, b: T) => number): T[] {
  if (items.length <= slots) return [...items];
  const best = new Map<number, T>();
  for (const item of items) {
    const slot = Math.min(slots - 1, Math.max(0, Math.floor((item.tMs / Math.max(spanMs, 1)) * slots)));
    const current = best.get(slot);
    if (current === undefined || rank(item, current) < 0) best.set(slot, item);
  }
  return [...best.values()].sort((a, b) => a.tMs - b.tMs);
}
