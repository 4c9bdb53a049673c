// Small RunReports and TestRecords for the merge and history tests: literal values, so a test
// reads exactly what went into the report.
import { buildRunReport, type RunFacts } from '../../../src/results/build-report.js';
import type { ChunkReport, RunReport } from '../../../src/results/report-types.js';
import { baseChunkReport, memory } from '../../helpers/report-fixtures.js';
import { bareRecord, type TestRecord } from '../../../src/results/test-records.js';

export { memory };

/** A chunk that ran and passed, unless overridden (with a JUnit file and two tests). */
export function chunkReport(name: string, overrides: Partial<ChunkReport> = {}): ChunkReport {
  return baseChunkReport(name, {
    command: ['python', '-m', 'pytest', '-m', name],
    commandLine: `python -m pytest -m ${name}`,
    env: { RUN_CHUNKS_CHUNK: name },
    junitFile: `/repo/.run-chunks/report/${name}/junit.xml`,
    tests: { total: 2, passed: 2, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 },
    memory: memory(200_000_000),
    ...overrides,
  });
}

/** A whole run of the given chunks, built (and its outcome decided) by build-report.ts. */
export function runReport(chunks: ChunkReport[], facts: Partial<RunFacts> = {}): RunReport {
  return buildRunReport(
    {
      runId: 'run-1',
      version: '0.1.0',
      startedAt: new Date('2026-05-01T10:00:00.000Z'),
      finishedAt: new Date('2026-05-01T10:05:00.000Z'),
      interruptedBy: undefined,
      configFile: '/repo/chunks.config.json',
      reportDir: '/repo/.run-chunks/report',
      parallelChunks: 1,
      failOnLeak: false,
      gpuSampling: { requested: 'auto', active: false, reason: 'nvidia-smi is not on PATH' },
      ...facts,
    },
    chunks,
  );
}

/** A test that ended on its own, with its duration and memory measured. */
export function testRecord(nodeid: string, overrides: Partial<TestRecord> = {}): TestRecord {
  return {
    ...bareRecord(nodeid, 'passed', '', 1),
    message: null,
    durationMs: 120,
    worker: 'gw0',
    rssStartBytes: 100_000_000,
    rssEndBytes: 100_000_000,
    ...overrides,
  };
}
