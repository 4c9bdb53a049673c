import pLimit from 'p-limit';
import type { EmitEvent } from '../events/types.js';
import type { ChunkPlan } from '../plan/types.js';
import { buildRunReport, buildUnstartedChunkReport } from '../results/build-report.js';
import type { ChunkReport, OrchestratorUsage, RunReport } from '../results/report-types.js';
import { startGpuMonitor, type GpuMonitor } from '../gpu/gpu-monitor.js';
import type { ChunkProcessHandle } from './chunk-process.js';
import { probeContainment, resolveIsolation, type ContainmentSupport, type IsolationMode } from './cgroup-isolation.js';
import { killMarkedProcesses } from '../proc/marker-sweep.js';
import { createPreflight } from './preflight.js';
import { dispatchByMemory, type MemorySchedule } from './dispatch-by-memory.js';
import { guardRun } from './live-groups.js';
import { runChunk } from './run-chunk.js';
import type { ForecastSource } from '../plan/forecast.js';
import { describeSchedule } from '../results/run-schedule.js';

/** --gpu: sample GPU memory when nvidia-smi is there (auto), always (on), or never (off). */
export type GpuMode = 'auto' | 'on' | 'off';

/** Everything a run needs, decided by the CLI. */
export interface RunOptions {
  plans: ChunkPlan[];
  parallelChunks: number;
  runId: string;
  version: string;
  configFile: string;
  reportDir: string;
  emit: EmitEvent;
  gpuMode: GpuMode;
  /** Path of nvidia-smi, as found on PATH by the CLI; undefined when not found. */
  nvidiaSmi: string | undefined;
  isolation: IsolationMode;
  failOnLeak: boolean;
  /** 'procfs' on Linux; 'pidusage' where /proc is absent (or forced, to test that path). */
  sampler: 'procfs' | 'pidusage';
  /** --memory-budget: run chunks together while their forecast peaks fit; undefined: parallelChunks at once. */
  schedule: MemorySchedule | undefined;
  /** Where each chunk's forecast in `schedule` came from, for the report. */
  scheduleSources?: ReadonlyMap<string, ForecastSource>;
}

/**
 * One run of a list of chunk plans. It is the single owner of run state: which chunks are
 * running, whether the run was interrupted, and the report built at the end.
 */
export class ChunkRun {
  private readonly running = new Map<string, ChunkProcessHandle>();
  private interruptedBy: NodeJS.Signals | undefined;
  private forced = false;
  // Aborted by the first interrupt: stops an interpreter probe that is still running.
  private readonly probes = new AbortController();

  constructor(private readonly options: RunOptions) {}

  /** Runs every plan (at most `parallelChunks` at once) and returns the finished report. */
  async execute(): Promise<RunReport> {
    const { plans, parallelChunks, runId, emit } = this.options;
    const startedAt = new Date();
    emit({ type: 'run-started', runId, startedAt, plans, parallelChunks, memoryBudgetBytes: this.options.schedule?.limits.budgetBytes, reportDir: this.options.reportDir });
    guardRun(runId);
    const limit = pLimit(parallelChunks);
    const preflight = createPreflight(this.probes.signal);
    const containment = await this.probeContainment();
    const isolation = resolveIsolation(this.options.isolation, containment);
    if (isolation.reason !== null) this.notice('warning', `--isolation cgroup: ${isolation.reason}.`);
    const gpu = this.startGpu();
    const runOne = async (plan: ChunkPlan): Promise<ChunkReport> => {
      const context = {
        runId,
        emit,
        preflight,
        onProcessStarted: (started: ChunkPlan, handle: ChunkProcessHandle) => this.trackStarted(started, handle),
        onProcessEnded: (ended: ChunkPlan) => this.running.delete(ended.name),
        gpu: gpu.monitor,
        isolation: { requested: this.options.isolation, ...isolation },
        containment,
        useProcFs: this.options.sampler === 'procfs',
        mayStartMore: () => this.interruptedBy === undefined,
      };
      const { report: result, records } =
        this.interruptedBy === undefined
          ? // One chunk's unexpected failure (its report folder unwritable, say) must not cost the others.
            await runChunk(plan, context).catch((error: unknown) => ({
              report: buildUnstartedChunkReport(plan, {
                status: 'error',
                message: `run-chunks could not run this chunk: ${error instanceof Error ? error.message : String(error)}`,
              }),
              records: [],
            }))
          : { report: buildUnstartedChunkReport(plan, { status: 'skipped', message: 'not started: the run was interrupted' }), records: [] };
      emit({ type: 'chunk-finished', plan, result, records });
      return result;
    };
    const schedule = this.options.schedule;
    const chunks = schedule
      ? await dispatchByMemory(plans, runOne, {
          ...schedule,
          isInterrupted: () => this.interruptedBy !== undefined,
          notice: (message) => this.notice('info', message),
        })
      : await Promise.all(plans.map((plan) => limit(() => runOne(plan))));
    await this.sweepRun();
    const gpuOffReason = gpu.monitor?.offReason;
    await gpu.monitor?.stop();
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
        failOnLeak: this.options.failOnLeak,
        gpuSampling: {
          requested: this.options.gpuMode,
          active: gpu.monitor !== undefined && gpuOffReason === undefined,
          reason: gpuOffReason ?? gpu.reason,
        },
        orchestrator: measureOwnUsage(),
        schedule: schedule ? describeSchedule(schedule.limits, schedule.items, this.options.scheduleSources ?? new Map(), chunks) : undefined,
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
    this.probes.abort();
    this.options.emit({ type: 'run-interrupted', signal, forced, runningChunks: [...this.running.keys()] });
    for (const handle of this.running.values()) {
      if (forced) handle.killNow('interrupted');
      else handle.terminate('interrupted');
    }
  }

  private notice(level: 'info' | 'warning', message: string): void {
    this.options.emit({ type: 'run-notice', level, message, chunk: undefined });
  }

  /** Whether chunk cgroups can be made here; where not, said once (each chunk's report says it too). */
  private async probeContainment(): Promise<ContainmentSupport> {
    const support = await probeContainment(this.options.runId);
    if (support.cgroupReason !== null)
      this.notice(
        'info',
        `no cgroup can be created here (${support.cgroupReason}): chunks are contained by their process group, ${support.python3 === undefined && this.options.plans.some((plan) => plan.python === undefined) ? 'environment markers' : 'the launcher (child subreaper) and environment markers'}, and a SIGKILL cannot be told to be an OOM kill (it reads as killed).`,
      );
    return support;
  }

  /**
   * Kills what still carries the run's id, whichever chunk marker it has or lacks: a process
   * that dropped RUN_CHUNKS_CHUNK but kept the run id. Chunks are done by now, so nothing of a
   * running chunk can be hit.
   */
  private async sweepRun(): Promise<void> {
    const killed = await killMarkedProcesses({ RUN_CHUNKS_RUN_ID: this.options.runId });
    if (killed.length === 0) return;
    const shown = killed.slice(0, 3).map((marked) => `pid ${marked.pid} \`${marked.command.slice(0, 80)}\``);
    const more = killed.length > shown.length ? ` and ${killed.length - shown.length} more` : '';
    this.notice('warning', `${killed.length} process${killed.length === 1 ? '' : 'es'} of this run outlived their chunk (carrying its run id but not its chunk marker); killed: ${shown.join(', ')}${more}.`);
  }

  private startGpu(): { monitor: GpuMonitor | undefined; reason: string | null } {
    const { gpuMode, nvidiaSmi, plans } = this.options;
    if (gpuMode === 'off') return { monitor: undefined, reason: 'turned off with --gpu off' };
    if (nvidiaSmi === undefined) {
      const reason = 'nvidia-smi is not on PATH';
      if (plans.some((plan) => plan.gpuMemoryLimit !== undefined)) this.notice('info', `GPU sampling is off: ${reason}.`);
      return { monitor: undefined, reason };
    }
    const intervalMs = Math.min(...plans.map((plan) => plan.sampleIntervalMs));
    const monitor = startGpuMonitor({ nvidiaSmi, intervalMs, onNotice: (level, message) => this.notice(level, message) });
    return { monitor, reason: null };
  }

  private trackStarted(plan: ChunkPlan, handle: ChunkProcessHandle): void {
    this.running.set(plan.name, handle);
    // A chunk that got its process just as Ctrl-C arrived is stopped like the others.
    if (this.forced) handle.killNow('interrupted');
    else if (this.interruptedBy !== undefined) handle.terminate('interrupted');
  }
}

/** run-chunks' own peak memory and CPU so far (the chunks are other processes and not counted). */
function measureOwnUsage(): OrchestratorUsage {
  const usage = process.resourceUsage();
  return { peakRssBytes: usage.maxRSS * 1024, cpuUserMs: Math.round(usage.userCPUTime / 1000), cpuSystemMs: Math.round(usage.systemCPUTime / 1000) };
}
