import type { ChunkPlan } from '../plan/types.js';
import type { ChunkReport, RunReport } from '../results/report-types.js';

// What happened during a run, in the past tense. The runner only emits these; reporters only
// consume them. Monitoring and per-test results will arrive as further event kinds.

export interface RunStartedEvent {
  type: 'run-started';
  runId: string;
  startedAt: Date;
  plans: ChunkPlan[];
  parallelChunks: number;
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
  | RunInterruptedEvent
  | RunNoticeEvent
  | RunFinishedEvent;

/** Where the runner sends its events. */
export type EmitEvent = (event: RunEvent) => void;
