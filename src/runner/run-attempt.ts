import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../config/parse-size.js';
import type { EmitEvent } from '../events/types.js';
import type { GpuSource } from '../monitor/attribute-gpu.js';
import { startChunkMonitor, type ChunkMonitor, type LimitKind, type MonitorTotals } from '../monitor/chunk-monitor.js';
import { CHUNK_ENV_MARKER } from '../plan/create-plans.js';
import type { ChunkPlan } from '../plan/types.js';
import type { MarkedProcess } from '../proc/marker-sweep.js';
import { readOomKillCount } from '../proc/oom-kill-counter.js';
import { ChunkTestState } from '../results/chunk-test-state.js';
import { classifyOutcome, type Outcome } from '../results/classify-outcome.js';
import { parseJunitCounts, type TestCounts } from '../results/parse-junit.js';
import { parseTestEvent } from '../results/parse-test-event.js';
import { LineTail } from '../results/tail-lines.js';
import type { BlamedTest, TestRecord } from '../results/test-records.js';
import { startChunkProcess, type ChunkProcessEnd, type ChunkProcessHandle } from './chunk-process.js';
import { wrapInMemoryScope, type IsolationMode } from './cgroup-isolation.js';
import { describeLostFolder, folderIdentity, remakeLostFolder, type LostFolder } from './lost-folder.js';

/** What one run of a chunk's process needs from around it. */
export interface AttemptContext {
  runId: string;
  emit: EmitEvent;
  onProcessStarted: (plan: ChunkPlan, handle: ChunkProcessHandle) => void;
  onProcessEnded: (plan: ChunkPlan) => void;
  gpu: GpuSource | undefined;
  isolation: IsolationMode;
  useProcFs: boolean;
  memoryLimitBytes: number | undefined;
  gpuMemoryLimitBytes: number | undefined;
  warn: (message: string) => void;
}

/** Everything one process run of a chunk produced. */
export interface AttemptResult {
  attempt: number;
  plan: ChunkPlan;
  end: ChunkProcessEnd;
  outcome: Outcome;
  startedAt: Date;
  durationMs: number;
  oomKillDelta: number | null;
  totals: MonitorTotals | undefined;
  samplesFile: string;
  /** Counts from the JUnit file pytest (or the command) wrote, when it wrote one. */
  junitCounts: TestCounts | undefined;
  /** Per-test results from the plugin's events (empty when the plugin did not run). */
  records: TestRecord[];
  blamed: BlamedTest[];
  hasEvents: boolean;
  /** Set when the chunk's report folder was deleted while it ran (see lost-folder.ts). */
  lostFolder: LostFolder | undefined;
  collected: number | null;
  /** Node ids of the selected tests, when the plugin wrote them (`<events file>.collected`). */
  collectedIds: string[] | null;
}

/** File name of a chunk's memory timeline inside its report folder. */
export const SAMPLES_FILE_NAME = 'samples.jsonl';

// A chunk over its memory limit may still be allocating fast: it gets at most this long to
// exit on SIGTERM before SIGKILL, however long its gracePeriod.
const LIMIT_GRACE_PERIOD_MS = 1_000;
// Clock granularity of file systems: a JUnit file written during the run may carry an mtime
// a little before our own start time.
const MTIME_SLACK_MS = 2_000;
// How often the event stream is read while the chunk runs: live progress, not a busy loop.
const EVENT_POLL_MS = 250;

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

/** The node ids the plugin listed as selected; a line cut short by a kill is left out. */
async function readCollectedIds(eventsFile: string): Promise<string[] | null> {
  try {
    const text = await readFile(`${eventsFile}.collected`, 'utf8');
    const lines = text.split('\n');
    lines.pop(); // Empty after the last newline, or a line cut short.
    return lines.filter(Boolean);
  } catch {
    return null;
  }
}

function describeLimit(kind: LimitKind, observedBytes: number, limitBytes: number, metric: string): string {
  const what = kind === 'memory-limit' ? `its process tree's memory (${metric})` : 'its GPU memory';
  const field = kind === 'memory-limit' ? 'memoryLimit' : 'gpuMemoryLimit';
  return `${what} reached ${formatBytes(observedBytes)}, over its ${field} of ${formatBytes(limitBytes)}`;
}

const KILL_STATUSES = ['oom', 'memory-limit', 'gpu-memory-limit', 'timeout', 'crashed', 'interrupted'] as const;

function killReason(outcome: Outcome): BlamedTest['reason'] | undefined {
  return (KILL_STATUSES as readonly string[]).includes(outcome.status) ? (outcome.status as BlamedTest['reason']) : undefined;
}

/**
 * Runs a chunk's process once: spawns it, samples its memory, follows its test events, stops it
 * at a limit, and classifies how it ended. The plan's report folder must exist.
 */
export async function runAttempt(plan: ChunkPlan, attempt: number, context: AttemptContext): Promise<AttemptResult> {
  const { memoryLimitBytes } = context;
  const spawnPlan = context.isolation === 'cgroup' && memoryLimitBytes !== undefined ? { ...plan, argv: wrapInMemoryScope(plan.argv, memoryLimitBytes) } : plan;
  const tests = new ChunkTestState(attempt);
  const tail = plan.eventsFile === undefined ? undefined : new LineTail(plan.eventsFile);
  let eventsErrorSaid = false;
  const readEvents = (): void => {
    let changed = false;
    try {
      for (const line of tail?.readNewLines() ?? []) {
        const event = parseTestEvent(line);
        if (event && tests.apply(event)) changed = true;
      }
    } catch (error) {
      // An unreadable event file costs per-test results, never the run.
      if (!eventsErrorSaid) {
        eventsErrorSaid = true;
        context.warn(`cannot read the test events ${plan.eventsFile}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (tail && tail.droppedLines > 0 && !eventsErrorSaid) {
      eventsErrorSaid = true;
      context.warn(`${plan.eventsFile} held a line over 1 MiB, which is no test event; it was skipped (is something else writing to that file?)`);
    }
    if (changed) context.emit({ type: 'chunk-progress', chunk: plan.name, attempt, progress: tests.progress() });
  };

  const folderAtStart = folderIdentity(plan.chunkReportDir);
  const oomKillsBefore = readOomKillCount();
  const startedAt = new Date();
  const startedAtMs = performance.now();
  const handle = startChunkProcess(spawnPlan, {
    extraEnv: { RUN_CHUNKS_RUN_ID: context.runId },
    markers: { RUN_CHUNKS_RUN_ID: context.runId, [CHUNK_ENV_MARKER]: plan.name },
    onOutput: (stream, data) => context.emit({ type: 'chunk-output', chunk: plan.name, stream, data }),
    onLogError: (error) => context.warn(`cannot write ${plan.logFile}: ${error.message}`),
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
      gpuMemoryLimitBytes: context.gpuMemoryLimitBytes,
      onLimitExceeded: (kind, observedBytes, limitBytes, metric) => {
        const detail = describeLimit(kind, observedBytes, limitBytes, metric);
        // The reason is recorded before the kill, so the SIGKILL that follows reads as this, not as an OOM.
        handle.terminate(kind, detail, LIMIT_GRACE_PERIOD_MS);
        context.emit({ type: 'run-notice', level: 'warning', chunk: plan.name, message: `${plan.name}: ${detail}; stopping it.` });
      },
      onNotice: (message) => context.emit({ type: 'run-notice', level: 'info', chunk: plan.name, message: `${plan.name}: ${message}` }),
      onSample: (sample) => context.emit({ type: 'chunk-sample', chunk: plan.name, rssBytes: sample.rssBytes, gpuBytes: sample.gpuBytes }),
      useProcFs: context.useProcFs,
    });
  }
  const eventTimer = tail ? setInterval(readEvents, EVENT_POLL_MS) : undefined;

  const end = await handle.ended;
  clearInterval(eventTimer);
  const totals = monitor?.stop();
  readEvents();
  const eventsOpened = tail?.opened === true;
  tail?.close();
  const lostFolder = folderIdentity(plan.chunkReportDir) === folderAtStart ? undefined : { eventsLost: tail !== undefined && !eventsOpened };
  context.onProcessEnded(plan);
  const durationMs = performance.now() - startedAtMs;
  if (!end.groupCleared) context.warn(`processes of the chunk (group ${end.pid}) were still alive after SIGKILL; they may be stuck in the kernel.`);
  if (end.escaped.length > 0) context.warn(describeEscaped(end.escaped));

  const oomKillsAfter = readOomKillCount();
  const oomKillDelta = oomKillsBefore === null || oomKillsAfter === null ? null : oomKillsAfter - oomKillsBefore;
  // Under a cgroup MemoryMax the kernel, not run-chunks, kills the chunk at its limit.
  if (spawnPlan !== plan && end.signal === 'SIGKILL' && end.terminationReason === undefined && totals && memoryLimitBytes !== undefined) {
    end.terminationReason = 'memory-limit';
    end.terminationDetail = `the kernel killed it at its cgroup MemoryMax of ${formatBytes(memoryLimitBytes)} (sampled peak ${formatBytes(totals.peakPssBytes ?? totals.peakRssBytes)})`;
  }
  const outcome = classifyOutcome({ ...end, oomKillDelta }, { runner: plan.runner, allowEmpty: plan.allowEmpty, timeoutMs: plan.timeoutMs });
  const reason = killReason(outcome);
  const finished = tests.finish(
    reason === undefined ? undefined : { reason, chunkRssBytes: totals?.lastRssBytes ?? null, rssByPid: totals?.lastRssByPid ?? new Map() },
    oomKillDelta !== null && oomKillDelta > 0 ? 'oom' : 'crashed',
  );
  const junitCounts = end.spawnError === undefined ? await readFreshJunit(plan.junitPath, startedAt) : undefined;
  if (lostFolder) {
    context.warn(describeLostFolder(plan.chunkReportDir, lostFolder, junitCounts !== undefined, existsSync(plan.logFile)));
    remakeLostFolder(plan.chunkReportDir, plan.logFile);
  }
  return {
    attempt,
    plan,
    end,
    outcome,
    startedAt,
    durationMs,
    oomKillDelta,
    totals,
    samplesFile,
    junitCounts,
    records: finished.records,
    blamed: finished.blamed,
    hasEvents: tests.hasEvents(),
    lostFolder,
    collected: tests.progress().collected,
    collectedIds: plan.eventsFile === undefined ? null : await readCollectedIds(plan.eventsFile),
  };
}

/** The warning for processes that left the chunk's process group and outlived it. */
function describeEscaped(escaped: readonly MarkedProcess[]): string {
  const shown = escaped.slice(0, 3).map((marked) => `pid ${marked.pid} \`${truncate(marked.command, 80)}\``);
  const more = escaped.length > shown.length ? ` and ${escaped.length - shown.length} more` : '';
  return `${escaped.length} process${escaped.length === 1 ? '' : 'es'} had left the chunk's process group (setsid or a daemon) and outlived it; killed: ${shown.join(', ')}${more}. A test that starts a background service should stop it itself.`;
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
