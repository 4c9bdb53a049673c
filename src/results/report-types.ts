import type { RunnerKind } from '../config/types.js';
import type { ChunkStatus, RunStatus } from './outcome.js';
import type { TestCounts } from './parse-junit.js';

// The shape of report.json. schema/report.schema.json documents it and a test checks real
// reports against that schema, so the two cannot drift apart silently.

/** Bumped on any incompatible change to the report's shape. */
export const REPORT_SCHEMA_VERSION = 1;

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
  /** The exact argv that ran. */
  command: string[];
  /** The same argv, shell-quoted for copy and paste. */
  commandLine: string;
  cwd: string;
  /** Variables run-chunks added to the inherited environment. */
  env: Record<string, string>;
  workers: number;
  timeoutMs: number | null;
  pid: number | null;
  startedAt: string | null;
  durationMs: number;
  logFile: string;
  junitFile: string | null;
  /** From the chunk's JUnit file; null when it wrote none (killed before the end, say). */
  tests: TestCounts | null;
  /** Rise of the kernel's oom_kill counter while the chunk ran; null when not readable. */
  oomKillDelta: number | null;
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
  chunks: ChunkReport[];
}
