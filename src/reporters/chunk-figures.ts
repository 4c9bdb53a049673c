import { formatBytes } from '../config/parse-size.js';
import type { ChunkPeakSource, ChunkReport } from '../results/report-types.js';

// Below this a test's growth is allocator noise, lazy imports and caches: not worth a line for a
// person. report.json still lists the top 10 whatever their size.
export const NOTABLE_TEST_GROWTH_BYTES = 10 * 1024 * 1024;

/** A test count, or "–" when the chunk has no results. */
export function formatCount(value: number | undefined): string {
  return value === undefined ? '–' : String(value);
}

/**
 * "+4.2%": the growth the leak verdict judged: of its worst pytest process over its tests (after
 * warm-up), or of the sampled timeline where there is no test series. "–" when unknown.
 */
export function describeGrowth(chunk: ChunkReport): string {
  const memory = chunk.memory;
  if (!memory) return '–';
  const series = memory.testSeries;
  let growth: number | null;
  if (series) {
    const judged = series.processes.filter((one) => one.verdict === series.verdict && one.growthPercent !== null);
    growth = judged.length === 0 ? null : Math.max(...judged.map((one) => one.growthPercent!));
  } else growth = memory.growthPercent;
  if (growth === null) return '–';
  return `${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%`;
}

/** How a chunk's peak is marked where it is shown: the source in a word or two. */
export const PEAK_SOURCE_LABEL: Record<ChunkPeakSource, string> = { cgroup: 'cgroup', 'per-test hwm': 'test hwm', sampled: 'sampled' };

/** "412 MiB cgroup / 1 GiB": the chunk's peak and where it comes from, with the limit when there is one. */
export function describePeak(chunk: ChunkReport): string {
  const peak = chunk.memory?.peak;
  if (!peak) return '–';
  const text = `${formatBytes(peak.bytes)} ${PEAK_SOURCE_LABEL[peak.source]}`;
  return chunk.memory!.limitBytes === null ? text : `${text} / ${formatBytes(chunk.memory!.limitBytes)}`;
}
