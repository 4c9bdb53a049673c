import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBesideLimit } from '../config/parse-size.js';
import type { ChunkReport, RunReport } from '../results/report-types.js';
import { describeGpuPeak, describeOccasionalCounts } from './chunk-figures.js';
import { styleStatus } from './status-style.js';

/** Below this many columns the full table wraps (it is ~130 wide): the compact one is shown instead. */
export const FULL_TABLE_MIN_COLUMNS = 100;

// No borders, two spaces between columns: what fits 80 columns with a 20-character chunk name.
const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** "3 passed, 1 failed": the counts that are not zero (passed always), "–" without results. */
function describeTests(chunk: ChunkReport, chalk: ChalkInstance): string {
  const tests = chunk.tests;
  if (!tests) return '–';
  const parts = [`${tests.passed} passed`];
  if (tests.failed > 0) parts.push(chalk.red(`${tests.failed} failed`));
  if (tests.errors > 0) parts.push(chalk.red(`${tests.errors} error${tests.errors === 1 ? '' : 's'}`));
  if ((chunk.notRun ?? 0) > 0) parts.push(chalk.yellow(`${chunk.notRun} not run`));
  if (tests.skipped > 0) parts.push(`${tests.skipped} skipped`);
  parts.push(...describeOccasionalCounts(chunk));
  return parts.join(', ');
}

/** The peak alone, in its limit's units ("2.9 GB" for a "3GB" limit): the limit and source are in the full table and report.json. */
function describeShortPeak(chunk: ChunkReport): string {
  const memory = chunk.memory;
  return memory?.peak ? formatBesideLimit(memory.peak.bytes, memory.limitBytes) : '–';
}

/**
 * The end-of-run table for a narrow terminal: chunk, status, tests, duration and peak memory
 * (and GPU peak) per chunk, without borders. Leaks and warnings have their own lines below it.
 */
export function renderCompactSummary(report: RunReport, chalk: ChalkInstance): string {
  const showGpu = report.chunks.some((chunk) => chunk.gpu !== null);
  const head = ['Chunk', 'Status', 'Tests', 'Time', 'Peak', ...(showGpu ? ['GPU'] : [])].map((title) => chalk.bold(title));
  const table = new Table({
    head,
    colAligns: ['left', 'left', 'left', 'right', 'right', 'right'],
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const chunk of report.chunks) {
    const { mark, paint } = styleStatus(chalk, chunk.status);
    const row = [
      chunk.required ? chunk.name : `${chunk.name} (optional)`,
      paint(`${mark} ${chunk.status}`),
      describeTests(chunk, chalk),
      chunk.startedAt === null ? '–' : formatDurationMs(chunk.durationMs),
      describeShortPeak(chunk),
    ];
    if (showGpu) row.push(describeGpuPeak(chunk));
    table.push(row);
  }
  // cli-table3 pads the last column too: trailing spaces only wrap a line that just fits.
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
