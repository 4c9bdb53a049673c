import type { ChalkInstance } from 'chalk';
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import type { TestProgress } from '../results/chunk-test-state.js';

/** What the terminal knows about a running chunk. */
export interface ChunkLiveState {
  name: string;
  startedAtMs: number;
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

/**
 * One line about a running chunk: bar, counts, elapsed time, memory, and the running test. It fits
 * `width` columns (a wrapped line would break the live footer's redraw): the test's name is cut
 * first, then the bar is left out to make room for it, then the test, then the line is cut.
 */
export function formatProgressLine(state: ChunkLiveState, nowMs: number, chalk: ChalkInstance, width: number, withBar: boolean): string {
  const progress = state.progress;
  const parts = [chalk.cyan.bold(state.name) + (state.attempt > 1 ? chalk.yellow(` (attempt ${state.attempt})`) : '')];
  if (progress) {
    const total = progress.collected === null ? '?' : String(progress.collected);
    if (withBar) parts.push(renderBar(progress.done, progress.collected, chalk));
    parts.push(`${progress.done}/${total}`, chalk.green(`✔ ${progress.passed}`));
    if (progress.failed > 0) parts.push(chalk.red(`✖ ${progress.failed}`));
  }
  parts.push(formatDurationMs(nowMs - state.startedAtMs));
  if (state.rssBytes !== undefined) parts.push(`RSS ${formatBytes(state.rssBytes)}`);
  if (state.gpuBytes !== null) parts.push(`GPU ${formatBytes(state.gpuBytes)}`);
  const line = parts.join('  ');
  const visible = stripAnsi(line).length;
  const running = progress?.running[0];
  const more = progress && progress.running.length > 1 ? ` (+${progress.running.length - 1})` : '';
  const testNeeds = running === undefined ? 0 : 2 + MIN_TEST_NAME_COLUMNS + more.length;
  // What runs tells more than the bar (the counts say how far it is): the bar goes first.
  if (withBar && progress && visible + testNeeds > width) return formatProgressLine(state, nowMs, chalk, width, false);
  // Colour would be cut mid-sequence: the plain text, cut at the end.
  if (visible > width) return truncateEnd(stripAnsi(line), width);
  const room = width - visible - 2 - more.length;
  if (running === undefined || room < MIN_TEST_NAME_COLUMNS) return line;
  return `${line}  ${chalk.dim(truncate(running, room) + more)}`;
}

function truncateEnd(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
