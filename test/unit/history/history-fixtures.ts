// Synthetic histories for the history tests: chunk figures given directly, runs appended in order.
import { appendRun } from '../../../src/history/history-file.js';
import { emptyHistory, type History, type RecordedChunk, type RecordedRun, type TestSample } from '../../../src/history/history-types.js';

const MiB = 1024 * 1024;

/** A recorded chunk that passed in 60 s with two workers and a 1000 MiB RSS peak, unless overridden. */
export function recordedChunk(name: string, overrides: Partial<RecordedChunk> = {}): RecordedChunk {
  return {
    name,
    status: 'passed',
    durationMs: 60_000,
    workers: 2,
    peakRssBytes: 1000 * MiB,
    peakPssBytes: null,
    peakGpuBytes: null,
    shard: null,
    tests: new Map(),
    ...overrides,
  };
}

/** Tests as a Map from [nodeid, durationMs] pairs (passed, no memory figure). */
export function timedTests(entries: [string, number | null][]): Map<string, TestSample> {
  return new Map(entries.map(([nodeid, durationMs]) => [nodeid, { durationMs, outcome: 'passed', rssDeltaBytes: null, peak: null }]));
}

/** A run numbered n (run-n, started n minutes after 10:00). */
export function recordedRun(n: number, chunks: RecordedChunk[]): RecordedRun {
  const startedAt = new Date(Date.UTC(2026, 4, 1, 10, n)).toISOString();
  return { runId: `run-${n}`, startedAt, finishedAt: startedAt, chunks };
}

/** A history of the given runs, oldest first (each run a list of chunks), keeping up to `keepRuns`. */
export function historyOf(runs: RecordedChunk[][], keepRuns = 10): History {
  return runs.reduce((history, chunks, index) => appendRun(history, recordedRun(index + 1, chunks), keepRuns), emptyHistory());
}

/** A chunk's peaks over runs, in MiB: one run per value. */
export function peakHistory(name: string, peaksMiB: number[]): History {
  return historyOf(peaksMiB.map((peak) => [recordedChunk(name, { peakRssBytes: peak * MiB })]));
}

export { MiB };
