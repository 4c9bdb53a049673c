import type { MemoryScheduleReport } from '../plan/memory-plan.js';
import type { ChunkPlan } from '../plan/types.js';
import { maskSecretArgs, maskSecretEnv } from '../util/mask-secrets.js';
import { quoteShellCommand } from '../util/shell-quote.js';
import type { Outcome } from './classify-outcome.js';
import { decideRunOutcome } from './outcome.js';
import type { TestCounts } from './parse-junit.js';
import type { BlamedTest, TopPeakTest, TopRetainedTest } from './test-records.js';
import { REPORT_SCHEMA_VERSION, type AttemptReport, type ChunkEvidence, type ChunkGpuReport, type ChunkMemoryReport, type ChunkReport, type IsolationReport, type OrchestratorUsage, type RunReport, type RunScheduleReport } from './report-types.js';
import { countMaxConcurrentChunks } from './run-schedule.js';

/** What is known about a chunk once it is over (or was never started). */
export interface ChunkFacts {
  outcome: Outcome;
  exitCode: number | null;
  signal: string | null;
  pid: number | undefined;
  startedAt: Date | undefined;
  durationMs: number;
  tests: TestCounts | undefined;
  testsSource: ChunkReport['testsSource'];
  /** The JUnit file holding the chunk's results (pytest's own, or rebuilt from events). */
  junitFile: string | null;
  oomKillDelta: number | null;
  evidence: ChunkEvidence | null;
  isolationDecision: IsolationReport | null;
  memory: ChunkMemoryReport | null;
  gpu: ChunkGpuReport | null;
  warnings: string[];
  notRun: number | null;
  blamedTests: BlamedTest[];
  topRetainedTests: TopRetainedTest[];
  topPeakTests: TopPeakTest[];
  attempts: AttemptReport[];
  /** `"dist": "memory"`: what the scheduler did; null or absent for other modes. */
  memorySchedule?: MemoryScheduleReport | null;
}

/** Builds one chunk's entry in report.json; secret-looking env values and arguments are masked. */
export function buildChunkReport(plan: ChunkPlan, facts: ChunkFacts): ChunkReport {
  const command = maskSecretArgs(plan.argv);
  return {
    name: plan.name,
    description: plan.description ?? null,
    status: facts.outcome.status,
    message: facts.outcome.message,
    required: plan.required,
    allowEmpty: plan.allowEmpty,
    runner: plan.runner,
    exitCode: facts.exitCode,
    signal: facts.signal,
    command,
    commandLine: quoteShellCommand(command),
    cwd: plan.cwd,
    env: maskSecretEnv(plan.env),
    workers: plan.workers,
    workersReason: plan.workersReason ?? null,
    timeoutMs: plan.timeoutMs ?? null,
    pid: facts.pid ?? null,
    startedAt: facts.startedAt?.toISOString() ?? null,
    durationMs: Math.round(facts.durationMs),
    logFile: plan.logFile,
    junitFile: facts.junitFile,
    tests: facts.tests ?? null,
    testsSource: facts.testsSource,
    notRun: facts.notRun,
    blamedTests: facts.blamedTests,
    topRetainedTests: facts.topRetainedTests,
    topPeakTests: facts.topPeakTests,
    attempts: facts.attempts,
    shard: plan.shard ?? null,
    oomKillDelta: facts.oomKillDelta,
    evidence: facts.evidence,
    isolation: facts.isolationDecision?.used ?? null,
    isolationDecision: facts.isolationDecision,
    memory: facts.memory,
    gpu: facts.gpu,
    warnings: facts.warnings,
    mergedShards: null,
    memorySchedule: facts.memorySchedule ?? null,
  };
}

/** A chunk whose process never started (the run was interrupted first, or preflight failed). */
export function buildUnstartedChunkReport(plan: ChunkPlan, outcome: Outcome, warnings: string[] = []): ChunkReport {
  return buildChunkReport(plan, {
    outcome,
    exitCode: null,
    signal: null,
    pid: undefined,
    startedAt: undefined,
    durationMs: 0,
    tests: undefined,
    testsSource: null,
    junitFile: null,
    oomKillDelta: null,
    evidence: null,
    isolationDecision: null,
    memory: null,
    gpu: null,
    warnings,
    notRun: null,
    blamedTests: [],
    topRetainedTests: [],
    topPeakTests: [],
    attempts: [],
  });
}

/** Everything about the run besides its chunks. */
export interface RunFacts {
  runId: string;
  version: string;
  startedAt: Date;
  finishedAt: Date;
  interruptedBy: NodeJS.Signals | undefined;
  configFile: string;
  reportDir: string;
  parallelChunks: number;
  failOnLeak: boolean;
  gpuSampling: RunReport['gpuSampling'];
  /** run-chunks' own usage; undefined where no run took place (a merge). */
  orchestrator?: OrchestratorUsage;
  /** The --memory-budget schedule, described with the finished chunks (see run-schedule.ts). */
  schedule?: RunScheduleReport;
  /** False for a merge: its chunks ran on separate machines, so their overlap in time means nothing. */
  sharedMachine?: boolean;
}

/** Builds report.json's top level; the run's status and exit code are decided here, once. */
export function buildRunReport(facts: RunFacts, chunks: ChunkReport[]): RunReport {
  const { status, exitCode } = decideRunOutcome(
    chunks.map((chunk) => ({ ...chunk, leaked: chunk.memory?.verdict === 'leak' })),
    facts.interruptedBy !== undefined,
    facts.failOnLeak,
  );
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'run-chunks', version: facts.version },
    runId: facts.runId,
    status,
    exitCode,
    startedAt: facts.startedAt.toISOString(),
    finishedAt: facts.finishedAt.toISOString(),
    durationMs: facts.finishedAt.getTime() - facts.startedAt.getTime(),
    interruptedBy: facts.interruptedBy ?? null,
    configFile: facts.configFile,
    reportDir: facts.reportDir,
    parallelChunks: facts.parallelChunks,
    maxConcurrentChunks: facts.sharedMachine === false ? null : countMaxConcurrentChunks(chunks),
    schedule: facts.schedule ?? null,
    failOnLeak: facts.failOnLeak,
    gpuSampling: facts.gpuSampling,
    orchestrator: facts.orchestrator ?? null,
    chunks,
  };
}
