import { existsSync } from 'node:fs';
import path from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes, formatLimit } from '../config/parse-size.js';
import type {
  ChunkFinishedEvent,
  ChunkOutputEvent,
  ChunkProgressEvent,
  ChunkRetryEvent,
  ChunkSampleEvent,
  ChunkStartedEvent,
  RunFinishedEvent,
  RunInterruptedEvent,
  RunNoticeEvent,
  RunStartedEvent,
} from '../events/types.js';
import type { ChunkReport, RunReport } from '../results/report-types.js';
import { maskSecretArgs } from '../util/mask-secrets.js';
import { quoteShellCommand } from '../util/shell-quote.js';
import { describeOccasionalCounts, NOTABLE_TEST_GROWTH_BYTES } from './chunk-figures.js';
import { LinePrefixer } from './line-prefixer.js';
import { formatProgressLine, formatProgressLines, type ChunkLiveState } from './progress-line.js';
import { TerminalWriter } from './terminal-writer.js';
import type { Reporter } from './reporter.js';

// The tests that needed the most memory, shown per chunk (report.json keeps ten).
const NOTABLE_PEAK_TESTS = 3;
import { styleStatus } from './status-style.js';
import { renderSummaryTable } from './summary-table.js';
import { FULL_TABLE_MIN_COLUMNS, renderCompactSummary } from './compact-summary.js';
import { describeVerdict } from '../results/verdict-text.js';

export interface TerminalReporterOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  color: boolean;
  /** Paths under this folder are shown relative to it. */
  cwd: string;
  /** A TTY: keep a live progress line per running chunk at the bottom of the screen. */
  live: boolean;
  /** Without a TTY: print each running chunk's progress this often (CI logs). */
  progressIntervalMs: number;
  /** Terminal width, for fitting the live lines and choosing the summary table (compact below 100). */
  columns: number;
  /**
   * The run's last line waits for printRunLine: a run writes report.html and report.json after
   * run-finished, and the line names only the files that were written. Otherwise it names the
   * report files that are there (an earlier run's, a merge's).
   */
  deferRunLine?: boolean;
}

/** The report files the last line names, in the order a person wants them: the page, then the data. */
export const NAMED_REPORT_FILES = ['report.html', 'report.json'] as const;

function describeTests(chunk: ChunkReport): string {
  if (!chunk.tests) return 'no test results';
  const parts = [`${chunk.tests.passed} passed`];
  if (chunk.tests.failed > 0) parts.push(`${chunk.tests.failed} failed`);
  if (chunk.tests.errors > 0) parts.push(`${chunk.tests.errors} errors`);
  if (chunk.tests.skipped > 0) parts.push(`${chunk.tests.skipped} skipped`);
  parts.push(...describeOccasionalCounts(chunk));
  return parts.join(', ');
}

/** "5 chunks passed, 1 oom": "chunks" on the first count, so the figures are not read as tests. */
export function tallyChunks(chunks: readonly ChunkReport[]): string {
  const counts = new Map<string, number>();
  for (const chunk of chunks) counts.set(chunk.status, (counts.get(chunk.status) ?? 0) + 1);
  const tally = [...counts].map(([status, n], index) => (index === 0 ? `${n} chunk${n === 1 ? '' : 's'} ${status}` : `${n} ${status}`));
  return tally.length === 0 ? 'no chunks' : tally.join(', ');
}

/** How many chunks run at once, as the start banner and --dry-run say it. */
export function describeConcurrency(chunks: number, parallelChunks: number, memoryBudgetBytes: number | undefined): string {
  if (chunks <= 1) return 'one at a time';
  if (memoryBudgetBytes !== undefined) return `together while their forecast peaks fit the memory budget of ${formatLimit(memoryBudgetBytes)}`;
  return parallelChunks > 1 ? `up to ${parallelChunks} at once` : 'one at a time';
}

/** Streams chunk output live and ends with a summary table: what a person watching wants. */
export class TerminalReporter implements Reporter {
  readonly name = 'terminal';
  private readonly chalk: ChalkInstance;
  private readonly prefixers = new Map<string, LinePrefixer>();
  private prefixOutput = false;
  private readonly live = new Map<string, ChunkLiveState>();
  private readonly writer: TerminalWriter;
  private progressTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TerminalReporterOptions) {
    this.chalk = new Chalk({ level: options.color ? 1 : 0 });
    this.writer = new TerminalWriter(options.stdout, options.stderr, options.live, () => this.footerLines());
  }

  private footerLines(): string[] {
    const nowMs = performance.now();
    return [...this.live.values()].flatMap((state) => {
      const [head, ...rest] = formatProgressLines(state, nowMs, this.chalk, this.options.columns - 2);
      return [`${this.chalk.cyan('▶')} ${head}`, ...rest.map((line) => `  ${line}`)];
    });
  }

  /** Without a TTY: one plain progress line per running chunk, every progressIntervalMs. */
  private printProgress(): void {
    const nowMs = performance.now();
    if (this.live.size > 0) this.writer.endPartialLine();
    for (const state of this.live.values()) this.out(`${this.chalk.dim('progress:')} ${formatProgressLine(state, nowMs, this.chalk, 200, false)}\n`);
  }

  onChunkProgress(event: ChunkProgressEvent): void {
    const state = this.live.get(event.chunk);
    if (!state) return;
    state.progress = event.progress;
    state.attempt = event.attempt;
    this.writer.scheduleRedraw();
  }

  onChunkSample(event: ChunkSampleEvent): void {
    const state = this.live.get(event.chunk);
    if (!state) return;
    state.rssBytes = event.rssBytes;
    state.gpuBytes = event.gpuBytes;
    this.writer.scheduleRedraw();
  }

  onChunkRetry(event: ChunkRetryEvent): void {
    const what =
      event.kind === 'blamed-alone'
        ? 'the blamed test alone, in its own process'
        : `the ${event.tests >= 0 ? `${event.tests} ` : ''}tests that never finished, with ${event.workers} worker${event.workers === 1 ? '' : 's'}`;
    this.writer.endPartialLine();
    this.out(this.chalk.yellow.bold(`↻ ${event.chunk}: recovery attempt ${event.attempt}: running ${what}\n`));
  }

  onRunStarted(event: RunStartedEvent): void {
    const count = event.plans.length;
    const mode = describeConcurrency(count, event.parallelChunks, event.memoryBudgetBytes);
    // Several chunks writing at once get each line prefixed with the chunk's name.
    this.prefixOutput = count > 1 && (event.parallelChunks > 1 || event.memoryBudgetBytes !== undefined);
    const width = Math.max(...event.plans.map((plan) => plan.name.length));
    for (const plan of event.plans) this.prefixers.set(plan.name, new LinePrefixer(this.chalk.dim(`${plan.name.padEnd(width)} │ `)));
    this.out(this.chalk.bold(`run-chunks: ${count} chunk${count === 1 ? '' : 's'}, ${mode}\n`));
    if (!this.options.live) {
      this.progressTimer = setInterval(() => this.printProgress(), this.options.progressIntervalMs);
      this.progressTimer.unref();
    }
  }

  onChunkStarted(event: ChunkStartedEvent): void {
    const { plan } = event;
    const previous = this.live.get(plan.name);
    const nowMs = performance.now();
    this.live.set(plan.name, {
      name: plan.name,
      startedAtMs: previous?.startedAtMs ?? nowMs,
      attemptStartedAtMs: nowMs,
      timeoutMs: plan.timeoutMs,
      attempt: previous?.attempt ?? 1,
      progress: undefined,
      rssBytes: undefined,
      gpuBytes: null,
    });
    const details = [`${plan.workers} worker${plan.workers === 1 ? '' : 's'}`];
    if (plan.timeoutMs !== undefined) details.push(`timeout ${formatDurationMs(plan.timeoutMs)}`);
    this.out(`\n${this.chalk.cyan.bold(`▶ ${plan.name}`)} ${this.chalk.dim(`(${details.join(', ')})`)}\n`);
    // CI logs are shared like the reports: secret-looking arguments are masked here too.
    this.out(this.chalk.dim(`  $ ${quoteShellCommand(maskSecretArgs(plan.argv))}\n`));
  }

  onChunkOutput(event: ChunkOutputEvent): void {
    const text = event.data.toString('utf8');
    if (!this.prefixOutput) {
      this.out(text);
      return;
    }
    this.out(this.prefixers.get(event.chunk)?.push(text) ?? text);
  }

  onChunkFinished(event: ChunkFinishedEvent): void {
    const { result } = event;
    if (this.prefixOutput) this.out(this.prefixers.get(result.name)?.flush() ?? '');
    this.live.delete(result.name);
    this.writer.endPartialLine();
    const { mark, paint } = styleStatus(this.chalk, result.status);
    const duration = result.startedAt === null ? '' : ` in ${formatDurationMs(result.durationMs)}`;
    const detail = result.status === 'passed' || result.status === 'failed' ? describeTests(result) : result.message;
    this.out(`${paint(`${mark} ${result.name} ${result.status}`)}${duration}: ${detail}\n`);
  }

  onRunInterrupted(event: RunInterruptedEvent): void {
    const running = event.runningChunks.length > 0 ? event.runningChunks.join(', ') : 'no chunk';
    const message = event.forced
      ? `Received ${event.signal} again: killing ${running} now.`
      : `Received ${event.signal}: stopping ${running} (SIGTERM, then SIGKILL after the grace period) and starting no more. Press Ctrl-C again to kill at once.`;
    this.writer.endPartialLine();
    this.err(`${this.chalk.magenta.bold(message)}\n`);
  }

  onNotice(event: RunNoticeEvent): void {
    const label = event.level === 'warning' ? this.chalk.yellow.bold('warning') : this.chalk.cyan('note');
    this.err(`${label}: ${event.message}\n`);
  }

  onRunFinished({ report }: RunFinishedEvent): void {
    clearInterval(this.progressTimer);
    this.live.clear();
    this.writer.close();
    const table = this.options.columns < FULL_TABLE_MIN_COLUMNS ? renderCompactSummary(report, this.chalk) : renderSummaryTable(report, this.chalk);
    this.out(`\n${table}\n`);
    for (const chunk of report.chunks) {
      if (chunk.status === 'passed' || chunk.status === 'skipped') continue;
      const { paint } = styleStatus(this.chalk, chunk.status);
      const optional = chunk.required ? '' : ' (optional: does not fail the run)';
      // A chunk merged from another machine, or one with no report at all, has no log here to point at.
      const log = existsSync(chunk.logFile) ? ` Log: ${this.display(chunk.logFile)}` : '';
      this.out(`${paint(`${chunk.name}: ${chunk.status}`)}${optional}: ${chunk.message}.${log}\n`);
    }
    // Said during the run too, but a warning on a passed chunk (a JUnit file it never wrote) must not scroll away.
    for (const chunk of report.chunks) for (const warning of chunk.warnings) this.out(`${this.chalk.yellow(`${chunk.name}: warning`)}: ${warning}\n`);
    for (const chunk of report.chunks) for (const line of [...this.describeBlame(chunk), ...this.describeMemory(chunk)]) this.out(`${line}\n`);
    if (report.failOnLeak) {
      const leaking = report.chunks.filter((chunk) => chunk.required && chunk.memory?.verdict === 'leak').map((chunk) => chunk.name);
      if (leaking.length > 0) this.out(this.chalk.red(`--fail-on-leak: the run fails because ${leaking.join(', ')} leaked memory.\n`));
    }
    if (this.options.deferRunLine) return;
    this.printRunLine(report, NAMED_REPORT_FILES.filter((file) => existsSync(path.join(report.reportDir, file))));
  }

  /** The run's verdict, chunk counts, duration and exit code, and the report files (names in the report dir) it wrote. */
  printRunLine(report: RunReport, writtenFiles: readonly string[]): void {
    this.out(`${this.describeRun(report, writtenFiles)}\n`);
  }

  /** The tests blamed for a chunk's death, the tests that needed the most memory, and those that kept the most. */
  private describeBlame(chunk: ChunkReport): string[] {
    const lines = chunk.blamedTests.map((blamed) => {
      // The evidence says why this test and not another: its process's growth, or the process that died under it.
      const facts: string[] = [blamed.reason, blamed.evidence];
      if (blamed.worker) facts.push(`on ${blamed.worker}`);
      if (blamed.chunkRssBytes !== null) facts.push(`chunk at ${formatBytes(blamed.chunkRssBytes)}`);
      if (blamed.verdict) facts.push(describeVerdict(blamed.verdict));
      return `${this.chalk.red(`${chunk.name}: blamed`)} ${blamed.nodeid} (${facts.join(', ')})`;
    });
    const needed = chunk.topPeakTests.filter((test) => (test.peakRiseBytes ?? 0) >= NOTABLE_TEST_GROWTH_BYTES).slice(0, NOTABLE_PEAK_TESTS);
    if (needed.length > 0) {
      const how = needed.every((test) => test.peakRssSource === 'hwm') ? 'exact peak of the test\'s process, VmHWM' : 'peak of the test\'s process; "≥": only its RSS at start and end were known';
      lines.push(`${this.chalk.bold(`${chunk.name}: tests that needed the most memory`)} ${this.chalk.dim(`(${how})`)}`);
      for (const test of needed) {
        const mark = test.peakRssSource === 'hwm' ? ' ' : '≥';
        lines.push(`  ${mark}${formatBytes(test.peakRssBytes).padStart(9)}  ${test.nodeid}${this.chalk.dim(` (+${formatBytes(test.peakRiseBytes ?? 0)} while it ran${test.worker ? `, ${test.worker}` : ''})`)}`);
      }
    }
    const top = chunk.topRetainedTests.filter((test) => test.rssDeltaBytes >= NOTABLE_TEST_GROWTH_BYTES);
    if (top.length > 0) {
      lines.push(`${this.chalk.bold(`${chunk.name}: tests that kept the most memory`)}`);
      for (const test of top) lines.push(`  +${formatBytes(test.rssDeltaBytes).padStart(9)}  ${test.nodeid}${test.worker ? this.chalk.dim(` (${test.worker})`) : ''}`);
    }
    return lines;
  }

  /** Lines about a chunk's memory worth a person's attention: leaks, growing thread or fd counts. */
  private describeMemory(chunk: ChunkReport): string[] {
    const memory = chunk.memory;
    if (!memory) return [];
    const lines: string[] = [];
    if (memory.verdict === 'leak' || memory.verdict === 'warning') {
      const paint = memory.verdict === 'leak' ? this.chalk.red : this.chalk.yellow;
      lines.push(`${paint(`${chunk.name}: memory ${memory.verdict}`)}: ${memory.verdictReason}. Timeline: ${this.display(path.join(path.dirname(chunk.logFile), 'samples.jsonl'))}`);
    } else if (memory.verdict === 'unknown' && (memory.timelineVerdict === 'leak' || memory.timelineVerdict === 'warning')) {
      lines.push(`${this.chalk.yellow(`${chunk.name}: memory not judged`)}: ${memory.verdictReason}. Timeline: ${this.display(path.join(path.dirname(chunk.logFile), 'samples.jsonl'))}`);
    }
    if (memory.threads?.onlyGrows)
      lines.push(this.chalk.yellow(`${chunk.name}: threads only grew, ${memory.threads.start} → ${memory.threads.end} (a thread leak?)`));
    if (memory.fds?.onlyGrows)
      lines.push(this.chalk.yellow(`${chunk.name}: open file descriptors only grew, ${memory.fds.start} → ${memory.fds.end} (unclosed files or sockets?)`));
    return lines;
  }

  private describeRun(report: RunReport, writtenFiles: readonly string[]): string {
    const verdict = report.status === 'passed' ? this.chalk.green.bold('Run passed') : this.chalk.red.bold(`Run ${report.status}`);
    const [first, ...others] = writtenFiles;
    const files = first === undefined ? '' : ` Report: ${this.display(path.join(report.reportDir, first))}${others.map((file) => ` and ${file}`).join('')}`;
    return `${verdict}: ${tallyChunks(report.chunks)} in ${formatDurationMs(report.durationMs)} (exit code ${report.exitCode}).${files}`;
  }

  private display(filePath: string): string {
    const relative = path.relative(this.options.cwd, filePath);
    return relative && !relative.startsWith('..') ? relative : filePath;
  }

  private out(text: string): void {
    this.writer.out(text);
  }

  private err(text: string): void {
    this.writer.err(text);
  }
}
