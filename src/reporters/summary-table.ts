import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { formatDurationMs } from '../config/parse-duration.js';
import type { ChunkReport, RunReport } from '../results/report-types.js';
import { renderSparkline } from './sparkline.js';
import { styleStatus } from './status-style.js';
import { describeGpuPeak, describeGrowth, describePeak, formatCount, occasionalCounts } from './chunk-figures.js';

// The table's sparkline is short: a shape to glance at; report.json keeps 32 points.
const SPARKLINE_WIDTH = 12;


function describeVerdict(chunk: ChunkReport, chalk: ChalkInstance): string {
  const verdict = chunk.memory?.verdict;
  if (verdict === undefined) return '–';
  if (verdict === 'leak') return chalk.red.bold('leak');
  if (verdict === 'warning') return chalk.yellow('warning');
  return verdict === 'stable' ? chalk.green('stable') : chalk.dim('unknown');
}

/** The end-of-run table: one row per chunk with its status, tests, duration, workers and memory. */
export function renderSummaryTable(report: RunReport, chalk: ChalkInstance): string {
  const showGpu = report.chunks.some((chunk) => chunk.gpu !== null);
  // Tests that never started are neither skipped nor errors: their own column, when there are any.
  const showNotRun = report.chunks.some((chunk) => (chunk.notRun ?? 0) > 0);
  // xfailed and xpassed likewise: columns only when some chunk has such a test.
  const occasional = occasionalCounts(report.chunks);
  const head = ['Chunk', 'Status', 'Passed', 'Failed', 'Skipped', ...occasional.map(({ title }) => title), 'Errors', ...(showNotRun ? ['Not run'] : []), 'Duration', 'Workers', 'Peak memory', 'Growth', 'Leak', 'RSS'];
  if (showGpu) head.push('Peak GPU');
  const colAligns: ('left' | 'right')[] = ['left', 'left', 'right', 'right', 'right', ...occasional.map(() => 'right' as const), 'right', ...(showNotRun ? (['right'] as const) : []), 'right', 'right', 'right', 'right', 'left', 'left', 'right'];
  const table = new Table({
    head,
    colAligns,
    // cli-table3 colours headers and borders itself; colour (or none) is chalk's decision here.
    style: { head: [], border: [] },
    // One line per chunk: no rule between rows.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const chunk of report.chunks) {
    const { mark, paint } = styleStatus(chalk, chunk.status);
    const name = chunk.required ? chunk.name : `${chunk.name} (optional)`;
    const row = [
      name,
      paint(`${mark} ${chunk.status}`),
      formatCount(chunk.tests?.passed),
      chunk.tests && chunk.tests.failed > 0 ? chalk.red(String(chunk.tests.failed)) : formatCount(chunk.tests?.failed),
      formatCount(chunk.tests?.skipped),
      ...occasional.map(({ key }) => formatCount(chunk.tests?.[key])),
      chunk.tests && chunk.tests.errors > 0 ? chalk.red(String(chunk.tests.errors)) : formatCount(chunk.tests?.errors),
      ...(showNotRun ? [chunk.notRun ? chalk.yellow(String(chunk.notRun)) : formatCount(chunk.notRun ?? undefined)] : []),
      chunk.startedAt === null ? '–' : formatDurationMs(chunk.durationMs),
      String(chunk.workers),
      describePeak(chunk),
      describeGrowth(chunk),
      describeVerdict(chunk, chalk),
      renderSparkline(chunk.memory?.rssTimelineBytes ?? [], SPARKLINE_WIDTH),
    ];
    if (showGpu) row.push(describeGpuPeak(chunk));
    table.push(row);
  }
  return table.toString();
}
