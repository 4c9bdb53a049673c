import path from 'node:path';
import type { PlannedChunk, ChunkReport } from '../results/report-types.js';

/**
 * A chunk entry for a chunk that has no result to merge (its run never finished): status 'error',
 * with `message` saying why, and nothing measured. Its logFile is where the merged report dir would
 * keep it, and no file is there: no command ran here for it.
 */
export function missingChunkReport(planned: PlannedChunk, message: string, reportDir: string): ChunkReport {
  return {
    name: planned.name,
    description: planned.description,
    status: 'error',
    message,
    required: planned.required,
    allowEmpty: false,
    runner: planned.runner,
    exitCode: null,
    signal: null,
    command: [],
    commandLine: '',
    cwd: '',
    env: {},
    workers: planned.workers,
    workersReason: null,
    timeoutMs: null,
    pid: null,
    startedAt: null,
    durationMs: 0,
    logFile: path.join(reportDir, planned.name, 'output.log'),
    junitFile: null,
    tests: null,
    testsSource: null,
    notRun: null,
    blamedTests: [],
    topRetainedTests: [],
    topPeakTests: [],
    attempts: [],
    shard: null,
    oomKillDelta: null,
    isolation: null,
    memory: null,
    gpu: null,
    warnings: [],
    mergedShards: null,
    memorySchedule: null,
    evidence: null,
    isolationDecision: null,
  };
}
