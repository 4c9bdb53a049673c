// Synthetic inputs for the HTML report tests: chunk data built in memory, no files.
import type { HtmlChunkData, TestMark } from '../../../src/html/html-input.js';
import type { MemorySample } from '../../../src/monitor/sample-types.js';
import type { ChunkReport } from '../../../src/results/report-types.js';
import { chunkReport } from '../ci/ci-fixtures.js';

export const MIB = 1024 * 1024;

/** A sample at `t` ms with the given RSS (PSS on every fourth sample, as the sampler reads it). */
export function sample(t: number, rssBytes: number, gpuBytes: number | null = null): MemorySample {
  return { t, rssBytes, pssBytes: t % 2000 === 0 ? rssBytes : null, processes: 1, threads: 1, fds: null, cpuPercent: 50, gpuBytes };
}

/** `count` samples every `intervalMs`, RSS from `valueAt(index)`. */
export function samples(count: number, intervalMs: number, valueAt: (index: number) => number): MemorySample[] {
  return Array.from({ length: count }, (_, index) => sample(index * intervalMs, valueAt(index)));
}

/** A test start on the chart. */
export function mark(tMs: number, nodeid: string, rssDeltaBytes: number | null = MIB, outcome = 'passed'): TestMark {
  return { tMs, nodeid, rssDeltaBytes, outcome };
}

/** A chunk as the HTML report gets it. */
export function chunkData(name: string, overrides: Partial<ChunkReport> = {}, data: Partial<Omit<HtmlChunkData, 'report'>> = {}): HtmlChunkData {
  return {
    report: chunkReport(name, overrides),
    samples: samples(20, 500, (index) => (100 + index) * MIB),
    testMarks: [mark(1000, `tests/test_${name}.py::test_one`)],
    failedTests: [],
    records: [],
    fileRefs: new Map(),
    ...data,
  };
}
