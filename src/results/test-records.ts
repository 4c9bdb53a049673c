import type { TestOutcome } from './test-events.js';

/** How one test ended, from run-chunks' point of view. */
export type TestRecordOutcome =
  | TestOutcome
  /** Running when run-chunks or the kernel killed the chunk. */
  | 'killed'
  /** Running in an xdist worker that died. */
  | 'crashed'
  /** Collected, never started: the chunk died first. */
  | 'not-run';

/** One test's result, kept by run-chunks from the plugin's event stream. */
export interface TestRecord {
  nodeid: string;
  outcome: TestRecordOutcome;
  durationMs: number | null;
  worker: string | null;
  pid: number | null;
  message: string | null;
  longrepr: string | null;
  file: string | null;
  line: number | null;
  /** RSS of the test's own process at its start and end (bytes). */
  rssStartBytes: number | null;
  rssEndBytes: number | null;
  gpuStartBytes: number | null;
  gpuEndBytes: number | null;
  /** 1 for the chunk's first run, 2+ for recovery attempts after an OOM. */
  attempt: number;
}

/** A record with nothing measured: for tests that never ended on their own (killed, crashed, never run). */
export function bareRecord(nodeid: string, outcome: TestRecordOutcome, message: string, attempt: number): TestRecord {
  return {
    nodeid,
    outcome,
    durationMs: null,
    worker: null,
    pid: null,
    message,
    longrepr: null,
    file: null,
    line: null,
    rssStartBytes: null,
    rssEndBytes: null,
    gpuStartBytes: null,
    gpuEndBytes: null,
    attempt,
  };
}

/** A test to blame for a chunk's death. */
export interface BlamedTest {
  nodeid: string;
  /** Why the chunk died while (or because) this test ran. */
  reason: 'oom' | 'killed' | 'memory-limit' | 'gpu-memory-limit' | 'timeout' | 'crashed' | 'interrupted';
  worker: string | null;
  /** The chunk's whole RSS at its last sample before the end. */
  chunkRssBytes: number | null;
  /** How much the test's own process grew since the test started, when known. */
  rssGrowthBytes: number | null;
  /** After a recovery attempt ran it alone: killed again (deterministic) or passed (flaky). */
  verdict: 'oom-deterministic' | 'oom-flaky' | null;
}

/** A test among those whose memory grew most. */
export interface TopMemoryTest {
  nodeid: string;
  rssDeltaBytes: number;
  rssEndBytes: number | null;
  gpuDeltaBytes: number | null;
  worker: string | null;
}

/** How many tests to list in topMemoryTests. */
export const TOP_MEMORY_TESTS = 10;

/**
 * The tests whose process grew most across them, largest first (only growth counts). A test
 * that keeps 100 MB shows +100 MB; one that allocates and frees it shows about nothing, so the
 * leaker is named, not the test that happened to run next.
 */
export function rankMemoryTests(records: readonly TestRecord[], limit = TOP_MEMORY_TESTS): TopMemoryTest[] {
  return records
    .filter((record) => record.rssStartBytes !== null && record.rssEndBytes !== null && record.rssEndBytes > record.rssStartBytes)
    .map((record) => ({
      nodeid: record.nodeid,
      rssDeltaBytes: record.rssEndBytes! - record.rssStartBytes!,
      rssEndBytes: record.rssEndBytes,
      gpuDeltaBytes: record.gpuStartBytes !== null && record.gpuEndBytes !== null ? record.gpuEndBytes - record.gpuStartBytes : null,
      worker: record.worker,
    }))
    .sort((a, b) => b.rssDeltaBytes - a.rssDeltaBytes)
    .slice(0, limit);
}
