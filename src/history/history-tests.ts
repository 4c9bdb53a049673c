import type { History, HistoryChunk, HistoryTest, HistoryTestPeak, TestSample } from './history-types.js';

// Stored tests point into History.testIds; these helpers turn them back into node ids and build
// a fresh id table when runs are added or dropped, so the table never keeps an id no run uses.

/** A chunk's stored tests, with their peaks by position (see HistoryChunk.testPeaks). */
export interface StoredTests {
  tests: HistoryTest[];
  /** Absent when no test has a peak: the chunk is stored as a history without peaks stores it. */
  testPeaks?: (HistoryTestPeak | null)[];
}

/** A chunk's tests as node id → sample (the stored tuples, read back). */
export function readChunkTests(history: History, chunk: HistoryChunk): Map<string, TestSample> {
  const tests = new Map<string, TestSample>();
  for (const [position, [testIndex, durationMs, outcome, rssDeltaBytes]] of chunk.tests.entries()) {
    const nodeid = history.testIds[testIndex];
    const peak = chunk.testPeaks?.[position] ?? null;
    if (nodeid !== undefined) tests.set(nodeid, { durationMs, outcome, rssDeltaBytes, peak: peak === null ? null : { bytes: peak[0], source: peak[1] } });
  }
  return tests;
}

function withPeaks(tests: HistoryTest[], peaks: (HistoryTestPeak | null)[]): StoredTests {
  return peaks.some((peak) => peak !== null) ? { tests, testPeaks: peaks } : { tests };
}

/** Hands out one index per distinct node id, in the order they are first seen. */
export class TestIdTable {
  readonly ids: string[] = [];
  private readonly indexes = new Map<string, number>();

  indexOf(nodeid: string): number {
    let index = this.indexes.get(nodeid);
    if (index === undefined) {
      index = this.ids.length;
      this.ids.push(nodeid);
      this.indexes.set(nodeid, index);
    }
    return index;
  }

  /** Stores readable samples as tuples indexed into this table, and their peaks beside them. */
  storeTests(samples: ReadonlyMap<string, TestSample>): StoredTests {
    const tests: HistoryTest[] = [];
    const peaks: (HistoryTestPeak | null)[] = [];
    for (const [nodeid, sample] of samples) {
      tests.push([this.indexOf(nodeid), sample.durationMs, sample.outcome, sample.rssDeltaBytes]);
      peaks.push(sample.peak === null ? null : [sample.peak.bytes, sample.peak.source]);
    }
    return withPeaks(tests, peaks);
  }

  /** Re-points a chunk's stored tests from another history's table into this one; each peak stays with its test. */
  reindexTests(from: History, chunk: HistoryChunk): StoredTests {
    const tests: HistoryTest[] = [];
    const peaks: (HistoryTestPeak | null)[] = [];
    for (const [position, [testIndex, durationMs, outcome, rssDeltaBytes]] of chunk.tests.entries()) {
      const nodeid = from.testIds[testIndex];
      if (nodeid === undefined) continue;
      tests.push([this.indexOf(nodeid), durationMs, outcome, rssDeltaBytes]);
      peaks.push(chunk.testPeaks?.[position] ?? null);
    }
    return withPeaks(tests, peaks);
  }
}
