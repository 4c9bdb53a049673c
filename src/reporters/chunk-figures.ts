import { formatBesideLimit, formatBytes, formatLimit } from '../config/parse-size.js';
import { formatSignedPercent } from '../util/format-percent.js';
import type { ChunkPeakSource, ChunkReport } from '../results/report-types.js';

// Below this a test's growth is allocator noise, lazy imports and caches: not worth a line for a
// person. report.json still lists the top 10 whatever their size.
export const NOTABLE_TEST_GROWTH_BYTES = 10 * 1024 * 1024;

/** A test count, or "–" when the chunk has no results. */
export function formatCount(value: number | undefined): string {
  return value === undefined ? '–' : String(value);
}

/** A count column shown only when some chunk has a test of it: xfailed and xpassed, which most suites never have. */
export interface OccasionalCount {
  key: 'xfailed' | 'xpassed';
  title: string;
}

const OCCASIONAL_COUNTS: readonly OccasionalCount[] = [
  { key: 'xfailed', title: 'Xfailed' },
  { key: 'xpassed', title: 'Xpassed' },
];

/** The xfailed and xpassed columns that some of these chunks has a non-zero count for (none: the table keeps its width). */
export function occasionalCounts(chunks: readonly ChunkReport[]): OccasionalCount[] {
  return OCCASIONAL_COUNTS.filter(({ key }) => chunks.some((chunk) => (chunk.tests?.[key] ?? 0) > 0));
}

/** "2 xfailed", "1 xpassed": the non-zero ones of the chunk's xfailed and xpassed counts, as pytest's summary line words them. */
export function describeOccasionalCounts(chunk: ChunkReport): string[] {
  return OCCASIONAL_COUNTS.filter(({ key }) => (chunk.tests?.[key] ?? 0) > 0).map(({ key }) => `${chunk.tests![key]} ${key}`);
}

/**
 * "+4.2%", "+38.2%", "+382%" (see formatPercent): the growth the leak verdict judged: of its worst pytest process over its tests (after
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
  return formatSignedPercent(growth);
}

/** How a chunk's peak is marked where it is shown: the source in a word or two. */
export const PEAK_SOURCE_LABEL: Record<ChunkPeakSource, string> = { cgroup: 'cgroup', 'per-test hwm': 'test hwm', sampled: 'sampled' };

/**
 * "412 MiB cgroup / 1 GiB": the chunk's peak and where it comes from, with the limit when there is
 * one, in the units the limit was written in: "2.9 GB cgroup / 3 GB" for a memoryLimit of "3GB".
 */
export function describePeak(chunk: ChunkReport): string {
  const peak = chunk.memory?.peak;
  if (!peak) return '–';
  const limitBytes = chunk.memory!.limitBytes;
  const text = `${formatBesideLimit(peak.bytes, limitBytes)} ${PEAK_SOURCE_LABEL[peak.source]}`;
  return limitBytes === null ? text : `${text} / ${formatLimit(limitBytes)}`;
}

/** "3.1 GiB / 8 GiB": the chunk's GPU memory peak, with its gpuMemoryLimit (in that limit's units) when there is one. */
export function describeGpuPeak(chunk: ChunkReport): string {
  if (!chunk.gpu) return '–';
  const { peakBytes, limitBytes } = chunk.gpu;
  return limitBytes === null ? formatBytes(peakBytes) : `${formatBesideLimit(peakBytes, limitBytes)} / ${formatLimit(limitBytes)}`;
}
