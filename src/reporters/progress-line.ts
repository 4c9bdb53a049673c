import type { ChalkInstance } from 'chalk';
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import type { RunningTest, TestProgress } from '../results/chunk-test-state.js';

/** What the terminal knows about a running chunk. */
export interface ChunkLiveState {
  name: string;
  /** When the chunk's first attempt started (performance.now() clock): the elapsed time counts from here. */
  startedAtMs: number;
  /** When the running attempt's process started (same clock): its timeout counts from here. */
  attemptStartedAtMs: number;
  /** The chunk's timeout, which each attempt's process gets in full; undefined without one. */
  timeoutMs: number | undefined;
  attempt: number;
  progress: TestProgress | undefined;
  rssBytes: number | undefined;
  gpuBytes: number | null;
}

const BAR_WIDTH = 16;

function renderBar(done: number, total: number | null, chalk: ChalkInstance): string {
  if (total === null || total === 0) return chalk.dim('░'.repeat(BAR_WIDTH));
  const filled = Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH));
  return chalk.cyan('█'.repeat(filled)) + chalk.dim('░'.repeat(BAR_WIDTH - filled));
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `…${text.slice(text.length - width + 1)}`;
}

// ANSI codes take no columns.
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

// Below this the running test's name says nothing: it is left out.
const MIN_TEST_NAME_COLUMNS = 12;
// Under this much time left to its timeout, the chunk's line says so in colour.
const TIMEOUT_WARNING_MS = 60_000;

/** Time left to the attempt's timeout, yellow in its last minute; undefined without a timeout. */
function describeTimeLeft(state: ChunkLiveState, nowMs: number, chalk: ChalkInstance): string | undefined {
  if (state.timeoutMs === undefined) return undefined;
  const leftMs = Math.max(0, state.timeoutMs - (nowMs - state.attemptStartedAtMs));
  const text = `timeout in ${formatDurationMs(leftMs)}`;
  return leftMs < TIMEOUT_WARNING_MS ? chalk.yellow(text) : text;
}

/**
 * How long the running test has run: its start is from its pytest process's clock (epoch), now is
 * this process's (`nowMs` on the performance clock, made epoch by its origin); never below zero.
 */
function testElapsedMs(running: RunningTest, nowMs: number): number {
  return Math.max(0, performance.timeOrigin + nowMs - running.startedAtEpochMs);
}

/**
 * One line about a running chunk: bar, counts, elapsed time, time left to the timeout, memory, and
 * the longest-running test with how long it has run (a hang shows as a test whose time keeps
 * climbing; "(+N)" counts the others running on other workers). It fits
 * `width` columns (a wrapped line would break the live footer's redraw): the test's name is cut
 * first, then the bar is left out to make room for it, then the test, then the line is cut.
 */
export function formatProgressLine(state: ChunkLiveState, nowMs: number, chalk: ChalkInstance, width: number, withBar: boolean): string {
  return layOut(state, nowMs, chalk, width, withBar).line;
}

/**
 * The live footer's lines for a running chunk: one line when its running test fits on it; else the
 * chunk's line (with its bar, where that fits) and a second, indented one for the test and how long
 * it has run, so that a narrow terminal (80 columns) loses neither.
 */
export function formatProgressLines(state: ChunkLiveState, nowMs: number, chalk: ChalkInstance, width: number): string[] {
  const one = layOut(state, nowMs, chalk, width, true);
  const running = state.progress?.running;
  if (one.testShown || running === undefined || running.length === 0) return [one.line];
  const head = layOut({ ...state, progress: { ...state.progress!, running: [] } }, nowMs, chalk, width, true).line;
  const more = describeRunningTime(running, nowMs);
  const indent = '  ↳ ';
  const room = width - indent.length - more.length;
  if (room < MIN_TEST_NAME_COLUMNS) return [head];
  return [head, chalk.dim(`${indent}${truncate(running[0]!.nodeid, room)}${more}`)];
}

/** " 41.2s (+2)": how long the longest-running test has run, and how many others run beside it. */
function describeRunningTime(running: readonly RunningTest[], nowMs: number): string {
  const others = running.length > 1 ? ` (+${running.length - 1})` : '';
  return ` ${formatDurationMs(testElapsedMs(running[0]!, nowMs))}${others}`;
}

function layOut(state: ChunkLiveState, nowMs: number, chalk: ChalkInstance, width: number, withBar: boolean): { line: string; testShown: boolean } {
  const progress = state.progress;
  const parts = [chalk.cyan.bold(state.name) + (state.attempt > 1 ? chalk.yellow(` (attempt ${state.attempt})`) : '')];
  if (progress) {
    const total = progress.collected === null ? '?' : String(progress.collected);
    if (withBar) parts.push(renderBar(progress.done, progress.collected, chalk));
    parts.push(`${progress.done}/${total}`, chalk.green(`✔ ${progress.passed}`));
    if (progress.failed > 0) parts.push(chalk.red(`✖ ${progress.failed}`));
  }
  parts.push(formatDurationMs(nowMs - state.startedAtMs));
  const timeLeft = describeTimeLeft(state, nowMs, chalk);
  if (timeLeft !== undefined) parts.push(timeLeft);
  if (state.rssBytes !== undefined) parts.push(`RSS ${formatBytes(state.rssBytes)}`);
  if (state.gpuBytes !== null) parts.push(`GPU ${formatBytes(state.gpuBytes)}`);
  const line = parts.join('  ');
  const visible = stripAnsi(line).length;
  const running = progress?.running[0];
  const more = running === undefined ? '' : describeRunningTime(progress!.running, nowMs);
  const testNeeds = running === undefined ? 0 : 2 + MIN_TEST_NAME_COLUMNS + more.length;
  // What runs tells more than the bar (the counts say how far it is): the bar goes first.
  if (withBar && progress && visible + testNeeds > width) return layOut(state, nowMs, chalk, width, false);
  // Colour would be cut mid-sequence: the plain text, cut at the end.
  if (visible > width) return { line: truncateEnd(stripAnsi(line), width), testShown: false };
  const room = width - visible - 2 - more.length;
  if (running === undefined || room < MIN_TEST_NAME_COLUMNS) return { line, testShown: false };
  return { line: `${line}  ${chalk.dim(truncate(running.nodeid, room) + more)}`, testShown: true };
}

function truncateEnd(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
