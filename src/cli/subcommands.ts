import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { buildMatrix, formatMatrix, MATRIX_FORMATS, type MatrixFormat } from '../ci/ci-matrix.js';
import { DEFAULT_CI_REPORT_DIR } from '../ci/workflow-templates.js';
import { buildGithubSummary } from '../ci/github-summary.js';
import { loadConfig } from '../config/load-config.js';
import { readHistory } from '../history/history-file.js';
import { recordRunInHistory } from '../history/history-reporter.js';
import { chunkStats } from '../history/history-stats.js';
import { DEFAULT_HISTORY_FILE } from '../history/history-types.js';
import { formatHistoryTable } from '../history/format-history-table.js';
import { writeHtmlReport } from '../html/html-reporter.js';
import { mergeReportDirs, readReportEntry } from '../merge/merge-reports.js';
import { describeThisProcess } from '../lifecycle/process-identity.js';
import { removeStaleIncoming, startIncomingReportSet } from '../lifecycle/report-set.js';
import { inProgressReport, lockReportDir } from '../lifecycle/run-lifecycle.js';
import { describeUnfinished } from '../lifecycle/unfinished-run.js';
import type { ChunkPlan } from '../plan/types.js';
import { ReportWriteError, writeReportFile } from '../reporters/write-report-file.js';
import { TerminalReporter } from '../reporters/terminal-reporter.js';
import { EXIT_CODES } from '../results/outcome.js';
import { quoteText } from '../config/quote-text.js';
import { UserError } from '../util/user-error.js';
import { isFlagOf } from './route-args.js';
import { terminalColumns } from './terminal-columns.js';
import { writeCiWorkflow, type InitCiOptions } from './init-ci.js';
import { makeFolder, makeFolderOf } from './own-folder.js';
import { planChunks } from './plan-chunks.js';
import { analyzeCoverage } from '../plan/coverage.js';
import { collectAll } from './collect-coverage.js';
import { runInterruptibly } from './interruptible.js';
import { collectLimitsOf } from '../plan/collect-limits.js';
import { formatPlan } from './format-plan.js';
import { formatInitSummary } from '../init/format-init.js';
import { writeStarterConfig } from '../init/init-config.js';
import { collectChunkNames, DEFAULT_PROGRESS_INTERVAL_MS, DEFAULT_REPORT_DIR, toUserError } from './parse-args.js';

/** The subcommands beside the default "run the chunks". */
export type Subcommand =
  | { name: 'matrix'; config: string | undefined; chunks: string[]; format: MatrixFormat; historyFile: string }
  | { name: 'history'; historyFile: string }
  | { name: 'report'; dir: string; open: boolean }
  | { name: 'plan'; config: string | undefined; chunks: string[]; strict: boolean; json: boolean; historyFile: string }
  | { name: 'merge'; dirs: string[]; reportDir: string; historyFile: string; failOnLeak: boolean; config: string | undefined }
  | ({ name: 'init' } & InitCiOptions)
  | { name: 'init-config'; python: string | undefined; output: string | undefined; force: boolean; collectTimeout: string | undefined };

function baseCommand(name: string, description: string): Command {
  return new Command(name).description(description).exitOverride().configureOutput({ writeErr: () => undefined }).allowExcessArguments(false);
}

/**
 * Refuses a global option given before the subcommand's name that the subcommand has no use for
 * (`run-chunks --dry-run plan`), naming the options it does take.
 */
function checkLeadingOptions(name: string, leading: readonly string[], program: Command): void {
  const misplaced = leading.filter((arg) => arg.startsWith('-') && !program.options.some((option) => isFlagOf(option, arg.split('=', 1)[0]!)));
  if (misplaced.length === 0) return;
  const own = program.options.filter((option) => option.long !== '--version').map((option) => option.long ?? option.short);
  const takes = own.length === 0 ? 'takes no options' : `takes ${own.join(', ')}`;
  throw new UserError(`${misplaced.map((arg) => arg.split('=', 1)[0]).join(', ')} ${misplaced.length === 1 ? 'does' : 'do'} not apply to \`run-chunks ${name}\`, which ${takes}. Run \`run-chunks ${name} --help\` for them.`);
}

/**
 * Parses `run-chunks [global options] <subcommand> ...`: the global options given before its name
 * (`leading`) count as its own, where it has them. Help is printed by commander and reported as
 * `{ exitCode: 0 }`; mistakes become UserErrors.
 */
export function parseSubcommand(name: string, leading: readonly string[], rest: readonly string[], version: string): Subcommand | { exitCode: number } {
  let result: Subcommand | undefined;
  const program =
    name === 'report'
      ? baseCommand('run-chunks report', 'Print the summary of an earlier run (table, sparklines, blamed and top memory tests) without running anything.')
          .argument('[dir]', 'its report dir', DEFAULT_REPORT_DIR)
          .option('--report-dir <dir>', 'its report dir (the same as DIR)')
          .option('--open', 'open its report.html in the browser')
          .action((dir: string, options: { open?: boolean; reportDir?: string }, command: Command) => {
            if (options.reportDir !== undefined && command.args.length > 0 && options.reportDir !== dir)
              throw new UserError(`run-chunks report got two report dirs, ${quoteText(options.reportDir)} (--report-dir) and ${quoteText(dir)}: give one.`);
            result = { name: 'report', dir: options.reportDir ?? dir, open: options.open ?? false };
          })
      : name === 'plan'
      ? baseCommand('run-chunks plan', 'Collect every chunk\'s tests and show where each test lands: counts, forecasts, orphans, overlaps, unknown markers.')
          .option('-c, --config <path>', 'config file')
          .option('--chunk <names>', 'only show these chunks (all are still collected)', collectChunkNames, [])
          .option('--strict', 'orphans, overlaps or unknown markers are an error (exit 1), for CI')
          .option('--json', 'print the plan as JSON')
          .option('--history <path>', 'run history, for forecasts', DEFAULT_HISTORY_FILE)
          .action((options: { config?: string; chunk: string[]; strict?: boolean; json?: boolean; history: string }) => {
            result = { name: 'plan', config: options.config, chunks: options.chunk, strict: options.strict ?? false, json: options.json ?? false, historyFile: options.history };
          })
      : name === 'history'
      ? baseCommand('run-chunks history', 'Print each chunk\'s median and p95 duration and peak memory over the recorded runs, memory regressions, and the tests with the highest p95 peak.')
          .option('--history <path>', 'run history file', DEFAULT_HISTORY_FILE)
          .action((options: { history: string }) => {
            result = { name: 'history', historyFile: options.history };
          })
      : name === 'merge'
      ? baseCommand('run-chunks merge', 'Merge the report dirs of separate runs (one CI job per chunk) into one report.json, junit.xml and summary.')
          .argument('<dirs...>', 'report dirs to merge')
          .option('--report-dir <dir>', 'where the merged report.json and junit.xml go', DEFAULT_REPORT_DIR)
          .option('--history <path>', 'run history file to record the merged run in', DEFAULT_HISTORY_FILE)
          .option('--fail-on-leak', 'a required chunk whose memory verdict is "leak" fails the merged run')
          .option('-c, --config <path>', 'the config the runs used: a required chunk that no dir holds is an error (exit 3)')
          .allowExcessArguments(true)
          .action((dirs: string[], options: { reportDir: string; history: string; failOnLeak?: boolean; config?: string }) => {
            result = { name: 'merge', dirs, reportDir: options.reportDir, historyFile: options.history, failOnLeak: options.failOnLeak ?? false, config: options.config };
          })
      : name === 'matrix'
      ? baseCommand('run-chunks matrix', 'Print the chunk matrix for a CI job per chunk (name, required, timeout in minutes).')
          .option('-c, --config <path>', 'config file')
          .option('--chunk <names>', 'only these chunks (comma-separated)', collectChunkNames, [])
          .addOption(new Option('--format <format>', 'github: JSON for fromJSON(); gitlab: a parallel:matrix block').choices(MATRIX_FORMATS).default('github'))
          .option('--history <path>', 'run history, for timeouts of chunks that set none', DEFAULT_HISTORY_FILE)
          .action((options: { config?: string; chunk: string[]; format: MatrixFormat; history: string }) => {
            result = { name: 'matrix', config: options.config, chunks: options.chunk, format: options.format, historyFile: options.history };
          })
      : baseCommand('run-chunks init', 'Write a starter config for the project in the current folder, from its tests\' pytest markers; with --ci, a CI workflow: one job per chunk, each uploading its report, and a summary job that merges them.')
          .addOption(new Option('--ci <system>', 'write a CI workflow for this CI system instead of a config').choices(['github', 'gitlab']))
          .option('-c, --config <path>', 'with --ci: config file')
          .option('--output <path>', 'where to write it (default: chunks.config.json, or a table appended to an existing pyproject.toml; with --ci .github/workflows/run-chunks.yml or .gitlab-ci.yml)')
          .option('--report-dir <dir>', 'with --ci: report folder inside the CI jobs', DEFAULT_CI_REPORT_DIR)
          .option('--setup <command>', 'with --ci: the step that installs what the tests need (default: detected; npm ci with a package.json)')
          .option('--python-version <version>', 'with --ci: Python of the CI jobs (default: .python-version, else requires-python\'s lower bound)')
          .option('--python <path>', 'without --ci: the project\'s interpreter (default .venv/bin/python, venv/bin/python, else python3 on PATH)')
          .option('--collect-timeout <duration>', 'without --ci: how long collecting the tests may take (default 60s); written into the config')
          .option('--force', 'overwrite an existing file (a config: only a chunks.config.json)')
          .action((options: { ci?: 'github' | 'gitlab'; config?: string; output?: string; reportDir: string; force?: boolean; setup?: string; pythonVersion?: string; python?: string; collectTimeout?: string }, command: Command) => {
            const given = (flags: [string, string][]): string[] => flags.filter(([key]) => command.getOptionValueSource(key) === 'cli').map(([, flag]) => flag);
            const misplaced = options.ci === undefined ? given([['config', '--config'], ['reportDir', '--report-dir'], ['setup', '--setup'], ['pythonVersion', '--python-version']]) : given([['python', '--python'], ['collectTimeout', '--collect-timeout']]);
            if (misplaced.length > 0) throw new UserError(`${misplaced.join(', ')} ${misplaced.length === 1 ? 'applies' : 'apply'} only ${options.ci === undefined ? 'with --ci (writing a CI workflow)' : 'without --ci (writing a starter config)'}. See run-chunks init --help.`);
            if (options.ci === undefined) {
              result = { name: 'init-config', python: options.python, output: options.output, force: options.force ?? false, collectTimeout: options.collectTimeout };
              return;
            }
            result = {
              name: 'init',
              ci: options.ci,
              config: options.config,
              output: options.output,
              force: options.force ?? false,
              reportDir: options.reportDir,
              setup: options.setup,
              pythonVersion: options.pythonVersion,
            };
          });
  program.version(version, '-V, --version');
  checkLeadingOptions(name, leading, program);
  try {
    program.parse([...leading, ...rest], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return { exitCode: 0 };
    throw toUserError(error, `run-chunks ${name} --help`);
  }
  // Commander calls the action whenever parsing succeeds without help or version.
  if (result === undefined) throw new Error(`run-chunks ${name}: the arguments parsed, but no command was chosen`);
  return result;
}

const warnStderr = (message: string): void => void process.stderr.write(`run-chunks: warning: ${message}\n`);
const noticeStderr = (message: string): void => void process.stderr.write(`run-chunks: notice: ${message}\n`);

function terminalFor(cwd: string): TerminalReporter {
  return new TerminalReporter({
    stdout: process.stdout,
    stderr: process.stderr,
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    cwd,
    live: false,
    progressIntervalMs: DEFAULT_PROGRESS_INTERVAL_MS,
    columns: terminalColumns(),
  });
}

async function showReport(command: Extract<Subcommand, { name: 'report' }>): Promise<number> {
  const cwd = process.cwd();
  const dir = path.resolve(cwd, command.dir);
  if (!existsSync(path.join(dir, 'report.json')))
    throw new UserError(`There is no run-chunks report in ${command.dir} (no report.json). Run run-chunks first, or pass the --report-dir of an earlier run.`);
  const entry = await readReportEntry(dir);
  if (!entry.finished) {
    // No verdict to show: the run's report set is not there. Exit 3, as for a run whose report was lost.
    process.stdout.write(`run-chunks report ${command.dir}: ${describeUnfinished(entry.marker)}\n`);
    return EXIT_CODES.chunkBroken;
  }
  const { report } = entry.contents;
  terminalFor(cwd).onRunFinished({ type: 'run-finished', report });
  if (command.open) {
    const html = path.join(dir, 'report.html');
    if (!existsSync(html)) throw new UserError(`${path.relative(cwd, html) || html} does not exist: this run wrote no HTML report.`);
    // The platform's own opener, detached: run-chunks does not wait for the browser.
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    const child = spawn(opener, [html], { detached: true, stdio: 'ignore' });
    child.on('error', () => warnStderr(`could not start ${opener} to open ${html}; open it by hand.`));
    child.unref();
  }
  return report.exitCode;
}

async function mergeDirs(command: Extract<Subcommand, { name: 'merge' }>, argv: readonly string[], version: string): Promise<number> {
  const cwd = process.cwd();
  const reportDir = path.resolve(cwd, command.reportDir);
  const historyFile = path.resolve(cwd, command.historyFile);
  const dirs = command.dirs.map((dir) => path.resolve(cwd, dir));
  const loaded = command.config === undefined ? undefined : await loadConfig(command.config, cwd);
  const expected = loaded === undefined ? undefined : { configFile: loaded.configPath, chunks: planMergeChunks(loaded, reportDir) };
  const runId = randomUUID();
  const merged = await mergeReportDirs(dirs, { reportDir, runId, version, failOnLeak: command.failOnLeak, expected });
  for (const warning of merged.warnings) warnStderr(warning);
  for (const note of merged.notes) process.stderr.write(`run-chunks: note: ${note}\n`);
  makeFolder(reportDir);
  makeFolderOf(historyFile);
  const start = { kind: 'merge' as const, reportDir, historyFile, argv, runId, version, configFile: merged.report.configFile, plannedChunks: [], notice: noticeStderr };
  const identity = describeThisProcess(argv, new Date());
  const release = lockReportDir(start, identity);
  try {
    await removeStaleIncoming(reportDir);
    const incoming = await startIncomingReportSet(reportDir, runId.slice(0, 8));
    try {
      await writeReportFile(incoming.file('junit.xml'), merged.junitXml);
      // The HTML page is a view of the merged report: a failure to write it costs nothing else.
      await writeHtmlReport(merged.report, merged.records, { searchDirs: dirs, separateMachines: true, file: incoming.file('report.html') }).catch((error: unknown) =>
        warnStderr(`cannot write the HTML report: ${error instanceof Error ? error.message : String(error)}`),
      );
      await writeReportFile(incoming.file('report.json'), `${JSON.stringify(merged.report, null, 2)}\n`);
      await incoming.commit(inProgressReport(start, identity));
    } catch (error) {
      await incoming.discard();
      if (!(error instanceof ReportWriteError)) throw error;
      // Nothing was swapped in yet: the report dir holds the earlier set, whole.
      throw new UserError(`Could not write the merged report: ${error.message}. ${reportDir} keeps its earlier report set as it was. Free space there (or raise the file-size limit), or pass another --report-dir, and merge again.`, EXIT_CODES.chunkBroken);
    }
    terminalFor(cwd).onRunFinished({ type: 'run-finished', report: merged.report });
    if (process.env.GITHUB_STEP_SUMMARY) await appendFile(process.env.GITHUB_STEP_SUMMARY, buildGithubSummary(merged.report)).catch((error: unknown) => warnStderr(`cannot write the job summary: ${String(error)}`));
    await recordRunInHistory(merged.report, merged.records, { file: historyFile, warn: warnStderr });
  } finally {
    release();
  }
  return merged.report.exitCode;
}

/** The config's chunks, as `merge --config` checks them against the dirs (every chunk, none selected away). */
function planMergeChunks(loaded: Awaited<ReturnType<typeof loadConfig>>, reportDir: string): ChunkPlan[] {
  return planChunks(loaded, { chunks: [], noParallel: false, passthroughArgs: [], sampleIntervalMs: undefined, retryOnOom: undefined }, reportDir);
}

async function showPlan(command: Extract<Subcommand, { name: 'plan' }>): Promise<number> {
  const cwd = process.cwd();
  const loaded = await loadConfig(command.config, cwd);
  const plans = planChunks(loaded, { chunks: [], noParallel: false, passthroughArgs: [], sampleIntervalMs: undefined, retryOnOom: undefined }, path.resolve(cwd, DEFAULT_REPORT_DIR));
  const pytestPlans = plans.filter((plan) => plan.pytest !== undefined);
  const collections = await runInterruptibly((signal) => collectAll(loaded, plans, collectLimitsOf(loaded.config, signal), path.resolve(cwd, DEFAULT_REPORT_DIR), noticeStderr));
  const { universe, selections, knownMarkers } = collections;
  const markerExpressions = new Map(pytestPlans.flatMap((plan) => (plan.pytest?.markers && !plan.rest ? [[plan.name, plan.pytest.markers] as const] : [])));
  const coverage = analyzeCoverage(universe, selections, markerExpressions, knownMarkers);
  const history = await readHistory(path.resolve(cwd, command.historyFile), warnStderr);
  const shown = command.chunks.length > 0 ? plans.filter((plan) => command.chunks.includes(plan.name)) : plans;
  const chunks = shown.map((plan) => {
    const stats = chunkStats(history, plan.name);
    return {
      name: plan.name,
      tests: selections.get(plan.name)?.length ?? 0,
      workers: plan.workers,
      rest: plan.rest,
      forecastDurationMs: stats?.p95DurationMs ?? null,
      forecastPeakBytes: stats?.p95PeakBytes ?? null,
    };
  });
  const problems = coverage.orphans.length + coverage.overlaps.length + coverage.unknownMarkers.length;
  const collection = { durationMs: collections.durationMs, pytestRuns: collections.pytestRuns, separate: collections.separate };
  const output = { collected: universe.length, collection, chunks, ...coverage, failed: command.strict && problems > 0 };
  process.stdout.write(command.json ? `${JSON.stringify(output, null, 2)}\n` : formatPlan(output));
  return output.failed ? EXIT_CODES.testsFailed : EXIT_CODES.passed;
}

/** Runs a subcommand; returns run-chunks' exit code. */
export async function runSubcommand(command: Subcommand, argv: readonly string[], version: string): Promise<number> {
  switch (command.name) {
    case 'history': {
      const history = await readHistory(path.resolve(process.cwd(), command.historyFile), warnStderr);
      process.stdout.write(`${formatHistoryTable(history)}\n`);
      return EXIT_CODES.passed;
    }
    case 'merge':
      return mergeDirs(command, argv, version);
    case 'plan':
      return showPlan(command);
    case 'report':
      return showReport(command);
    case 'matrix': {
      const cwd = process.cwd();
      const loaded = await loadConfig(command.config, cwd);
      const plans = planChunks(loaded, { chunks: command.chunks, noParallel: false, passthroughArgs: [], sampleIntervalMs: undefined, retryOnOom: undefined }, cwd);
      const history = await readHistory(path.resolve(cwd, command.historyFile), warnStderr);
      const durations = new Map(plans.flatMap((plan) => {
        const p95 = chunkStats(history, plan.name)?.p95DurationMs;
        return p95 ? [[plan.name, p95] as const] : [];
      }));
      process.stdout.write(`${formatMatrix(buildMatrix(plans, durations), command.format)}\n`);
      return EXIT_CODES.passed;
    }
    case 'init':
      return writeCiWorkflow(command, version);
    case 'init-config': {
      const written = await runInterruptibly((signal) => writeStarterConfig(command, process.cwd(), signal));
      process.stdout.write(formatInitSummary(written));
      return EXIT_CODES.passed;
    }
  }
}
