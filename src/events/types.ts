import type { ChunkPlan } from '../plan/types.js';
import type { TestProgress } from '../results/chunk-test-state.js';
import type { ChunkReport, RunReport } from '../results/report-types.js';
import type { TestRecord } from '../results/test-records.js';

// What happened during a run, in the past tense. The runner only emits these; reporters only
// consume them. Monitoring and per-test results will arrive as further event kinds.

export interface RunStartedEvent {
  type: 'run-started';
  runId: string;
  startedAt: Date;
  plans: ChunkPlan[];
  parallelChunks: number;
  /** --memory-budget: chunks run together while their forecast peaks fit this (parallelChunks is then 1). */
  memoryBudgetBytes?: number;
  reportDir: string;
}

export interface ChunkStartedEvent {
  type: 'chunk-started';
  plan: ChunkPlan;
  pid: number | undefined;
  startedAt: Date;
}

export interface ChunkOutputEvent {
  type: 'chunk-output';
  chunk: string;
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export interface ChunkFinishedEvent {
  type: 'chunk-finished';
  plan: ChunkPlan;
  result: ChunkReport;
  /** Every test's result, from every attempt (empty without the event plugin). */
  records: readonly TestRecord[];
}

/** A chunk's test progress changed (from the plugin's event stream). */
export interface ChunkProgressEvent {
  type: 'chunk-progress';
  chunk: string;
  /** 1 for the first run, 2+ for recovery attempts. */
  attempt: number;
  progress: TestProgress;
}

/** A chunk's memory was sampled. */
export interface ChunkSampleEvent {
  type: 'chunk-sample';
  chunk: string;
  rssBytes: number;
  gpuBytes: number | null;
}

/** A chunk died of an OOM or a memory limit and is being run again, in part. */
export interface ChunkRetryEvent {
  type: 'chunk-retry';
  chunk: string;
  attempt: number;
  /** What this attempt runs: the blamed test alone, or the tests that never ran. */
  kind: 'blamed-alone' | 'not-run';
  tests: number;
  workers: number;
}

export interface RunInterruptedEvent {
  type: 'run-interrupted';
  signal: NodeJS.Signals;
  /** True on the second signal: chunks are SIGKILLed without a grace period. */
  forced: boolean;
  runningChunks: string[];
}

export interface RunNoticeEvent {
  type: 'run-notice';
  level: 'info' | 'warning';
  message: string;
  chunk: string | undefined;
}

export interface RunFinishedEvent {
  type: 'run-finished';
  report: RunReport;
}

/** Every event a run emits. */
export type RunEvent =
  | RunStartedEvent
  | ChunkStartedEvent
  | ChunkOutputEvent
  | ChunkFinishedEvent
  | ChunkProgressEvent
  | ChunkSampleEvent
  | ChunkRetryEvent
  | RunInterruptedEvent
  | RunNoticeEvent
  | RunFinishedEvent;

/** Where the runner sends its events. */
export type EmitEvent = (event: RunEvent) => void;
