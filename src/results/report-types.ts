import type { RunnerKind } from '../config/types.js';
import type { GpuAttribution } from '../monitor/attribute-gpu.js';
import type { MemorySummary } from '../monitor/summarize-memory.js';
import type { ChunkStatus, RunStatus } from './outcome.js';
import type { MemoryScheduleReport } from '../plan/memory-plan.js';
import type { TestCounts } from './parse-junit.js';
import type { BlamedTest, TopPeakTest, TopRetainedTest } from './test-records.js';
import type { ProcessIdentity } from '../lifecycle/process-identity.js';

// The shape of report.json. schema/report.schema.json documents it and a test checks real
// reports against that schema, so the two cannot drift apart silently.

/** Bumped on any incompatible change to the report's shape. */
export const REPORT_SCHEMA_VERSION = 2;

/** A chunk's memory in report.json: the sampled summary plus the limit it ran under. */
export interface ChunkMemoryReport extends MemorySummary {
  /** The memoryLimit in bytes (a percentage resolved against the machine), or null. */
  limitBytes: number | null;
  /** Memory available to the machine (or its cgroup) when the chunk started. */
  availableAtStartBytes: number | null;
  /** The chunk's peak memory as the kernel charged it to its cgroup; null without a cgroup. */
  kernelPeakBytes: number | null;
  /** Where kernelPeakBytes was read, e.g. "cgroup v1 memory.max_usage_in_bytes"; null without it. */
  kernelPeakSource: string | null;
  /** The chunk's peak from the best source this system had; null when nothing was measured. */
  peak: ChunkPeak | null;
  /**
   * An upper bound of the pytest processes' combined peak: the sum of each one's own exact
   * whole-session peak (VmHWM). Processes the tests started are not in it. Null unless every
   * pytest process of an attempt reported its peak (none was killed); the highest attempt's.
   */
  pytestPeakSum: { bytes: number; processes: number } | null;
  /**
   * Where each test's peak with its children (TestRecord.groupPeakRiseBytes) came from: every
   * pytest process that runs tests makes a cgroup of its own under the chunk's and resets its
   * peak at each test's start. Null when the chunk had no cgroup with the memory controller;
   * `unavailable` says why some process measured none (a v2 kernel before 6.12 cannot reset
   * memory.peak; v1 without hierarchy would escape the limit).
   */
  testCgroupPeaks: TestCgroupPeaks | null;
}

/** See ChunkMemory.testCgroupPeaks. */
export interface TestCgroupPeaks {
  source: string;
  unavailable: string[];
}

/**
 * Where a chunk's headline peak comes from, best first: 'cgroup', the kernel's exact high-water
 * mark of memory charged to the chunk's own cgroup (anonymous memory and page cache); 'per-test
 * hwm', the highest exact per-test peak of one pytest process (VmHWM), higher than any sample;
 * 'sampled', the process tree's summed RSS at its highest sample. The last two are lower bounds
 * of the tree's true peak: a peak between samples, or of several processes at once, is not in them.
 */
export type ChunkPeakSource = 'cgroup' | 'per-test hwm' | 'sampled';

export interface ChunkPeak {
  bytes: number;
  source: ChunkPeakSource;
  /** In words: what was measured, and whether it is exact or a lower bound. */
  detail: string;
}

/** One kernel counter of the chunk's cgroup, before and after the chunk ran. */
export interface EvidenceCounter {
  /** The file and key it was read from, e.g. "memory.oom_control oom_kill". */
  name: string;
  before: number | null;
  after: number | null;
  delta: number | null;
}

/** What the kernel said about this chunk's end, and where run-chunks looked. */
export interface ChunkEvidence {
  /** How its descendants were contained: its own cgroup, the launcher as child subreaper, or only its environment markers. */
  containment: ('cgroup' | 'subreaper' | 'markers')[];
  /** The chunk's own cgroup (created for it, removed after it); null when it had none. */
  cgroup: {
    version: 1 | 2;
    path: string;
    /** Whether memory counters exist for it (v2: the memory controller enabled for our children). */
    memoryController: boolean;
    /** The kernel memory limit set on it (--isolation cgroup), or null. */
    memoryLimitBytes: number | null;
    /** How swap was kept out under that limit, or why it could not be; null without a limit. */
    swap: string | null;
    counters: EvidenceCounter[];
    /** False when it could not be removed afterwards (the warning says so). */
    removed: boolean;
  } | null;
  /** Where the chunk had no cgroup counters: the kernel log's OOM-kill lines naming its processes (none: []); null when not read. */
  kernelLog: { source: '/dev/kmsg'; lines: string[] } | null;
  /** What could not be used on this system, in words (no writable cgroup, no python for the launcher). */
  unavailable: string[];
  /** OOM kills of this chunk's processes: its cgroup's oom_kill rise, or (without one) the processes the kernel log names; null with neither. */
  chunkOomKills: number | null;
  /** Rise of the machine-wide /proc/vmstat oom_kill counter meanwhile: context only (any process counts), never proof. */
  machineOomKillDelta: number | null;
}

/** How --isolation was asked for and what was used, and why when they differ. */
export interface IsolationReport {
  requested: 'watchdog' | 'cgroup';
  /** watchdog: run-chunks' sampling; cgroup: a kernel memory limit on the chunk's own cgroup. */
  used: 'watchdog' | 'cgroup';
  reason: string | null;
}

/** A chunk's GPU memory in report.json (null when GPU sampling was off). */
export interface ChunkGpuReport {
  peakBytes: number;
  /** 'process': summed over the chunk's PIDs; 'device-delta': growth of device memory (PIDs not visible). */
  attribution: GpuAttribution | null;
  limitBytes: number | null;
  devices: { index: number; uuid: string; peakUsedBytes: number | null; totalBytes: number | null }[];
}

/** One run of a chunk's process: the first, or a recovery attempt after an OOM. */
export interface AttemptReport {
  attempt: number;
  /** initial: the chunk as configured; blamed-alone: the blamed test in its own process; not-run: what never ran. */
  kind: 'initial' | 'blamed-alone' | 'not-run';
  /** When this attempt's process was started. */
  startedAt: string;
  status: ChunkStatus;
  message: string;
  exitCode: number | null;
  signal: string | null;
  workers: number;
  durationMs: number;
  tests: TestCounts | null;
  /** This attempt's own sampled peaks (the chunk's memory summary covers every attempt); null when not sampled. */
  peakRssBytes: number | null;
  peakPssBytes: number | null;
  logFile: string;
}

/** One chunk's result in report.json. */
export interface ChunkReport {
  name: string;
  description: string | null;
  status: ChunkStatus;
  /** One sentence on why the chunk ended this way. */
  message: string;
  required: boolean;
  allowEmpty: boolean;
  runner: RunnerKind;
  exitCode: number | null;
  signal: string | null;
  /** The argv that ran, with the values of secret-looking options masked (`***`). */
  command: string[];
  /** The same argv, shell-quoted for copy and paste. */
  commandLine: string;
  cwd: string;
  /** Variables run-chunks added to the inherited environment. */
  env: Record<string, string>;
  workers: number;
  /** Why this many workers, when run-chunks chose them (workers: "auto"); null otherwise. */
  workersReason: string | null;
  timeoutMs: number | null;
  pid: number | null;
  startedAt: string | null;
  durationMs: number;
  logFile: string;
  junitFile: string | null;
  /**
   * Test counts over every attempt: from the plugin's event stream (which survives any kill), or
   * from the JUnit file where there is no stream; null when neither exists.
   */
  tests: TestCounts | null;
  testsSource: 'events' | 'junit' | null;
  /** Tests collected but never started (the chunk died first and no recovery ran them); null when unknown. */
  notRun: number | null;
  /** The tests running when the chunk was killed, or in an xdist worker that crashed. */
  blamedTests: BlamedTest[];
  /** The tests that kept the most memory (RSS at their end minus at their start, largest first). */
  topRetainedTests: TopRetainedTest[];
  /** The tests whose process needed the most memory while they ran (highest peak first). */
  topPeakTests: TopPeakTest[];
  /** Every run of the chunk's process, the first included. */
  attempts: AttemptReport[];
  /** Set when this run was one shard of the chunk (--shard I/N). */
  shard: { index: number; count: number; tests: number; collected: number } | null;
  /** Rise of the machine-wide oom_kill counter while the chunk ran (context, not evidence); null when not readable. */
  oomKillDelta: number | null;
  /** The kernel's evidence for how the first attempt ended; null when the chunk never started. */
  evidence: ChunkEvidence | null;
  /** How limits were enforced: run-chunks' sampling watchdog, or a kernel limit on the chunk's own cgroup. */
  isolation: 'watchdog' | 'cgroup' | null;
  /** What --isolation asked for, what was used, and why they differ; null when the chunk never started. */
  isolationDecision: IsolationReport | null;
  /** Null when the chunk never started. */
  memory: ChunkMemoryReport | null;
  gpu: ChunkGpuReport | null;
  /** Things the user should know about this chunk (low memory at start, an unavailable isolation). */
  warnings: string[];
  /**
   * Set when `merge` combined this entry from the shards of one --shard split: each shard's own
   * figures, as its machine recorded them. The entry's startedAt (earliest), durationMs (longest)
   * and memory (highest) are combined from these; null for a chunk that ran as one piece.
   */
  mergedShards: MergedShardReport[] | null;
  /** `"dist": "memory"`: which scheduler ran and what it did (in the first attempt); null for other modes. */
  memorySchedule: MemoryScheduleReport | null;
}

/** One shard of a combined chunk entry, with its own figures. */
export interface MergedShardReport {
  index: number;
  count: number;
  status: ChunkStatus;
  message: string;
  startedAt: string | null;
  durationMs: number;
  peakRssBytes: number | null;
  /** Its output.log as its machine wrote the path; its samples.jsonl is beside it. */
  logFile: string;
}

/** The whole run in report.json. */
export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'run-chunks'; version: string };
  runId: string;
  status: RunStatus;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The signal that interrupted the run, or null. */
  interruptedBy: string | null;
  configFile: string;
  reportDir: string;
  /** --parallel-chunks (1 with --memory-budget, which schedules by memory instead: see schedule); a merge: the sum over its runs. */
  parallelChunks: number;
  /** The most chunks that really ran at the same time (from their start times and durations); null in a merged report (separate machines). */
  maxConcurrentChunks: number | null;
  /** The --memory-budget schedule this run used; null without --memory-budget. */
  schedule: RunScheduleReport | null;
  /** --fail-on-leak: a required chunk with a 'leak' verdict fails the run. */
  failOnLeak: boolean;
  /** Whether GPU memory was sampled, and why not when it was not. */
  gpuSampling: { requested: 'auto' | 'on' | 'off'; active: boolean; reason: string | null };
  /** run-chunks' own cost (its process alone, not the chunks); null in a merged report. */
  orchestrator: OrchestratorUsage | null;
  chunks: ChunkReport[];
}

/** A --memory-budget run's schedule in report.json. */
export interface RunScheduleReport {
  budgetBytes: number;
  cores: number;
  /**
   * Which chunks the schedule ran one after another although none had to run alone, and why
   * ("a and b run one after another: each uses both cores (its xdist workers)."); null when none.
   */
  oneAfterAnother: string | null;
  /** Every chunk in report order, with its forecast and the chunks whose runs overlapped its own. */
  chunks: {
    name: string;
    forecastPeakBytes: number | null;
    forecastDurationMs: number | null;
    forecastSource: 'history' | 'memoryEstimate' | 'memoryLimit' | 'none';
    /** Why the scheduler ran it alone (no forecast, over the budget, too many workers); null otherwise. */
    runsAloneBecause: string | null;
    ranAlongside: string[];
  }[];
}

/** What the run-chunks process itself used while the run went on (getrusage of itself). */
export interface OrchestratorUsage {
  /** Its peak resident set (ru_maxrss). */
  peakRssBytes: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}

/**
 * report.json from the start of a run (or a merge) until its end, when the finished RunReport
 * replaces it: a report dir always says whether its run finished. See src/lifecycle/.
 */
export interface RunInProgressReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'run-chunks'; version: string };
  runId: string;
  status: 'running';
  /** 'run': chunks are running; 'merge': `run-chunks merge` is writing a merged report. */
  kind: 'run' | 'merge';
  startedAt: string;
  configFile: string | null;
  reportDir: string;
  /** The run-chunks process that wrote this, to tell whether it is still alive. */
  process: ProcessIdentity;
  /** The chunks this run set out to run (a merge: none), enough to stand in for them in a merge. */
  plannedChunks: PlannedChunk[];
}

/** A chunk an unfinished run set out to run. */
export interface PlannedChunk {
  name: string;
  description: string | null;
  required: boolean;
  runner: RunnerKind;
  workers: number;
}

/** What report.json may hold: a finished run, or one still in progress (or that never finished). */
export type ReportFile = RunReport | RunInProgressReport;
