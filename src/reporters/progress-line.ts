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

/** One line about a running chunk: bar, counts, elapsed time, memory, and the running test. */
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
  const running = progress?.running[0];
  if (running === undefined) return line;
  const more = progress!.running.length > 1 ? ` (+${progress!.running.length - 1})` : '';
  // ANSI codes take no columns; this keeps the test name on the same terminal line.
  const visible = line.replace(/\u001b\[[0-9;]*m/g, '').length;
  const room = Math.max(10, width - visible - 2 - more.length);
  return `${line}  ${chalk.dim(truncate(running, room) + more)}`;
}
