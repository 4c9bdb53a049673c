import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseSizeSpec, resolveSizeBytes } from '../config/parse-size.js';
import { chooseWorkers } from '../plan/choose-workers.js';
import { chunkTestForecasts } from '../plan/memory-plan.js';
import { readMachineMemory } from '../proc/machine-memory.js';
import { loadConfig } from '../config/load-config.js';
import type { LoadedConfig } from '../config/types.js';
import { findOnPath } from '../gpu/gpu-monitor.js';
import { mergeChunkDefaults } from '../plan/create-plans.js';
import { GithubAnnotationsReporter } from '../ci/github-annotations-reporter.js';
import { GithubSummaryReporter } from '../ci/github-summary-reporter.js';
import { readHistory } from '../history/history-file.js';
import type { History } from '../history/history-types.js';
import { beginRun } from '../lifecycle/run-lifecycle.js';
import type { ChunkPlan } from '../plan/types.js';
import { HistoryReporter } from '../history/history-reporter.js';
import { chunkStats, testDurations } from '../history/history-stats.js';
import { HTML_REPORT_FILE_NAME, HtmlReporter } from '../html/html-reporter.js';
import { writeJsonReport } from '../reporters/json-reporter.js';
import { ReportWriteError } from '../reporters/write-report-file.js';
import type { Reporter } from '../reporters/reporter.js';
import { JunitReporter } from '../reporters/junit-reporter.js';
import { createReporterMultiplexer } from '../reporters/multiplexer.js';
import { NAMED_REPORT_FILES, TerminalReporter } from '../reporters/terminal-reporter.js';
import { hasProcFs } from '../proc/read-proc-stat.js';
import { EXIT_CODES } from '../results/outcome.js';
import { ChunkRun } from '../runner/run-chunks.js';
import { guardRun } from '../runner/live-groups.js';
import { UserError } from '../util/user-error.js';
import { applyShard } from '../runner/apply-shard.js';
import { buildSchedule, formatSchedule, type BuiltSchedule } from './build-schedule.js';
import { applyRest, describeRest } from './collect-coverage.js';
import { withCollectProgress } from './collect-progress.js';
import { exitProcess } from './exit.js';
import { runInterruptibly } from './interruptible.js';
import { collectLimitsOf } from '../plan/collect-limits.js';
import { planChunks } from './plan-chunks.js';
import { catchFileSizeLimit, checkReportDir, describeLostReport, exitCodeWithLostReport } from './report-dir.js';
import { assertReportDirApart } from './report-dir-guard.js';
import { makeFolderOf } from './own-folder.js';
import { parseSubcommand, runSubcommand } from './subcommands.js';
import { parseArgs, type CliOptions } from './parse-args.js';
import { routeArgs } from './route-args.js';
import { formatChunkList, formatDryRun } from './print-plans.js';
import { watchSignals } from './signal-watcher.js';
import { terminalColumns } from './terminal-columns.js';
import { readVersion } from './version.js';

const warnStderr = (message: string): void => void process.stderr.write(`run-chunks: warning: ${message}\n`);

/** On GitHub Actions: a job summary (GITHUB_STEP_SUMMARY) and ::error annotations. */
function ciReporters(): Reporter[] {
  const reporters: Reporter[] = [];
  if (process.env.GITHUB_STEP_SUMMARY) reporters.push(new GithubSummaryReporter(process.env.GITHUB_STEP_SUMMARY));
  // After the terminal reporter: GitHub reads workflow commands only at the start of a line.
  if (process.env.GITHUB_ACTIONS === 'true') reporters.push(new GithubAnnotationsReporter((text) => process.stdout.write(text)));
  return reporters;
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
function wantsColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

async function runCommand(options: CliOptions, argv: readonly string[], version: string): Promise<number> {
  const cwd = process.cwd();
  const loaded = await loadConfig(options.config, cwd);
  if (options.list) {
    const chunks = loaded.config.chunks.map((chunk) => mergeChunkDefaults(loaded.config.defaults, chunk));
    process.stdout.write(formatChunkList(chunks, loaded.configPath, cwd));
    return EXIT_CODES.passed;
  }
  const reportDir = path.resolve(cwd, options.reportDir);
  assertReportDirApart(reportDir, options.reportDir, loaded, cwd);
  const historyFile = path.resolve(cwd, options.historyFile);
  const history = await readHistory(historyFile, warnStderr);
  const plans = planChunks(loaded, options, reportDir, (name) => {
    const machine = readMachineMemory();
    const budget = options.memoryBudget === undefined ? undefined : parseSizeSpec(options.memoryBudget);
    const memoryBytes = budget ? resolveSizeBytes(budget, machine.totalBytes) : machine.availableBytes;
    return chooseWorkers(chunkStats(history, name)?.peakPerWorkerBytes, memoryBytes, os.availableParallelism());
  }).map((plan) => (plan.pytest?.dist === 'memory' ? { ...plan, testForecasts: chunkTestForecasts(history, plan.name) } : plan));
  if (options.shard && plans.length !== 1)
    throw new UserError(`--shard splits one chunk across machines: select exactly one with --chunk (${plans.length} selected).`);
  const schedule =
    options.memoryBudget === undefined
      ? undefined
      : buildSchedule(options.memoryBudget, plans, (name) => {
          const stats = chunkStats(history, name);
          return stats ? { p95PeakBytes: stats.p95PeakBytes, p95DurationMs: stats.p95DurationMs, peakPerWorkerBytes: stats.peakPerWorkerBytes, peakWorkerCounts: stats.peakWorkerCounts } : undefined;
        });
  if (options.dryRun) {
    const allPlans = plans.some((plan) => plan.rest) ? planChunks(loaded, { ...options, chunks: [] }, reportDir) : plans;
    process.stdout.write(formatDryRun(plans, options.parallelChunks, schedule?.limits.budgetBytes, reportDir, cwd, (rest) => describeRest(rest, allPlans)));
    if (schedule) process.stdout.write(formatSchedule(schedule));
    return EXIT_CODES.passed;
  }
  const nvidiaSmi = options.gpu === 'off' ? undefined : findOnPath('nvidia-smi', process.env.PATH);
  if (options.gpu === 'on' && nvidiaSmi === undefined)
    throw new UserError('--gpu on needs nvidia-smi, but it is not on PATH. Install the NVIDIA driver utilities, add their folder to PATH, or use --gpu auto.');
  catchFileSizeLimit();
  checkReportDir(reportDir);
  if (!options.shard) makeFolderOf(historyFile);
  const runId = randomUUID();
  // From here on the report dir is this run's: locked, then marked as holding a run in progress.
  const held = beginRun({
    kind: 'run',
    reportDir,
    // A shard's run writes no history (see below), so it does not lock it either.
    historyFile: options.shard ? undefined : historyFile,
    argv,
    runId,
    version,
    configFile: loaded.configPath,
    plannedChunks: plans.map((plan) => ({ name: plan.name, description: plan.description ?? null, required: plan.required, runner: plan.runner, workers: plan.workers })),
    notice: (message) => void process.stderr.write(`run-chunks: notice: ${message}\n`),
  });
  try {
    return await runHeld({ options, version, cwd, loaded, history, historyFile, reportDir, plans, schedule, nvidiaSmi, runId, markInProgress: held.markInProgress, restorePrevious: held.restorePrevious });
  } finally {
    held.release();
  }
}

/** What runCommand hands to the part of the run that holds the report dir. */
interface HeldRunInput {
  options: CliOptions;
  version: string;
  cwd: string;
  loaded: LoadedConfig;
  history: History;
  historyFile: string;
  reportDir: string;
  plans: ChunkPlan[];
  schedule: BuiltSchedule | undefined;
  nvidiaSmi: string | undefined;
  runId: string;
  markInProgress: () => Promise<void>;
  restorePrevious: () => Promise<void>;
}

/** Collects what --shard and a rest chunk need, runs the chunks, and writes the report set, report.json last. */
async function runHeld({ options, version, cwd, loaded, history, historyFile, reportDir, plans, schedule, nvidiaSmi, runId, markInProgress, restorePrevious }: HeldRunInput): Promise<number> {
  const restIndex = plans.findIndex((plan) => plan.rest);
  // Marked before the collection, which can take minutes: a run killed during it leaves "running",
  // and the watchdog stops the collection's pytest should run-chunks be SIGKILLed.
  await markInProgress();
  guardRun(runId);
  try {
    await runInterruptibly(async (signal) => {
      const limits = collectLimitsOf(loaded.config, signal);
      if (restIndex >= 0) {
        const allPlans = planChunks(loaded, { ...options, chunks: [] }, reportDir);
        plans[restIndex] = await applyRest(allPlans, plans[restIndex]!, reportDir, limits, (message) => void process.stderr.write(`run-chunks: notice: ${message}\n`));
      }
      if (options.shard) {
        const shard = options.shard;
        plans[0] = await withCollectProgress(() => applyShard(plans[0]!, shard, testDurations(history, plans[0]!.name), reportDir, limits));
      }
    });
  } catch (error) {
    // No chunk started (a collection refused the run, or Ctrl-C): the earlier report stands as it was.
    await restorePrevious().catch((restoreError: unknown) =>
      warnStderr(`could not put the earlier report back in ${reportDir} (${restoreError instanceof Error ? restoreError.message : String(restoreError)}); it is in ${path.join(reportDir, '.previous')}.`),
    );
    throw error;
  }

  const reporterFailures: string[] = [];
  let htmlFailed = false;
  const lostReportFiles: ReportWriteError[] = [];
  const terminal = new TerminalReporter({
    stdout: process.stdout,
    stderr: process.stderr,
    color: wantsColor(process.stdout),
    cwd,
    live: process.stdout.isTTY === true,
    progressIntervalMs: options.progressIntervalMs,
    columns: terminalColumns(),
    deferRunLine: true,
  });
  const multiplexer = createReporterMultiplexer(
    [
      terminal,
      new JunitReporter(),
      new HtmlReporter(),
      // A shard's run is not recorded: the next shard must split with the same history as this one
      // did (every machine of a matrix computes the same split); `run-chunks merge` records them.
      ...(options.shard ? [] : [new HistoryReporter({ file: historyFile, warn: warnStderr })]),
      ...ciReporters(),
    ],
    (reporter, error) => {
      // A report file that was not written fails the run (see report-dir.ts), unlike the others.
      if (error instanceof ReportWriteError) {
        lostReportFiles.push(error);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      reporterFailures.push(`the ${reporter.name} reporter failed: ${message}`);
      if (reporter.name === 'html') htmlFailed = true;
    },
  );
  const run = new ChunkRun({
    plans,
    parallelChunks: options.parallelChunks,
    runId,
    version,
    configFile: loaded.configPath,
    reportDir,
    emit: (event) => multiplexer.emit(event),
    gpuMode: options.gpu,
    nvidiaSmi,
    isolation: options.isolation,
    failOnLeak: options.failOnLeak,
    // RUN_CHUNKS_SAMPLER=pidusage exercises the macOS path on Linux (tests, debugging).
    sampler: hasProcFs() && process.env.RUN_CHUNKS_SAMPLER !== 'pidusage' ? 'procfs' : 'pidusage',
    schedule,
    scheduleSources: schedule?.sources,
  });
  const stopWatching = watchSignals((signal) => run.interrupt(signal));
  try {
    const report = await run.execute();
    await multiplexer.flush();
    // report.json last: once it holds the finished report, the rest of the set is there too.
    await writeJsonReport(report).catch((error: unknown) => {
      if (error instanceof ReportWriteError) lostReportFiles.push(error);
      else throw error;
    });
    const lost = new Set(lostReportFiles.map((error) => path.basename(error.file)));
    if (htmlFailed) lost.add(HTML_REPORT_FILE_NAME);
    terminal.printRunLine(report, NAMED_REPORT_FILES.filter((file) => !lost.has(file)));
    for (const failure of reporterFailures) process.stderr.write(`run-chunks: warning: ${failure}\n`);
    if (lostReportFiles.length === 0) return report.exitCode;
    process.stderr.write(`run-chunks: error: ${describeLostReport(lostReportFiles, report)}\n`);
    return exitCodeWithLostReport(report.exitCode);
  } finally {
    stopWatching();
  }
}

/** Entry point: parses arguments, runs, and exits through one door with a documented code. */
export async function main(argv: readonly string[]): Promise<never> {
  const version = readVersion();
  try {
    const route = routeArgs(argv, version);
    if (route.kind === 'subcommand') {
      const subcommand = parseSubcommand(route.name, route.leading, route.rest, version);
      if ('exitCode' in subcommand) return await exitProcess(subcommand.exitCode);
      return await exitProcess(await runSubcommand(subcommand, argv, version));
    }
    const parsed = parseArgs(argv, version);
    if ('exitCode' in parsed) return await exitProcess(parsed.exitCode);
    return await exitProcess(await runCommand(parsed, argv, version));
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`run-chunks: error: ${error.message}\n`);
      return exitProcess(error.exitCode);
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`run-chunks: internal error (please report it): ${detail}\n`);
    return exitProcess(EXIT_CODES.chunkBroken);
  }
}
