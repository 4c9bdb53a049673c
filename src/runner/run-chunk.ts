import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes, resolveSizeBytes } from '../config/parse-size.js';
import type { EmitEvent } from '../events/types.js';
import type { GpuSource } from '../monitor/attribute-gpu.js';
import { startChunkMonitor, type ChunkMonitor, type LimitKind, type MonitorTotals } from '../monitor/chunk-monitor.js';
import { summarizeMemory } from '../monitor/summarize-memory.js';
import type { ChunkPlan } from '../plan/types.js';
import { readMachineMemory } from '../proc/machine-memory.js';
import { readOomKillCount } from '../proc/oom-kill-counter.js';
import { buildChunkReport, buildUnstartedChunkReport } from '../results/build-report.js';
import { classifyOutcome } from '../results/classify-outcome.js';
import { parseJunitCounts, type TestCounts } from '../results/parse-junit.js';
import type { ChunkGpuReport, ChunkReport } from '../results/report-types.js';
import { startChunkProcess, type ChunkProcessHandle } from './chunk-process.js';
import { wrapInMemoryScope, type IsolationMode } from './cgroup-isolation.js';

/** What a chunk needs from the run around it. */
export interface ChunkRunContext {
  runId: string;
  emit: EmitEvent;
  preflight: (plan: ChunkPlan) => Promise<string | undefined>;
  /** Called once the chunk's process exists, so the run can stop it on Ctrl-C. */
  onProcessStarted: (plan: ChunkPlan, handle: ChunkProcessHandle) => void;
  onProcessEnded: (plan: ChunkPlan) => void;
  /** GPU readings, when GPU sampling is on. */
  gpu: GpuSource | undefined;
  /** 'cgroup' only when the probe found a working systemd scope. */
  isolation: IsolationMode;
  /** Sample from /proc (Linux), or with ps and pidusage. */
  useProcFs: boolean;
}

// A chunk over its memory limit may still be allocating fast: it gets at most this long to
// exit on SIGTERM before SIGKILL, however long its gracePeriod.
const LIMIT_GRACE_PERIOD_MS = 1_000;

// Clock granularity of file systems: a JUnit file written during the run may carry an mtime
// a little before our own start time.
const MTIME_SLACK_MS = 2_000;

/** File name of a chunk's memory timeline inside its report folder. */
export const SAMPLES_FILE_NAME = 'samples.jsonl';

/** Reads test counts from a JUnit file written during this run; stale files from earlier runs are ignored. */
async function readFreshJunit(junitPath: string | undefined, startedAt: Date): Promise<TestCounts | undefined> {
  if (junitPath === undefined) return undefined;
  try {
    const info = await stat(junitPath);
    if (info.mtimeMs < startedAt.getTime() - MTIME_SLACK_MS) return undefined;
    return parseJunitCounts(await readFile(junitPath, 'utf8'));
  } catch {
    return undefined;
  }
}

function oomDelta(before: number | null, after: number | null): number | null {
  return before === null || after === null ? null : after - before;
}

function describeLimit(kind: LimitKind, observedBytes: number, limitBytes: number, metric: string): string {
  const what = kind === 'memory-limit' ? `its process tree's memory (${metric})` : 'its GPU memory';
  const field = kind === 'memory-limit' ? 'memoryLimit' : 'gpuMemoryLimit';
  return `${what} reached ${formatBytes(observedBytes)}, over its ${field} of ${formatBytes(limitBytes)}`;
}

/** The GPU limit in bytes: a percentage is of the summed memory of the GPUs nvidia-smi reports. */
function resolveGpuLimitBytes(plan: ChunkPlan, gpu: GpuSource | undefined, warnings: string[]): number | undefined {
  if (plan.gpuMemoryLimit === undefined) return undefined;
  if (!gpu) {
    warnings.push('gpuMemoryLimit is set, but GPU sampling is off, so it is not enforced.');
    return undefined;
  }
  if (plan.gpuMemoryLimit.kind === 'bytes') return plan.gpuMemoryLimit.bytes;
  const totalBytes = (gpu.latest()?.devices ?? []).reduce((sum, device) => sum + (device.memoryTotalBytes ?? 0), 0);
  if (totalBytes === 0) {
    warnings.push(`gpuMemoryLimit ${plan.gpuMemoryLimit.percent}% cannot be resolved: nvidia-smi reported no GPU memory total, so it is not enforced.`);
    return undefined;
  }
  return resolveSizeBytes(plan.gpuMemoryLimit, totalBytes);
}

function buildGpuReport(totals: MonitorTotals, limitBytes: number | undefined): ChunkGpuReport | null {
  if (totals.peakGpuBytes === null) return null;
  return {
    peakBytes: totals.peakGpuBytes,
    attribution: totals.gpuAttribution,
    limitBytes: limitBytes ?? null,
    devices: [...totals.gpuDevicePeaks.values()].sort((a, b) => a.index - b.index),
  };
}

/** Runs one chunk from preflight to classification and returns its report entry. */
export async function runChunk(plan: ChunkPlan, context: ChunkRunContext): Promise<ChunkReport> {
  // Results of an earlier run must never be read as this run's.
  await rm(plan.chunkReportDir, { recursive: true, force: true });
  await mkdir(plan.chunkReportDir, { recursive: true });
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    context.emit({ type: 'run-notice', level: 'warning', chunk: plan.name, message: `${plan.name}: ${message}` });
  };

  const problem = await context.preflight(plan);
  if (problem !== undefined) return buildUnstartedChunkReport(plan, { status: 'error', message: problem });

  const machine = readMachineMemory();
  const memoryLimitBytes = plan.memoryLimit === undefined ? undefined : resolveSizeBytes(plan.memoryLimit, machine.totalBytes);
  if (memoryLimitBytes !== undefined && machine.availableBytes < memoryLimitBytes)
    warn(
      `only ${formatBytes(machine.availableBytes)} of memory is available to the ${machine.source} now, ` +
        `less than the chunk's memoryLimit of ${formatBytes(memoryLimitBytes)}: it may be OOM-killed before reaching its limit.`,
    );
  const gpuLimitWarnings: string[] = [];
  const gpuMemoryLimitBytes = resolveGpuLimitBytes(plan, context.gpu, gpuLimitWarnings);
  for (const message of gpuLimitWarnings) warn(message);
  const isolation: IsolationMode = context.isolation === 'cgroup' && memoryLimitBytes !== undefined ? 'cgroup' : 'watchdog';
  const spawnPlan = isolation === 'cgroup' ? { ...plan, argv: wrapInMemoryScope(plan.argv, memoryLimitBytes!) } : plan;

  const oomKillsBefore = readOomKillCount();
  const startedAt = new Date();
  const startedAtMs = performance.now();
  const handle = startChunkProcess(spawnPlan, {
    extraEnv: { RUN_CHUNKS_RUN_ID: context.runId },
    onOutput: (stream, data) => context.emit({ type: 'chunk-output', chunk: plan.name, stream, data }),
    onLogError: (error) => warn(`cannot write ${plan.logFile}: ${error.message}`),
  });
  context.onProcessStarted(plan, handle);
  context.emit({ type: 'chunk-started', plan, pid: handle.pid, startedAt });

  const samplesFile = path.join(plan.chunkReportDir, SAMPLES_FILE_NAME);
  let monitor: ChunkMonitor | undefined;
  if (handle.pid !== undefined) {
    monitor = startChunkMonitor({
      identity: { pgid: handle.pid, runId: context.runId, chunkName: plan.name },
      intervalMs: plan.sampleIntervalMs,
      samplesFile,
      gpu: context.gpu,
      memoryLimitBytes,
      gpuMemoryLimitBytes,
      onLimitExceeded: (kind, observedBytes, limitBytes, metric) => {
        const detail = describeLimit(kind, observedBytes, limitBytes, metric);
        // The reason is recorded before the kill, so the SIGKILL that follows reads as this, not as an OOM.
        handle.terminate(kind, detail, LIMIT_GRACE_PERIOD_MS);
        context.emit({ type: 'run-notice', level: 'warning', chunk: plan.name, message: `${plan.name}: ${detail}; stopping it.` });
      },
      onNotice: (message) => context.emit({ type: 'run-notice', level: 'info', chunk: plan.name, message: `${plan.name}: ${message}` }),
      useProcFs: context.useProcFs,
    });
  }

  const end = await handle.ended;
  const totals = monitor?.stop();
  context.onProcessEnded(plan);
  const durationMs = performance.now() - startedAtMs;
  if (!end.groupCleared)
    warn(`processes of the chunk (group ${end.pid}) were still alive after SIGKILL; they may be stuck in the kernel.`);

  const oomKillDelta = oomDelta(oomKillsBefore, readOomKillCount());
  // Under a cgroup MemoryMax the kernel, not run-chunks, kills the chunk at its limit.
  if (isolation === 'cgroup' && end.signal === 'SIGKILL' && end.terminationReason === undefined && totals && memoryLimitBytes !== undefined) {
    end.terminationReason = 'memory-limit';
    end.terminationDetail = `the kernel killed it at its cgroup MemoryMax of ${formatBytes(memoryLimitBytes)} (sampled peak ${formatBytes(totals.peakPssBytes ?? totals.peakRssBytes)})`;
  }
  const tests = end.spawnError === undefined ? await readFreshJunit(plan.junitPath, startedAt) : undefined;
  const outcome = classifyOutcome(
    { ...end, oomKillDelta },
    { runner: plan.runner, allowEmpty: plan.allowEmpty, timeoutMs: plan.timeoutMs },
  );
  const memory = totals
    ? {
        ...summarizeMemory(samplesFile, totals, plan.sampleIntervalMs, plan.leakThresholds),
        limitBytes: memoryLimitBytes ?? null,
        availableAtStartBytes: machine.availableBytes,
      }
    : null;
  return buildChunkReport(plan, {
    outcome,
    exitCode: end.exitCode,
    signal: end.signal,
    pid: end.pid,
    startedAt,
    durationMs,
    tests,
    junitFound: tests !== undefined,
    oomKillDelta,
    isolation,
    memory,
    gpu: totals ? buildGpuReport(totals, gpuMemoryLimitBytes) : null,
    warnings,
  });
}
