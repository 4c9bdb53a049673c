import type {
  ChunkFinishedEvent,
  ChunkOutputEvent,
  ChunkProgressEvent,
  ChunkRetryEvent,
  ChunkSampleEvent,
  ChunkStartedEvent,
  RunEvent,
  RunFinishedEvent,
  RunInterruptedEvent,
  RunNoticeEvent,
  RunStartedEvent,
} from '../events/types.js';

/** A consumer of run events. Every method is optional; a reporter never computes run state. */
export interface Reporter {
  readonly name: string;
  onRunStarted?(event: RunStartedEvent): void;
  onChunkStarted?(event: ChunkStartedEvent): void;
  onChunkOutput?(event: ChunkOutputEvent): void;
  onChunkFinished?(event: ChunkFinishedEvent): void;
  onChunkProgress?(event: ChunkProgressEvent): void;
  onChunkSample?(event: ChunkSampleEvent): void;
  onChunkRetry?(event: ChunkRetryEvent): void;
  onRunInterrupted?(event: RunInterruptedEvent): void;
  onNotice?(event: RunNoticeEvent): void;
  /** May be async (writing files); the run waits for it before exiting. */
  onRunFinished?(event: RunFinishedEvent): void | Promise<void>;
}

/** The reporter method each event type is delivered to. */
export const EVENT_HANDLERS = {
  'run-started': 'onRunStarted',
  'chunk-started': 'onChunkStarted',
  'chunk-output': 'onChunkOutput',
  'chunk-finished': 'onChunkFinished',
  'chunk-progress': 'onChunkProgress',
  'chunk-sample': 'onChunkSample',
  'chunk-retry': 'onChunkRetry',
  'run-interrupted': 'onRunInterrupted',
  'run-notice': 'onNotice',
  'run-finished': 'onRunFinished',
} as const satisfies Record<RunEvent['type'], keyof Reporter>;
