// Small RunReports and TestRecords for the merge and history tests: literal values, so a test
// reads exactly what went into the report.
import { buildRunReport, type RunFacts } from '../../../src/results/build-report.js';
import type { ChunkMemoryReport, ChunkReport, RunReport } from '../../../src/results/report-types.js';
import { bareRecord, type TestRecord } from '../../../src/results/test-records.js';

/** A memory summary with the given peaks and verdict. */
export function memory(peakRssBytes: number, overrides: Partial<ChunkMemoryReport> = {}): ChunkMemoryReport {
  return {
    metric: 'rss',
    intervalMs: 500,
    samples: 10,
    peakRssBytes,
    peakPssBytes: null,
    startRssBytes: 1000,
    endRssBytes: peakRssBytes,
    slopeBytesPerSec: 0,
    growthPercent: 0,
    allowedGrowthPercent: 10,
    verdict: 'stable',
    verdictReason: 'flat',
    peakProcesses: 1,
    threads: null,
    fds: null,
    rssTimelineBytes: [peakRssBytes],
    limitBytes: null,
    availableAtStartBytes: null,
    ...overrides,
  };
}

/** A chunk that ran and passed, unless overridden. */
export function chunkReport(name: string, overrides: Partial<ChunkReport> = {}): ChunkReport {
  return {
    name,
    description: null,
    status: 'passed',
    message: 'all tests passed',
    required: true,
    allowEmpty: false,
    runner: 'pytest',
    exitCode: 0,
    signal: null,
    command: ['python', '-m', 'pytest', '-m', name],
    commandLine: `python -m pytest -m ${name}`,
    cwd: '/repo',
    env: { RUN_CHUNKS_CHUNK: name },
    workers: 2,
    workersReason: null,
    timeoutMs: null,
    pid: 4242,
    startedAt: '2026-05-01T10:00:00.000Z',
    durationMs: 1500,
    logFile: `/repo/.run-chunks/report/${name}/output.log`,
    junitFile: `/repo/.run-chunks/report/${name}/junit.xml`,
    tests: { total: 2, passed: 2, failed: 0, skipped: 0, errors: 0 },
    testsSource: 'events',
    notRun: 0,
    blamedTests: [],
    topMemoryTests: [],
    attempts: [],
    shard: null,
    oomKillDelta: 0,
    isolation: 'watchdog',
    memory: memory(200_000_000),
    gpu: null,
    warnings: [],
    ...overrides,
  };
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
