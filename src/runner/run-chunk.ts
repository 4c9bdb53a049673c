import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatBesideLimit, formatBytes, formatLimit, resolveSizeBytes } from '../config/parse-size.js';
import type { EmitEvent } from '../events/types.js';
import type { GpuSource } from '../monitor/attribute-gpu.js';
import { readSampleRss, summarizeMemory, TIMELINE_POINTS, type MemorySummary } from '../monitor/summarize-memory.js';
import { judgeTestSeries, seriesOf } from '../monitor/test-series-leak.js';
import { buildMemorySchedulePlan, describeMemorySchedule, MEMORY_SCHEDULE_VARIABLE, readMemoryScheduleReport, writeMemorySchedulePlan, type MemoryBudgetSource, type MemorySchedulePlan } from '../plan/memory-plan.js';
import { bucketMaxima } from '../util/bucket-maxima.js';
import type { ChunkPlan } from '../plan/types.js';
import { readMachineMemory } from '../proc/machine-memory.js';
import { buildChunkReport, buildUnstartedChunkReport } from '../results/build-report.js';
import { countRecords } from '../results/chunk-test-state.js';
import type { AttemptReport, ChunkGpuReport, ChunkPeak, ChunkReport, TestCgroupPeaks } from '../results/report-types.js';
import { rankPeakTests, rankRetainedTests, type TestRecord } from '../results/test-records.js';
import type { ChunkProcessHandle } from './chunk-process.js';
import type { PreflightVerdict } from './preflight.js';
import type { ContainmentSupport, IsolationMode } from './cgroup-isolation.js';
import { recoverFromOom } from './recover-from-oom.js';
import { runAttempt, type AttemptContext, type AttemptResult } from './run-attempt.js';
import { writeChunkJunit } from './write-chunk-junit.js';
import { adoptCommandJunit } from './adopt-command-junit.js';
import { describeFsError } from '../util/describe-fs-error.js';

/** What a chunk needs from the run around it. */
export interface ChunkRunContext {
  runId: string;
  emit: EmitEvent;
  preflight: (plan: ChunkPlan) => Promise<PreflightVerdict>;
  /** Called once the chunk's process exists, so the run can stop it on Ctrl-C. */
  onProcessStarted: (plan: ChunkPlan, handle: ChunkProcessHandle) => void;
  onProcessEnded: (plan: ChunkPlan) => void;
  /** GPU readings, when GPU sampling is on. */
  gpu: GpuSource | undefined;
  /** What --isolation asked for, what this system gives, and why when they differ. */
  isolation: { requested: IsolationMode; used: IsolationMode; reason: string | null };
  /** Whether chunk cgroups can be made here, and a python3 for the launcher. */
  containment: ContainmentSupport;
  /** Sample from /proc (Linux), or with ps and pidusage. */
  useProcFs: boolean;
  /** False once the run is interrupted: no recovery attempt starts then. */
  mayStartMore: () => boolean;
}

/** What a finished chunk hands back: its report entry and every test's result. */
export interface ChunkOutcomeReport {
  report: ChunkReport;
  records: TestRecord[];
}

/** The GPU limit in bytes: a percentage is of the summed memory of the GPUs nvidia-smi reports. */
function resolveGpuLimitBytes(plan: ChunkPlan, gpu: GpuSource | undefined, warn: (message: string) => void): number | undefined {
  if (plan.gpuMemoryLimit === undefined) return undefined;
  if (!gpu) {
    warn('gpuMemoryLimit is set, but GPU sampling is off, so it is not enforced.');
    return undefined;
  }
  if (plan.gpuMemoryLimit.kind === 'bytes') return plan.gpuMemoryLimit.bytes;
  const totalBytes = (gpu.latest()?.devices ?? []).reduce((sum, device) => sum + (device.memoryTotalBytes ?? 0), 0);
  if (totalBytes === 0) {
    warn(`gpuMemoryLimit ${plan.gpuMemoryLimit.percent}% cannot be resolved: nvidia-smi reported no GPU memory total, so it is not enforced.`);
    return undefined;
  }
  return resolveSizeBytes(plan.gpuMemoryLimit, totalBytes);
}

/** The GPU figures of every attempt: the highest peak of any, and each device's highest. */
function buildGpuReport(attempts: readonly AttemptResult[], limitBytes: number | undefined): ChunkGpuReport | null {
  const measured = attempts.flatMap((attempt) => (attempt.totals && attempt.totals.peakGpuBytes !== null ? [attempt.totals] : []));
  const highest = measured.reduce<(typeof measured)[number] | undefined>((best, totals) => (best === undefined || totals.peakGpuBytes! > best.peakGpuBytes! ? totals : best), undefined);
  if (highest === undefined) return null;
  const devices = new Map<string, ChunkGpuReport['devices'][number]>();
  for (const totals of measured)
    for (const [key, device] of totals.gpuDevicePeaks) {
      const seen = devices.get(key);
      if (seen === undefined || (device.peakUsedBytes ?? -1) > (seen.peakUsedBytes ?? -1)) devices.set(key, { ...device });
    }
  return {
    peakBytes: highest.peakGpuBytes!,
    attribution: highest.gpuAttribution,
    limitBytes: limitBytes ?? null,
    devices: [...devices.values()].sort((a, b) => a.index - b.index),
  };
}

function highestOf(values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : Math.max(...present);
}

/**
 * The chunk's memory summary over every attempt: peaks, process count and samples of all of
 * them, and a timeline that runs through each attempt in turn. The leak verdict, slope and
 * growth judge the first attempt only (a recovery attempt is another process running a part of
 * the chunk), and its reason says so when there were more.
 */
function summarizeAttempts(plan: ChunkPlan, attempts: readonly AttemptResult[]): MemorySummary | null {
  const first = attempts[0];
  if (!first?.totals) return null;
  const series = judgeTestSeries(seriesOf(first.records), plan.leakThresholds.maxGrowthPercent);
  const summary = summarizeMemory(first.samplesFile, first.totals, plan.sampleIntervalMs, plan.leakThresholds, { series, fromMs: first.testsFromMs });
  const measured = attempts.filter((attempt) => attempt.totals !== undefined);
  if (measured.length < 2) return summary;
  const timeline = measured.flatMap((attempt) => readSampleRss(attempt.samplesFile));
  return {
    ...summary,
    samples: measured.reduce((sum, attempt) => sum + attempt.totals!.samples, 0),
    peakRssBytes: Math.max(...measured.map((attempt) => attempt.totals!.peakRssBytes)),
    peakPssBytes: highestOf(measured.map((attempt) => attempt.totals!.peakPssBytes)),
    peakProcesses: Math.max(...measured.map((attempt) => attempt.totals!.peakProcesses)),
    endRssBytes: timeline.at(-1) ?? summary.endRssBytes,
    verdictReason: `first attempt: ${summary.verdictReason}`,
    rssTimelineBytes: bucketMaxima(timeline, TIMELINE_POINTS),
  };
}

/** The figure with the most bytes among the attempts' (null when none has one). */
/** The attempts' per-test cgroup peaks: the source of the first that had one, every reason any process gave. */
function mergeTestCgroupPeaks(figures: readonly (TestCgroupPeaks | null)[]): TestCgroupPeaks | null {
  const known = figures.filter((figure): figure is TestCgroupPeaks => figure !== null);
  if (known.length === 0) return null;
  return { source: known[0]!.source, unavailable: [...new Set(known.flatMap((figure) => figure.unavailable))] };
}

function largestOf<T extends { bytes: number }>(figures: readonly (T | null)[]): T | null {
  return figures.reduce<T | null>((best, figure) => (figure !== null && (best === null || figure.bytes > best.bytes) ? figure : best), null);
}

/** The chunk's headline peak: the kernel's where its cgroup kept one, else the higher of two lower bounds. */
function choosePeak(summary: MemorySummary, kernelPeak: AttemptResult['kernelPeak'], records: readonly TestRecord[]): ChunkPeak | null {
  if (kernelPeak)
    return { bytes: kernelPeak.bytes, source: 'cgroup', detail: `the kernel's high-water mark of memory charged to the chunk's cgroup (${kernelPeak.source}): exact for what was charged there, page cache included; shared pages another cgroup brought in first (the interpreter, its libraries) are not charged, so it can be below one process's RSS` };
  const perTest = records.reduce<TestRecord | undefined>((best, record) => (record.peakRssSource === 'hwm' && record.peakRssBytes !== null && (best === undefined || record.peakRssBytes > best.peakRssBytes!) ? record : best), undefined);
  if (perTest && perTest.peakRssBytes! > summary.peakRssBytes)
    return { bytes: perTest.peakRssBytes!, source: 'per-test hwm', detail: `a lower bound: the exact peak of one pytest process${perTest.worker ? ` (${perTest.worker})` : ''} during ${perTest.nodeid}, higher than any sample of the whole tree (every ${summary.intervalMs} ms)` };
  if (summary.samples === 0) return null;
  return { bytes: summary.peakRssBytes, source: 'sampled', detail: `a lower bound: the process tree's summed RSS at its highest sample (every ${summary.intervalMs} ms); a peak between samples is not in it` };
}

/** One attempt as report.json lists it. */
export function describeAttempt(attempt: AttemptResult, kind: AttemptReport['kind']): AttemptReport {
  return {
    attempt: attempt.attempt,
    kind,
    startedAt: attempt.startedAt.toISOString(),
    status: attempt.outcome.status,
    message: attempt.outcome.message,
    exitCode: attempt.end.exitCode,
    signal: attempt.end.signal,
    workers: attempt.plan.workers,
    durationMs: Math.round(attempt.durationMs),
    tests: attempt.hasEvents ? countRecords(attempt.records) : (attempt.junitCounts ?? null),
    peakRssBytes: attempt.totals?.peakRssBytes ?? null,
    peakPssBytes: attempt.totals?.peakPssBytes ?? null,
    logFile: attempt.plan.logFile,
  };
}

// Written into every chunk folder run-chunks makes: only a folder holding it (or holding nothing
// but what run-chunks writes there, as folders from before the mark did) is ever emptied.
const CHUNK_DIR_MARKER = '.run-chunks-chunk';
const OWN_ENTRY = /^(\.run-chunks-chunk|output\.log|events\.jsonl(\.collected)?|samples\.jsonl|junit\.xml|launcher-status\.txt|attempt-\d+)$/;

/**
 * Empties the chunk's report folder (results of an earlier run must never be read as this run's)
 * and marks it as run-chunks'. A non-empty folder without the mark is someone else's, say a
 * project folder under a mistaken --report-dir: it is left alone and the chunk is not run.
 */
async function resetChunkReportDir(dir: string): Promise<string | undefined> {
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException): string[] => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (!entries.includes(CHUNK_DIR_MARKER) && !entries.every((entry) => OWN_ENTRY.test(entry)))
    return `its report folder ${dir} already exists and was not made by run-chunks, so it was left untouched and the chunk was not run. Choose another --report-dir, or move that folder away`;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, CHUNK_DIR_MARKER), 'Made by run-chunks: this folder is emptied at the start of every run of its chunk.\n');
  return undefined;
}

/**
 * `"dist": "memory"` with xdist workers: the plan file for the plugin's scheduler, with the budget
 * (memoryLimit, else the memory available now) and the chunk's test forecasts; undefined otherwise.
 * With one worker there is nothing to schedule, and the chunk says so.
 */
async function planMemorySchedule(
  plan: ChunkPlan,
  memoryLimitBytes: number | undefined,
  availableBytes: number,
  context: ChunkRunContext,
  warn: (message: string) => void,
): Promise<{ file: string; plan: MemorySchedulePlan; budgetSource: MemoryBudgetSource } | undefined> {
  if (plan.pytest?.dist !== 'memory') return undefined;
  if (plan.workers <= 1) {
    context.emit({ type: 'run-notice', level: 'info', chunk: plan.name, message: `${plan.name}: "dist": "memory" with one worker: there is nothing to schedule, the tests run one after another.` });
    return undefined;
  }
  const budgetSource: MemoryBudgetSource = memoryLimitBytes === undefined ? 'available' : 'memoryLimit';
  const schedulePlan = buildMemorySchedulePlan(plan.testForecasts ?? new Map(), memoryLimitBytes ?? availableBytes, plan.workers);
  try {
    return { file: await writeMemorySchedulePlan(plan.chunkReportDir, schedulePlan), plan: schedulePlan, budgetSource };
  } catch (error) {
    warn(`could not write its memory schedule plan (${describeFsError(error)}): xdist's load scheduling runs instead`);
    return undefined;
  }
}

/** Runs one chunk: preflight, its process (and recovery attempts after an OOM), and its report entry. */
export async function runChunk(plan: ChunkPlan, context: ChunkRunContext): Promise<ChunkOutcomeReport> {
  const folderProblem = await resetChunkReportDir(plan.chunkReportDir);
  if (folderProblem !== undefined) return { report: buildUnstartedChunkReport(plan, { status: 'error', message: folderProblem }), records: [] };
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    context.emit({ type: 'run-notice', level: 'warning', chunk: plan.name, message: `${plan.name}: ${message}` });
  };

  const verdict = await context.preflight(plan);
  if (verdict.kind === 'interrupted')
    return { report: buildUnstartedChunkReport(plan, { status: 'skipped', message: 'not started: the run was interrupted during its preflight check' }), records: [] };
  if (verdict.kind === 'problem') return { report: buildUnstartedChunkReport(plan, { status: 'error', message: verdict.message }), records: [] };
  // With xdist importable, a one-worker chunk gets -n 0 (see preflight.ts).
  plan = verdict.plan;

  const machine = readMachineMemory();
  const memoryLimitBytes = plan.memoryLimit === undefined ? undefined : resolveSizeBytes(plan.memoryLimit, machine.totalBytes);
  if (memoryLimitBytes !== undefined && machine.availableBytes < memoryLimitBytes)
    warn(
      `only ${formatBesideLimit(machine.availableBytes, memoryLimitBytes)} of memory is available to the ${machine.source} now, ` +
        `less than the chunk's memoryLimit of ${formatLimit(memoryLimitBytes)}: it may be OOM-killed before reaching its limit.`,
    );
  const gpuMemoryLimitBytes = resolveGpuLimitBytes(plan, context.gpu, warn);
  const isolation: IsolationMode = context.isolation.used === 'cgroup' && memoryLimitBytes !== undefined ? 'cgroup' : 'watchdog';
  const attemptContext: AttemptContext = { ...context, isolation, memoryLimitBytes, gpuMemoryLimitBytes, warn };

  const memoryPlan = await planMemorySchedule(plan, memoryLimitBytes, machine.availableBytes, context, warn);
  if (memoryPlan) plan = { ...plan, env: { ...plan.env, [MEMORY_SCHEDULE_VARIABLE]: memoryPlan.file } };
  const first = await runAttempt(plan, 1, attemptContext);
  // The first attempt's: recovery attempts run again with the same plan and write over its result.
  const memorySchedule = memoryPlan ? await readMemoryScheduleReport(memoryPlan.file, memoryPlan.plan, memoryPlan.budgetSource, first.records) : null;
  if (memorySchedule) context.emit({ type: 'run-notice', level: 'info', chunk: plan.name, message: `${plan.name}: ${describeMemorySchedule(memorySchedule, formatBytes)}` });
  const recovery = await recoverFromOom(first, attemptContext, context.mayStartMore, (dir) => mkdir(dir, { recursive: true }).then(() => undefined));
  // A command's testcases come from the JUnit file it wrote; pytest's from the plugin's events.
  const commandJunit = plan.runner === 'command' ? await adoptCommandJunit(plan, first.junit, recovery.outcome, warn) : undefined;
  const records = commandJunit?.records ?? recovery.records;
  // A full disk costs the chunk's JUnit file, never its results: they are in report.json.
  const junitFile = commandJunit
    ? commandJunit.junitFile
    : await writeChunkJunit(plan, first, recovery, records).catch((error: unknown) => {
        warn(`could not write its JUnit file: ${describeFsError(error)}; its results are still in report.json`);
        return null;
      });

  const attemptResults = recovery.attempts.map(({ result }) => result);
  const summary = summarizeAttempts(plan, attemptResults);
  // The kernel's own peak (the chunk cgroup's high-water mark), the highest of any attempt.
  const kernelPeak = largestOf(attemptResults.map((attempt) => attempt.kernelPeak));
  // The peaks were kept in memory; the timeline a verdict needs went with a deleted folder.
  const samplesLost = first.lostFolder
    ? { verdict: 'unknown' as const, verdictReason: 'its memory samples (samples.jsonl) were deleted with the chunk\'s report folder while it ran' }
    : {};
  const memory = summary
    ? {
        ...summary,
        limitBytes: memoryLimitBytes ?? null,
        availableAtStartBytes: machine.availableBytes,
        kernelPeakBytes: kernelPeak?.bytes ?? null,
        kernelPeakSource: kernelPeak?.source ?? null,
        peak: choosePeak(summary, kernelPeak, records),
        pytestPeakSum: largestOf(attemptResults.map((attempt) => attempt.pytestPeakSum)),
        testCgroupPeaks: mergeTestCgroupPeaks(attemptResults.map((attempt) => attempt.testCgroupPeaks)),
        ...samplesLost,
      }
    : null;
  const hasEvents = recovery.attempts.some(({ result }) => result.hasEvents);
  const report = buildChunkReport(plan, {
    outcome: commandJunit?.outcome ?? recovery.outcome,
    exitCode: first.end.exitCode,
    signal: first.end.signal,
    pid: first.end.pid,
    startedAt: first.startedAt,
    durationMs: recovery.attempts.reduce((sum, { result }) => sum + result.durationMs, 0),
    tests: hasEvents ? countRecords(records) : first.junitCounts,
    testsSource: hasEvents ? 'events' : first.junitCounts ? 'junit' : null,
    junitFile,
    oomKillDelta: first.oomKillDelta,
    evidence: first.evidence,
    isolationDecision: {
      requested: context.isolation.requested,
      used: isolation,
      reason: context.isolation.reason ?? (context.isolation.used === 'cgroup' && isolation === 'watchdog' ? 'the chunk has no memoryLimit' : null),
    },
    memory,
    gpu: buildGpuReport(attemptResults, gpuMemoryLimitBytes),
    warnings,
    notRun: recovery.notRun,
    blamedTests: recovery.blamed,
    topPeakTests: rankPeakTests(records),
    topRetainedTests: rankRetainedTests(records),
    attempts: recovery.attempts.map(({ result, kind }) => describeAttempt(result, kind)),
    memorySchedule,
  });
  return { report, records };
}
