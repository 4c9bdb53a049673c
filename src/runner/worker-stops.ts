// `"dist": "memory"`: when a chunk crosses its memoryLimit anyway (a test grew past its forecast),
// run-chunks stops the one xdist worker whose running test grew the most, not the chunk: xdist
// replaces the worker, the chunk goes on, and the test runs again alone in recovery (a test whose
// process died under it). The chunk is stopped only when that did not bring it under the limit.
import { formatBytes } from '../config/parse-size.js';
import type { ChunkTestState } from '../results/chunk-test-state.js';

/** How long a stopped worker may still show in the samples before its stop counts as not enough. */
export const WORKER_STOP_WAIT_MS = 2_000;

/** What to do at a sample over the limit. */
export type WorkerStopDecision =
  /** A worker was stopped just now (`text` says which and why). */
  | { kind: 'stopped'; text: string }
  /** A stopped worker is still going away: look again at the next sample. */
  | { kind: 'wait' }
  /** The worker stopped earlier is gone and the chunk is still over: stop the chunk. */
  | { kind: 'not-enough'; text: string }
  /** No running test's process grew enough to be evidence against it: stop the chunk. */
  | { kind: 'none' };

/** Sends the signal; a process already gone is fine (it was on its way out). */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // ESRCH: gone already.
  }
}

/** The worker stops of one attempt: at most one in flight, a new one only after the chunk was back under its limit. */
export class WorkerStops {
  private pending: { pid: number; text: string; atMs: number } | undefined;
  /** The tests whose worker was stopped in this attempt, in order. */
  readonly stoppedTests: string[] = [];

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly kill: (pid: number) => void = killQuietly,
  ) {}

  /** A sample over the limit: stop a worker, wait for the one stopped, or give up on stopping workers. */
  decide(observedBytes: number, rssByPid: ReadonlyMap<number, number>, tests: ChunkTestState): WorkerStopDecision {
    if (this.pending) {
      if (rssByPid.has(this.pending.pid) && this.now() - this.pending.atMs < WORKER_STOP_WAIT_MS) return { kind: 'wait' };
      return { kind: 'not-enough', text: this.pending.text };
    }
    const target = tests.workerToStop(rssByPid);
    if (target === undefined) return { kind: 'none' };
    const text = `xdist worker ${target.worker} (pid ${target.pid}), running ${target.nodeid}`;
    const evidence = `run-chunks stopped its ${text.replace(`, running ${target.nodeid}`, '')} when the chunk's memory reached ${formatBytes(observedBytes)}, over its memoryLimit: this test's process had grown ${formatBytes(target.growthBytes)} since it started, the most of the tests running`;
    tests.noteWorkerStopped(target.worker, { evidence, growthBytes: target.growthBytes, chunkRssBytes: observedBytes });
    this.kill(target.pid);
    this.pending = { pid: target.pid, text, atMs: this.now() };
    this.stoppedTests.push(target.nodeid);
    return { kind: 'stopped', text: `stopped ${text} (its process grew ${formatBytes(target.growthBytes)}); the chunk goes on, and the test runs again alone at the end` };
  }

  /** Every sample: back under the limit, the stop did its work, and a later crossing may stop another worker. */
  sampled(memoryBytes: number, limitBytes: number): void {
    if (this.pending && memoryBytes <= limitBytes) this.pending = undefined;
  }
}
