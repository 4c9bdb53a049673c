import type { RunnerKind } from '../config/types.js';
import type { GpuAttribution } from '../monitor/attribute-gpu.js';
import type { MemorySummary } from '../monitor/summarize-memory.js';
import type { ChunkStatus, RunStatus } from './outcome.js';
import type { TestCounts } from './parse-junit.js';
import type { BlamedTest, TopMemoryTest } from './test-records.js';

// The shape of report.json. schema/report.schema.json documents it and a test checks real
// reports against that schema, so the two cannot drift apart silently.

/** Bumped on any incompatible change to the report's shape. */
export const REPORT_SCHEMA_VERSION = 1;

/** A chunk's memory in report.json: the sampled summary plus the limit it ran under. */
export interface ChunkMemoryReport extends MemorySummary {
  /** The memoryLimit in bytes (a percentage resolved against the machine), or null. */
  limitBytes: number | null;
  /** Memory available to the machine (or its cgroup) when the chunk started. */
  availableAtStartBytes: number | null;
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
  /** The tests whose memory grew most (largest first). */
  topMemoryTests: TopMemoryTest[];
  /** Every run of the chunk's process, the first included. */
  attempts: AttemptReport[];
  /** Set when this run was one shard of the chunk (--shard I/N). */
  shard: { index: number; count: number; tests: number; collected: number } | null;
  /** Rise of the kernel's oom_kill counter while the chunk ran; null when not readable. */
  oomKillDelta: number | null;
  /** How limits were enforced: run-chunks' sampling watchdog, or a kernel cgroup limit. */
  isolation: 'watchdog' | 'cgroup' | null;
  /** Null when the chunk never started. */
  memory: ChunkMemoryReport | null;
  gpu: ChunkGpuReport | null;
  /** Things the user should know about this chunk (low memory at start, an unavailable isolation). */
  warnings: string[];
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
  parallelChunks: number;
  /** --fail-on-leak: a required chunk with a 'leak' verdict fails the run. */
  failOnLeak: boolean;
  /** Whether GPU memory was sampled, and why not when it was not. */
  gpuSampling: { requested: 'auto' | 'on' | 'off'; active: boolean; reason: string | null };
  /** run-chunks' own cost (its process alone, not the chunks); null in a merged report. */
  orchestrator: OrchestratorUsage | null;
  chunks: ChunkReport[];
}

/** What the run-chunks process itself used while the run went on (getrusage of itself). */
export interface OrchestratorUsage {
  /** Its peak resident set (ru_maxrss). */
  peakRssBytes: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}
