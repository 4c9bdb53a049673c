import { formatBytes } from '../config/parse-size.js';
import type { ChunkReport } from '../results/report-types.js';

// Below this a test's growth is allocator noise, lazy imports and caches: not worth a line for a
// person. report.json still lists the top 10 whatever their size.
export const NOTABLE_TEST_GROWTH_BYTES = 10 * 1024 * 1024;

/** A test count, or "–" when the chunk has no results. */
export function formatCount(value: number | undefined): string {
  return value === undefined ? '–' : String(value);
}

/** "412 MiB / 1 GiB": the peak the limit is checked against, with the limit when there is one. */
export function describePeak(chunk: ChunkReport): string {
  const memory = chunk.memory;
  if (!memory || memory.samples === 0) return '–';
  const peak = formatBytes(memory.metric === 'pss' ? (memory.peakPssBytes ?? memory.peakRssBytes) : memory.peakRssBytes);
  return memory.limitBytes === null ? peak : `${peak} / ${formatBytes(memory.limitBytes)}`;
}
