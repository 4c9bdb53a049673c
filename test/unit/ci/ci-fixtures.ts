// Literal RunReports and TestRecords for the CI tests: what goes in is what a test reads.
import type { ChunkReport, RunReport } from '../../../src/results/report-types.js';
import { baseChunkReport, memory } from '../../helpers/report-fixtures.js';
import { bareRecord, type TestRecord, type TopPeakTest } from '../../../src/results/test-records.js';

export { memory };

/** A chunk that ran and passed, unless overridden. */
export function chunkReport(name: string, overrides: Partial<ChunkReport> = {}): ChunkReport {
  return baseChunkReport(name, overrides);
}

/** A run of the given chunks. */
export function runReport(chunks: ChunkReport[], overrides: Partial<RunReport> = {}): RunReport {
  return {
    schemaVersion: 2,
    tool: { name: 'run-chunks', version: '0.1.0' },
    runId: 'run-1',
    status: 'passed',
    exitCode: 0,
    startedAt: '2026-05-01T10:00:00.000Z',
    finishedAt: '2026-05-01T10:05:00.000Z',
    durationMs: 300_000,
    interruptedBy: null,
    configFile: '/repo/chunks.config.json',
    reportDir: '/repo/.run-chunks/report',
    parallelChunks: 1,
    maxConcurrentChunks: 1,
    schedule: null,
    failOnLeak: false,
    gpuSampling: { requested: 'auto', active: false, reason: 'no nvidia-smi' },
    orchestrator: null,
    chunks,
    ...overrides,
  };
}

/** A test record that ended on its own, with a location. */
export function record(nodeid: string, outcome: TestRecord['outcome'], overrides: Partial<TestRecord> = {}): TestRecord {
  return { ...bareRecord(nodeid, outcome, outcome === 'passed' ? '' : `${outcome}!`, 1), message: null, ...overrides };
}

/** A test among those that needed the most memory: an exact ('hwm') peak on gw0 unless overridden. */
export function topPeak(nodeid: string, peakRssBytes: number, overrides: Partial<TopPeakTest> = {}): TopPeakTest {
  return { nodeid, peakRssBytes, peakRssSource: 'hwm', peakRiseBytes: null, rssDeltaBytes: null, childPeakRssBytes: null, groupPeakRiseBytes: null, gpuPeakBytes: null, gpuPeakSource: null, durationMs: 100, worker: 'gw0', ...overrides };
}

// A test id meant to break a Markdown table and inject HTML if it is not escaped.
export const HOSTILE_NODEID = 'tests/test_x.py::test_pipe[a|b<script>alert(1)</script>*x*`y`]';

/**
 * A failed run: a passing chunk, an optional chunk with failed tests and a leak, and a required
 * chunk killed by OOM with two blamed tests (one with the hostile id).
 */
export function failedRun(): RunReport {
  return runReport(
    [
      chunkReport('unit_fast'),
      chunkReport('integration', {
        status: 'failed',
        message: 'some tests failed',
        required: false,
        exitCode: 1,
        tests: { total: 3, passed: 1, failed: 2, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 },
        memory: memory(3 * 1024 ** 3, { verdict: 'leak', verdictReason: 'grew 40% (allowed 10%) at 2 MiB/s without levelling off', limitBytes: 4 * 1024 ** 3 }),
        topRetainedTests: [{ nodeid: 'tests/test_i.py::test_cache', rssDeltaBytes: 300 * 1024 * 1024, rssEndBytes: null, gpuDeltaBytes: null, worker: 'gw0' }],
        topPeakTests: [
          topPeak('tests/test_i.py::test_alloc', 800 * 1024 * 1024, { peakRiseBytes: 700 * 1024 * 1024, rssDeltaBytes: 0 }),
          topPeak('tests/test_i.py::test_cache', 420 * 1024 * 1024, { peakRiseBytes: 320 * 1024 * 1024, rssDeltaBytes: 300 * 1024 * 1024 }),
        ],
      }),
      chunkReport('stress', {
        status: 'oom',
        message: 'killed by the kernel OOM killer (SIGKILL) at 7.8 GiB',
        exitCode: null,
        signal: 'SIGKILL',
        tests: { total: 5, passed: 3, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 },
        blamedTests: [
          { nodeid: 'tests/test_s.py::test_big', reason: 'oom', evidence: 'the only test running when the chunk was stopped', worker: 'gw1', chunkRssBytes: 7.8 * 1024 ** 3, rssGrowthBytes: 6 * 1024 ** 3, verdict: 'oom-deterministic' },
          { nodeid: HOSTILE_NODEID, reason: 'oom', evidence: 'the only test running when the chunk was stopped', worker: null, chunkRssBytes: null, rssGrowthBytes: null, verdict: null },
        ],
      }),
    ],
    { status: 'error', exitCode: 3, durationMs: 245_000 },
  );
}
