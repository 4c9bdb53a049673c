// The one literal ChunkReport and memory summary test fixtures start from; each test suite's
// fixture file sets the defaults its assertions read (test counts, command, memory peak).
import type { ChunkMemoryReport, ChunkReport } from '../../src/results/report-types.js';

/** A memory summary with the given peak and verdict. */
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
    verdictSource: 'timeline',
    testSeries: null,
    timelineVerdict: 'stable',
    timelineVerdictReason: 'flat',
    peakProcesses: 1,
    threads: null,
    fds: null,
    rssTimelineBytes: [peakRssBytes],
    limitBytes: null,
    availableAtStartBytes: null,
    kernelPeakBytes: null,
    kernelPeakSource: null,
    peak: { bytes: peakRssBytes, source: 'sampled', detail: 'a lower bound: the process tree\'s summed RSS at its highest sample (every 500 ms)' },
    ...overrides,
  };
}

/** A chunk that ran and passed, unless overridden. */
export function baseChunkReport(name: string, overrides: Partial<ChunkReport> = {}): ChunkReport {
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
    command: ['python', '-m', 'pytest'],
    commandLine: 'python -m pytest',
    cwd: '/repo',
    env: {},
    workers: 2,
    workersReason: null,
    timeoutMs: null,
    pid: 4242,
    startedAt: '2026-05-01T10:00:00.000Z',
    durationMs: 1500,
    logFile: `/repo/.run-chunks/report/${name}/output.log`,
    junitFile: null,
    tests: { total: 3, passed: 3, failed: 0, skipped: 0, errors: 0 },
    testsSource: 'events',
    notRun: 0,
    blamedTests: [],
    topRetainedTests: [],
    topPeakTests: [],
    attempts: [],
    shard: null,
    oomKillDelta: 0,
    evidence: null,
    isolation: 'watchdog',
    isolationDecision: { requested: 'watchdog', used: 'watchdog', reason: null },
    memory: memory(200 * 1024 * 1024),
    gpu: null,
    warnings: [],
    mergedShards: null,
    ...overrides,
  };
}
