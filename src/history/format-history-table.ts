import Table from 'cli-table3';
import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import { formatSignedPercent } from '../util/format-percent.js';
import { chunkNames, chunkStats, REGRESSION_GROWTH_PERCENT, type ChunkStats, type PeakTrend } from './history-stats.js';
import type { History } from './history-types.js';
import { highestTestPeaks } from './test-peak-stats.js';

// The text `run-chunks history` prints: one row per chunk with its durations, peaks and trend,
// then one sentence per memory regression, so a regression is seen without reading the table, and
// the tests whose own process needed the most memory.

/** The marker a regressed chunk's trend cell carries. */
export const REGRESSION_MARK = 'REGRESSION';

function bytes(value: number | null): string {
  return value === null ? '–' : formatBytes(value);
}

function duration(value: number | null): string {
  return value === null ? '–' : formatDurationMs(value);
}

function describeTrend(trend: PeakTrend | null): string {
  if (trend === null) return '–';
  return trend.regression ? `${formatSignedPercent(trend.growthPercent)} ${REGRESSION_MARK}` : formatSignedPercent(trend.growthPercent);
}

function describeRegression(stats: ChunkStats, trend: PeakTrend): string {
  const window = trend.windowRuns === 1 ? 'the first run vs the last' : `median of the first ${trend.windowRuns} runs vs the last ${trend.windowRuns}`;
  return (
    `Memory regression in ${stats.name}: its peak grew ${formatSignedPercent(trend.growthPercent)} ` +
    `(${formatBytes(trend.firstPeakBytes)} → ${formatBytes(trend.lastPeakBytes)}, ${window}; more than ${REGRESSION_GROWTH_PERCENT}% is flagged).`
  );
}

/** How many tests the "highest peak" table lists. */
export const HIGHEST_PEAK_TESTS = 10;

const PLAIN_TABLE = {
  // Plain text: cli-table3 would colour the header and borders itself.
  style: { head: [], border: [] },
  chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
};

/** The tests with the highest p95 peak, as a sentence saying what the figure is and a table; none when no test's peak was recorded. */
function describeTestPeaks(history: History): string[] {
  const highest = highestTestPeaks(history, HIGHEST_PEAK_TESTS);
  if (highest.length === 0) return [];
  const table = new Table({ head: ['Test', 'Runs', 'p95 peak', 'Measured'], colAligns: ['left', 'right', 'right', 'left'], ...PLAIN_TABLE });
  for (const test of highest) {
    table.push([
      test.nodeid,
      String(test.runs),
      test.allExact ? formatBytes(test.p95PeakRssBytes) : `≥ ${formatBytes(test.p95PeakRssBytes)}`,
      test.allExact ? 'exact' : 'lower bound in some run',
    ]);
  }
  return [
    'Tests with the highest peak RSS in their own process (nearest-rank p95 over the runs that measured each; ' +
      '"≥": some run knew only the larger of its start and end RSS, a lower bound):',
    table.toString(),
  ];
}

/** The `run-chunks history` text: a table of every chunk in the history, its regressions, and the tests with the highest peak. */
export function formatHistoryTable(history: History): string {
  if (history.runs.length === 0) return 'The run history is empty: each run of run-chunks adds itself to it, so run some chunks first.';
  const all = chunkNames(history).map((name) => chunkStats(history, name)!);
  const showGpu = all.some((stats) => stats.p95PeakGpuBytes !== null);
  const head = ['Chunk', 'Runs', 'Last status', 'Median time', 'p95 time', 'Median peak', 'p95 peak', 'p95 per worker', 'Peak trend'];
  if (showGpu) head.push('p95 GPU');
  const table = new Table({
    head,
    colAligns: ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ...PLAIN_TABLE,
  });
  for (const stats of all) {
    const row = [
      stats.name,
      String(stats.runs),
      stats.lastStatus,
      duration(stats.medianDurationMs),
      duration(stats.p95DurationMs),
      bytes(stats.medianPeakBytes),
      stats.p95PeakIsLowerBound ? `≥ ${bytes(stats.p95PeakBytes)}` : bytes(stats.p95PeakBytes),
      bytes(stats.peakPerWorkerBytes),
      describeTrend(stats.trend),
    ];
    if (showGpu) row.push(bytes(stats.p95PeakGpuBytes));
    table.push(row);
  }
  const first = history.runs[0]!;
  const last = history.runs.at(-1)!;
  const span = history.runs.length === 1 ? `1 run (${first.startedAt})` : `${history.runs.length} runs (${first.startedAt} to ${last.startedAt})`;
  const regressions = all.flatMap((stats) => (stats.trend?.regression ? [describeRegression(stats, stats.trend)] : []));
  const stopped = all.filter((stats) => stats.stoppedRuns > 0);
  const stoppedNote =
    stopped.length === 0
      ? []
      : [
          `Stopped runs (killed, over a limit, timed out or crashed) measured lower bounds: ${stopped.map((stats) => `${stats.name} ${stats.stoppedRuns}`).join(', ')}. ` +
            'They are left out of the medians and the trend, and raise the p95 figures to at least what they reached ("≥" where that decides the figure).',
        ];
  const uncounted = all.filter((stats) => stats.uncountedRuns > 0);
  const uncountedNote =
    uncounted.length === 0
      ? []
      : [
          `Runs not counted (an error such as pytest failing to start, no tests, interrupted, or one shard): ${uncounted.map((stats) => `${stats.name} ${stats.uncountedRuns}`).join(', ')}. ` +
            'They measured nothing a whole run needs, so no figure, forecast or regression uses them.',
        ];
  return [`Run history: ${span}.`, table.toString(), ...regressions, ...stoppedNote, ...uncountedNote, ...describeTestPeaks(history)].join('\n');
}
