import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { formatDurationMs } from '../config/parse-duration.js';
import type { RunReport } from '../results/report-types.js';
import { styleStatus } from './status-style.js';

function count(value: number | undefined): string {
  return value === undefined ? '–' : String(value);
}

/** The end-of-run table: one row per chunk with its status, test counts, duration and workers. */
export function renderSummaryTable(report: RunReport, chalk: ChalkInstance): string {
  const table = new Table({
    head: ['Chunk', 'Status', 'Passed', 'Failed', 'Skipped', 'Errors', 'Duration', 'Workers'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
    // cli-table3 colours headers and borders itself; colour (or none) is chalk's decision here.
    style: { head: [], border: [] },
    // One line per chunk: no rule between rows.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const chunk of report.chunks) {
    const { mark, paint } = styleStatus(chalk, chunk.status);
    const name = chunk.required ? chunk.name : `${chunk.name} (optional)`;
    table.push([
      name,
      paint(`${mark} ${chunk.status}`),
      count(chunk.tests?.passed),
      chunk.tests && chunk.tests.failed > 0 ? chalk.red(String(chunk.tests.failed)) : count(chunk.tests?.failed),
      count(chunk.tests?.skipped),
      chunk.tests && chunk.tests.errors > 0 ? chalk.red(String(chunk.tests.errors)) : count(chunk.tests?.errors),
      chunk.startedAt === null ? '–' : formatDurationMs(chunk.durationMs),
      String(chunk.workers),
    ]);
  }
  return table.toString();
}
