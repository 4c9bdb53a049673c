import pLimit from 'p-limit';
import type { EmitEvent } from '../events/types.js';
import type { ChunkPlan } from '../plan/types.js';
import { buildRunReport, buildUnstartedChunkReport } from '../results/build-report.js';
import type { ChunkReport, RunReport } from '../results/report-types.js';
import type { ChunkProcessHandle } from './chunk-process.js';
import { createPreflight } from './preflight.js';
import { runChunk } from './run-chunk.js';

/** Everything a run needs, decided by the CLI. */
export interface RunOptions {
  plans: ChunkPlan[];
  parallelChunks: number;
  runId: string;
  version: string;
  configFile: string;
  reportDir: string;
  emit: EmitEvent;
}

/**
 * One run of a list of chunk plans. It is the single owner of run state: which chunks are
 * running, whether the run was interrupted, and the report built at the end.
 */
export class ChunkRun {
  private readonly running = new Map<string, ChunkProcessHandle>();
  private interruptedBy: NodeJS.Signals | undefined;
  private forced = false;

  constructor(private readonly options: RunOptions) {}

  /** Runs every plan (at most `parallelChunks` at once) and returns the finished report. */
  async execute(): Promise<RunReport> {
    const { plans, parallelChunks, runId, emit } = this.options;
    const startedAt = new Date();
    emit({ type: 'run-started', runId, startedAt, plans, parallelChunks, reportDir: this.options.reportDir });
    const limit = pLimit(parallelChunks);
    const preflight = createPreflight();
    const chunks = await Promise.all(
      plans.map((plan) =>
        limit(async (): Promise<ChunkReport> => {
          const result =
            this.interruptedBy === undefined
              ? await runChunk(plan, {
                  runId,
                  emit,
                  preflight,
                  onProcessStarted: (started, handle) => this.trackStarted(started, handle),
                  onProcessEnded: (ended) => this.running.delete(ended.name),
                })
              : buildUnstartedChunkReport(plan, { status: 'skipped', message: 'not started: the run was interrupted' });
          emit({ type: 'chunk-finished', plan, result });
          return result;
        }),
      ),
    );
    const report = buildRunReport(
      {
        runId,
        version: this.options.version,
        startedAt,
        finishedAt: new Date(),
        interruptedBy: this.interruptedBy,
        configFile: this.options.configFile,
        reportDir: this.options.reportDir,
        parallelChunks,
      },
      chunks,
    );
    emit({ type: 'run-finished', report });
    return report;
  }

  /**
   * Stops the run: the first call stops running chunks in steps (SIGTERM, grace, SIGKILL) and
   * starts no more; a second call SIGKILLs them at once.
   */
  interrupt(signal: NodeJS.Signals): void {
    const forced = this.interruptedBy !== undefined;
    this.interruptedBy ??= signal;
    if (forced) this.forced = true;
    this.options.emit({ type: 'run-interrupted', signal, forced, runningChunks: [...this.running.keys()] });
    for (const handle of this.running.values()) {
      if (forced) handle.killNow('interrupted');
      else handle.terminate('interrupted');
    }
  }

  private trackStarted(plan: ChunkPlan, handle: ChunkProcessHandle): void {
    this.running.set(plan.name, handle);
    // A chunk that got its process just as Ctrl-C arrived is stopped like the others.
    if (this.forced) handle.killNow('interrupted');
    else if (this.interruptedBy !== undefined) handle.terminate('interrupted');
  }
}
