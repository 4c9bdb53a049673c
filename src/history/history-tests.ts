import type { History, HistoryChunk, HistoryTest, TestSample } from './history-types.js';

// Stored tests point into History.testIds; these helpers turn them back into node ids and build
// a fresh id table when runs are added or dropped, so the table never keeps an id no run uses.

/** A chunk's tests as node id → sample (the stored tuples, read back). */
export function readChunkTests(history: History, chunk: HistoryChunk): Map<string, TestSample> {
  const tests = new Map<string, TestSample>();
  for (const [testIndex, durationMs, outcome, rssDeltaBytes] of chunk.tests) {
    const nodeid = history.testIds[testIndex];
    if (nodeid !== undefined) tests.set(nodeid, { durationMs, outcome, rssDeltaBytes });
  }
  return tests;
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

  /** Stores readable samples as tuples indexed into this table. */
  storeTests(tests: ReadonlyMap<string, TestSample>): HistoryTest[] {
    return [...tests].map(([nodeid, sample]) => [this.indexOf(nodeid), sample.durationMs, sample.outcome, sample.rssDeltaBytes]);
  }

  /** Re-points a chunk's stored tests from another history's table into this one. */
  reindexTests(from: History, tests: readonly HistoryTest[]): HistoryTest[] {
    return tests.flatMap(([testIndex, durationMs, outcome, rssDeltaBytes]): HistoryTest[] => {
      const nodeid = from.testIds[testIndex];
      return nodeid === undefined ? [] : [[this.indexOf(nodeid), durationMs, outcome, rssDeltaBytes]];
    });
  }
}
