import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatBesideLimit, formatLimit } from '../config/parse-size.js';
import type { EmitEvent } from '../events/types.js';
import type { GpuSource } from '../monitor/attribute-gpu.js';
import { startChunkMonitor, type ChunkMonitor, type LimitKind, type MonitorTotals } from '../monitor/chunk-monitor.js';
import { CHUNK_ENV_MARKER } from '../plan/create-plans.js';
import type { ChunkPlan } from '../plan/types.js';
import { monotonicNowUs, readOomKillLines, type KernelLogReading } from '../proc/kernel-log.js';
import { readOomKillCount } from '../proc/oom-kill-counter.js';
import { ChunkTestState, COLLECTION_FAILURE_MESSAGE } from '../results/chunk-test-state.js';
import { attachSampledGpuPeaks } from '../monitor/gpu-usage-tracker.js';
import { classifyOutcome, withWorkerOomKill, type OomEvidence, type Outcome } from '../results/classify-outcome.js';
import type { TestCounts } from '../results/parse-junit.js';
import { parseTestEvent } from '../results/parse-test-event.js';
import type { ChunkEvidence, TestCgroupPeaks } from '../results/report-types.js';
import { LineTail } from '../results/tail-lines.js';
import type { BlamedTest, TestRecord } from '../results/test-records.js';
import { startChunkProcess, type ChunkProcessEnd, type ChunkProcessHandle, type EscapedProcess } from './chunk-process.js';
import type { ContainmentSupport, IsolationMode } from './cgroup-isolation.js';
import { parseNodeIdFile } from '../results/node-id-file.js';
import { describeLostFolder, folderIdentity, remakeLostFolder, type LostFolder } from './lost-folder.js';
import { COUNTER_FILES } from '../proc/cgroup/chunk-cgroup.js';
import { readChunkJunit, type JunitReading } from './read-chunk-junit.js';
import { WorkerStops } from './worker-stops.js';
import { LAUNCHER_STATUS_FILE, readKernelEvidence, setUpContainment } from './attempt-containment.js';

/** What one run of a chunk's process needs from around it. */
export interface AttemptContext {
  runId: string;
  emit: EmitEvent;
  onProcessStarted: (plan: ChunkPlan, handle: ChunkProcessHandle) => void;
  onProcessEnded: (plan: ChunkPlan) => void;
  gpu: GpuSource | undefined;
  /** 'cgroup': memoryLimit is set on the chunk's own cgroup, and the kernel enforces it. */
  isolation: IsolationMode;
  /** Whether chunk cgroups can be made here, and the python for the launcher. */
  containment: ContainmentSupport;
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
  /** Rise of the machine-wide oom_kill counter (context only). */
  oomKillDelta: number | null;
  /** What the kernel said about this attempt's end, for report.json. */
  evidence: ChunkEvidence;
  /** The attempt's peak as its cgroup counted it; null without one. */
  kernelPeak: { bytes: number; source: string } | null;
  totals: MonitorTotals | undefined;
  samplesFile: string;
  /** What the plan's JUnit path held after the process ended; undefined when it has none or never started. */
  junit: JunitReading | undefined;
  /** Counts from the JUnit file pytest (or the command) wrote, when it wrote one. */
  junitCounts: TestCounts | undefined;
  /** Per-test results from the plugin's events (empty when the plugin did not run). */
  records: TestRecord[];
  blamed: BlamedTest[];
  /** Tests whose own process (an xdist worker, or pytest itself) died or exited under them. */
  diedUnder: string[];
  /** Tests whose xdist worker run-chunks stopped over the memoryLimit, the chunk going on ("dist": "memory"). */
  workerStops: string[];
  hasEvents: boolean;
  /** Set when the chunk's report folder was deleted while it ran (see lost-folder.ts). */
  lostFolder: LostFolder | undefined;
  collected: number | null;
  /** Node ids of the selected tests, when the plugin wrote them (`<events file>.collected`). */
  collectedIds: string[] | null;
  /** Milliseconds after the attempt's start when its last pytest process began its first test; null when none did. */
  testsFromMs: number | null;
  /** The sum of its pytest processes' whole-session peaks, when every one reported it. */
  pytestPeakSum: { bytes: number; processes: number } | null;
  /** Per-test peaks with children, from each test process's own cgroup: null when the attempt gave the plugin no cgroup. */
  testCgroupPeaks: TestCgroupPeaks | null;
}

/** File name of a chunk's memory timeline inside its report folder. */
export const SAMPLES_FILE_NAME = 'samples.jsonl';

// A chunk over its memory limit may still be allocating fast: it gets at most this long to
// exit on SIGTERM before SIGKILL, however long its gracePeriod.
const LIMIT_GRACE_PERIOD_MS = 1_000;
// How often the event stream is read while the chunk runs: live progress, not a busy loop.
const EVENT_POLL_MS = 250;

/** The node ids the plugin listed as selected; a line cut short by a kill is left out. */
async function readCollectedIds(eventsFile: string): Promise<string[] | null> {
  try {
    return parseNodeIdFile(await readFile(`${eventsFile}.collected`, 'utf8'));
  } catch {
    return null;
  }
}

function describeLimit(kind: LimitKind, observedBytes: number, limitBytes: number, metric: string): string {
  const what = kind === 'memory-limit' ? `its process tree's memory (${metric})` : 'its GPU memory';
  const field = kind === 'memory-limit' ? 'memoryLimit' : 'gpuMemoryLimit';
  // In the limit's own units: "reached 3.01 GB, over its memoryLimit of 3 GB", not "2.8 GiB … of 3 GB".
  return `${what} reached ${formatBesideLimit(observedBytes, limitBytes)}, over its ${field} of ${formatLimit(limitBytes)}`;
}

const KILL_STATUSES = ['oom', 'killed', 'memory-limit', 'gpu-memory-limit', 'timeout', 'crashed', 'interrupted'] as const;

function killReason(outcome: Outcome): BlamedTest['reason'] | undefined {
  return (KILL_STATUSES as readonly string[]).includes(outcome.status) ? (outcome.status as BlamedTest['reason']) : undefined;
}

/**
 * Runs a chunk's process once: spawns it, samples its memory, follows its test events, stops it
 * at a limit, and classifies how it ended. The plan's report folder must exist.
 */
export async function runAttempt(plan: ChunkPlan, attempt: number, context: AttemptContext): Promise<AttemptResult> {
  const { memoryLimitBytes } = context;
  const setup = setUpContainment(plan, attempt, context);
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

  // With the events file, the plugin measures each test with its children in a cgroup of its process's own, under the chunk's.
  const groupSpec = setup.cgroup?.hasMemoryController() && plan.eventsFile !== undefined ? setup.cgroup.pluginSpec : undefined;
  const folderAtStart = folderIdentity(plan.chunkReportDir);
  const oomKillsBefore = readOomKillCount();
  const startedAtUs = monotonicNowUs();
  const startedAt = new Date();
  const startedAtMs = performance.now();
  const handle = startChunkProcess(plan, {
    containment: { cgroup: setup.cgroup, python: setup.python, statusFile: path.join(path.dirname(plan.logFile), LAUNCHER_STATUS_FILE) },
    extraEnv: { RUN_CHUNKS_RUN_ID: context.runId, ...(groupSpec === undefined ? {} : { RUN_CHUNKS_CGROUP: groupSpec }) },
    markers: { RUN_CHUNKS_RUN_ID: context.runId, [CHUNK_ENV_MARKER]: plan.name },
    onOutput: (stream, data) => context.emit({ type: 'chunk-output', chunk: plan.name, stream, data }),
    onLogError: (error) => context.warn(`cannot write ${plan.logFile}: ${error.message}`),
  });
  context.onProcessStarted(plan, handle);
  context.emit({ type: 'chunk-started', plan, pid: handle.pid, startedAt });

  const samplesFile = path.join(plan.chunkReportDir, SAMPLES_FILE_NAME);
  const workerStops = new WorkerStops();
  let monitor: ChunkMonitor | undefined;
  if (handle.pid !== undefined) {
    monitor = startChunkMonitor({
      // The Python launcher leads the group and forks the command: its own ~10 MiB are run-chunks', not the tests'.
      identity: { pgid: handle.pid, runId: context.runId, chunkName: plan.name, ...(setup.python ? { launcherPid: handle.pid } : {}) },
      intervalMs: plan.sampleIntervalMs,
      samplesFile,
      gpu: context.gpu,
      // Under a kernel limit the kernel enforces memoryLimit; sampling would only race it.
      memoryLimitBytes: setup.limit ? undefined : memoryLimitBytes,
      gpuMemoryLimitBytes: context.gpuMemoryLimitBytes,
      onLimitExceeded: (kind, observedBytes, limitBytes, metric, rssByPid) => {
        const detail = describeLimit(kind, observedBytes, limitBytes, metric);
        if (kind === 'memory-limit' && plan.pytest?.dist === 'memory') {
          const decision = workerStops.decide(observedBytes, rssByPid, tests);
          if (decision.kind === 'wait') return 'keep-watching';
          if (decision.kind === 'stopped') {
            context.emit({ type: 'run-notice', level: 'warning', chunk: plan.name, message: `${plan.name}: ${detail}; ${decision.text}` });
            return 'keep-watching';
          }
          if (decision.kind === 'not-enough') {
            const stopDetail = `${detail}, and stopping ${decision.text} did not bring it under`;
            handle.terminate(kind, stopDetail, LIMIT_GRACE_PERIOD_MS);
            context.emit({ type: 'run-notice', level: 'warning', chunk: plan.name, message: `${plan.name}: ${stopDetail}; stopping the chunk.` });
            return 'stop';
          }
        }
        // The reason is recorded before the kill, so the SIGKILL that follows reads as this, not as an OOM.
        handle.terminate(kind, detail, LIMIT_GRACE_PERIOD_MS);
        context.emit({ type: 'run-notice', level: 'warning', chunk: plan.name, message: `${plan.name}: ${detail}; stopping it.` });
      },
      onNotice: (message) => context.emit({ type: 'run-notice', level: 'info', chunk: plan.name, message: `${plan.name}: ${message}` }),
      onSample: (sample) => {
        if (memoryLimitBytes !== undefined) workerStops.sampled(sample.rssBytes, memoryLimitBytes);
        context.emit({ type: 'chunk-sample', chunk: plan.name, rssBytes: sample.rssBytes, gpuBytes: sample.gpuBytes });
      },
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
  const chunkPids = new Set([...(totals?.lastRssByPid.keys() ?? []), ...end.escaped.map((escaped) => escaped.pid), ...[end.pid, end.commandPid].filter((pid) => pid !== undefined)]);
  const wasKilled = end.signal === 'SIGKILL' || end.exitCode === 137 || end.exitCode === 1;
  if (end.subreaperFailed) setup.unavailable.push('the launcher could not make itself the child subreaper (prctl PR_SET_CHILD_SUBREAPER failed)');
  const kernel = await readKernelEvidence({ ...setup, python: end.subreaperFailed ? undefined : setup.python }, oomKillDelta, context.warn, wasKilled ? () => readOomKillLines(chunkPids, startedAtUs) : undefined);
  const outcome = classifyOutcome(
    { ...end, spawnError: end.spawnError ?? end.launcherError, oom: kernel.oom },
    { runner: plan.runner, allowEmpty: plan.allowEmpty, timeoutMs: plan.timeoutMs },
  );
  const reason = killReason(outcome);
  // A crashed xdist worker is blamed on an OOM only with this chunk's own evidence.
  const chunkOom = kernel.oom.chunkOomKills !== null && kernel.oom.chunkOomKills > 0;
  const finished = tests.finish(
    reason === undefined ? undefined : { reason, chunkRssBytes: totals?.lastRssBytes ?? null, rssByPid: totals?.lastRssByPid ?? new Map(), kernelKill: chunkOom },
    chunkOom ? (setup.limit ? 'memory-limit' : 'oom') : 'crashed',
    { exitCode: end.exitCode },
  );
  if (totals) attachSampledGpuPeaks(finished.records, totals.gpuByPid);
  const junit = end.spawnError === undefined && plan.junitPath !== undefined ? await readChunkJunit(plan.junitPath, startedAt) : undefined;
  const junitCounts = junit?.kind === 'read' ? junit.counts : undefined;
  if (lostFolder) {
    context.warn(describeLostFolder(plan.chunkReportDir, lostFolder, junitCounts !== undefined, existsSync(plan.logFile)));
    remakeLostFolder(plan.chunkReportDir, plan.logFile);
  }
  return {
    attempt,
    plan,
    end,
    // A worker killed for memory by the kernel (the chunk's own evidence) is the chunk's memory kill.
    outcome: withWorkerOomKill(
      explainOutcome(outcome, finished.records, finished.blamed),
      kernel.oom,
      [...new Set(finished.blamed.filter((test) => test.reason === 'oom' || test.reason === 'memory-limit').map((test) => test.worker ?? 'pytest'))],
    ),
    startedAt,
    durationMs,
    oomKillDelta,
    evidence: kernel.evidence,
    kernelPeak: kernel.kernelPeak,
    totals,
    samplesFile,
    junit,
    junitCounts,
    records: finished.records,
    blamed: finished.blamed,
    diedUnder: finished.diedUnder,
    workerStops: [...workerStops.stoppedTests],
    hasEvents: tests.hasEvents(),
    lostFolder,
    collected: tests.progress().collected,
    collectedIds: plan.eventsFile === undefined ? null : await readCollectedIds(plan.eventsFile),
    testsFromMs: testsFromMs(tests.testsStartedAtS(), startedAt),
    pytestPeakSum: tests.pytestPeakSum(),
    testCgroupPeaks: groupSpec === undefined ? null : { source: `cgroup v${setup.cgroup!.version} ${COUNTER_FILES[setup.cgroup!.version].peakBytes} of each test process's own cgroup`, unavailable: tests.groupPeakUnavailable() },
  };
}

function testsFromMs(startedAtS: number | null, attemptStartedAt: Date): number | null {
  return startedAtS === null ? null : Math.max(0, Math.round(startedAtS * 1000 - attemptStartedAt.getTime()));
}

/**
 * What the exit code alone cannot say: a test ended by its process's own exit (os._exit exits 0
 * or 1, which would read as passed or failed) makes the chunk crashed; modules that failed to
 * collect are named. A chunk that is failed or error says why in its counts or here.
 */
export function explainOutcome(outcome: Outcome, records: readonly TestRecord[], blamed: readonly BlamedTest[]): Outcome {
  let result = outcome;
  const exited = blamed.filter((test) => test.reason === 'exited' || (test.reason === 'interrupted' && outcome.status !== 'interrupted'));
  if (exited.length > 0) {
    const status = ['passed', 'failed', 'no-tests', 'skipped'].includes(outcome.status) ? 'crashed' : outcome.status;
    const named = exited.map((test) => `${test.nodeid}: ${test.evidence}`).join('; ');
    result = { status, message: `${outcome.message}; a test did not end on its own: ${named}` };
  }
  const broken = records.filter((record) => record.message === COLLECTION_FAILURE_MESSAGE && record.outcome === 'error');
  if (broken.length > 0) {
    const shown = broken.slice(0, 3).map((record) => `${record.nodeid} (${lastLine(record.longrepr ?? '')})`);
    const more = broken.length > shown.length ? ` and ${broken.length - shown.length} more` : '';
    result = { status: result.status, message: `${result.message}; ${broken.length} test module${broken.length === 1 ? '' : 's'} could not be collected: ${shown.join(', ')}${more}` };
  }
  return result;
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  return truncate(lines.at(-1) ?? 'no details', 160);
}

/** The warning for processes that left the chunk's process group and outlived it. */
function describeEscaped(escaped: readonly EscapedProcess[]): string {
  const shown = escaped.slice(0, 3).map((marked) => `pid ${marked.pid} \`${truncate(marked.command, 80)}\` (${FOUND_BY[marked.foundBy]})`);
  const more = escaped.length > shown.length ? ` and ${escaped.length - shown.length} more` : '';
  return `${escaped.length} process${escaped.length === 1 ? '' : 'es'} had left the chunk's process group (setsid or a daemon) and outlived it; killed: ${shown.join(', ')}${more}. A test that starts a background service should stop it itself.`;
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

const FOUND_BY: Record<EscapedProcess['foundBy'], string> = {
  cgroup: "found in the chunk's cgroup",
  subreaper: 're-parented to the launcher',
  markers: "found by the chunk's environment markers",
};
