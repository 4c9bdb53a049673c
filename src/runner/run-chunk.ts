import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import type { EmitEvent } from '../events/types.js';
import type { ChunkPlan } from '../plan/types.js';
import { readOomKillCount } from '../proc/oom-kill-counter.js';
import { buildChunkReport, buildUnstartedChunkReport } from '../results/build-report.js';
import { classifyOutcome } from '../results/classify-outcome.js';
import { parseJunitCounts, type TestCounts } from '../results/parse-junit.js';
import type { ChunkReport } from '../results/report-types.js';
import { startChunkProcess, type ChunkProcessHandle } from './chunk-process.js';

/** What a chunk needs from the run around it. */
export interface ChunkRunContext {
  runId: string;
  emit: EmitEvent;
  preflight: (plan: ChunkPlan) => Promise<string | undefined>;
  /** Called once the chunk's process exists, so the run can stop it on Ctrl-C. */
  onProcessStarted: (plan: ChunkPlan, handle: ChunkProcessHandle) => void;
  onProcessEnded: (plan: ChunkPlan) => void;
}

// Clock granularity of file systems: a JUnit file written during the run may carry an mtime
// a little before our own start time.
const MTIME_SLACK_MS = 2_000;

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

/** Runs one chunk from preflight to classification and returns its report entry. */
export async function runChunk(plan: ChunkPlan, context: ChunkRunContext): Promise<ChunkReport> {
  // Results of an earlier run must never be read as this run's.
  await rm(plan.chunkReportDir, { recursive: true, force: true });
  await mkdir(plan.chunkReportDir, { recursive: true });

  const problem = await context.preflight(plan);
  if (problem !== undefined) {
    return buildUnstartedChunkReport(plan, { status: 'error', message: problem });
  }

  const oomKillsBefore = readOomKillCount();
  const startedAt = new Date();
  const startedAtMs = performance.now();
  const handle = startChunkProcess(plan, {
    extraEnv: { RUN_CHUNKS_RUN_ID: context.runId },
    onOutput: (stream, data) => context.emit({ type: 'chunk-output', chunk: plan.name, stream, data }),
    onLogError: (error) =>
      context.emit({ type: 'run-notice', level: 'warning', chunk: plan.name, message: `cannot write ${plan.logFile}: ${error.message}` }),
  });
  context.onProcessStarted(plan, handle);
  context.emit({ type: 'chunk-started', plan, pid: handle.pid, startedAt });

  const end = await handle.ended;
  context.onProcessEnded(plan);
  const durationMs = performance.now() - startedAtMs;
  if (!end.groupCleared)
    context.emit({
      type: 'run-notice',
      level: 'warning',
      chunk: plan.name,
      message: `processes of chunk "${plan.name}" (group ${end.pid}) were still alive after SIGKILL; they may be stuck in the kernel.`,
    });

  const oomKillDelta = oomDelta(oomKillsBefore, readOomKillCount());
  const tests = end.spawnError === undefined ? await readFreshJunit(plan.junitPath, startedAt) : undefined;
  const outcome = classifyOutcome(
    { ...end, oomKillDelta },
    { runner: plan.runner, allowEmpty: plan.allowEmpty, timeoutMs: plan.timeoutMs },
  );
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
  });
}
