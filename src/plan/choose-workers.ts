import { formatBytes } from '../config/parse-size.js';

/**
 * The pytest-xdist worker count for `workers: "auto"`: as many workers as the memory allows
 * (memory ÷ the p95 peak per worker in history) and the cores allow, at least 1. With no history
 * there is nothing to go on, so it starts at 1 and says so; the next runs learn from this one.
 */
export function chooseWorkers(peakPerWorkerBytes: number | null | undefined, memoryBytes: number, cores: number): { workers: number; reason: string } {
  if (!peakPerWorkerBytes || peakPerWorkerBytes <= 0)
    return { workers: 1, reason: 'workers "auto": no history of this chunk yet, so 1 worker; later runs size it from this one' };
  const byMemory = Math.floor(memoryBytes / peakPerWorkerBytes);
  const workers = Math.max(1, Math.min(byMemory, cores));
  const limit = byMemory < cores ? `memory: ${formatBytes(memoryBytes)} ÷ ${formatBytes(peakPerWorkerBytes)} per worker (p95 from history)` : `the ${cores} cores`;
  return { workers, reason: `workers "auto": ${workers}, limited by ${limit}` };
}
