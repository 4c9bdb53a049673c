import type { PeakSource } from '../results/test-records.js';
import { percentile } from './history-stats.js';
import { readChunkTests } from './history-tests.js';
import type { History } from './history-types.js';

// Each test's peak RSS over the kept runs, for forecasts: a memory scheduler admits a test when
// its expected peak fits. Pure functions of a History.

/** What the history says about one test's peak RSS. */
export interface TestPeakForecast {
  nodeid: string;
  /**
   * The nearest-rank p95 of its peaks over the runs that measured one (see `percentile`): always
   * one of the measured peaks; with fewer than 20 runs (the history keeps 10 by default), the largest.
   */
  p95PeakRssBytes: number;
  /** How many runs measured a peak of it: the p95 rests on these. */
  runs: number;
  /**
   * True when every one of those runs measured it exactly ('hwm'). False when some run knew only a
   * lower bound ('start-end'): then the true p95 is at least p95PeakRssBytes, never less.
   */
  allExact: boolean;
}

interface RunPeak {
  bytes: number;
  source: PeakSource;
}

/** Each test's peak per run, oldest run first; a test recorded in two chunks of a run counts once, at its higher peak. */
function peaksByTest(history: History): Map<string, RunPeak[]> {
  const byTest = new Map<string, RunPeak[]>();
  for (const run of history.runs) {
    const inRun = new Map<string, RunPeak>();
    for (const chunk of run.chunks) {
      for (const [nodeid, sample] of readChunkTests(history, chunk)) {
        if (sample.peak === null) continue;
        const seen = inRun.get(nodeid);
        if (seen === undefined || sample.peak.bytes > seen.bytes) inRun.set(nodeid, sample.peak);
      }
    }
    for (const [nodeid, peak] of inRun) {
      const list = byTest.get(nodeid);
      if (list) list.push(peak);
      else byTest.set(nodeid, [peak]);
    }
  }
  return byTest;
}

/**
 * Every test's peak forecast, keyed by node id; tests whose peak was never measured are absent.
 * One pass over the history: build it once where many tests are looked up (a scheduler).
 */
export function testPeakForecasts(history: History): Map<string, TestPeakForecast> {
  const forecasts = new Map<string, TestPeakForecast>();
  for (const [nodeid, peaks] of peaksByTest(history)) {
    forecasts.set(nodeid, {
      nodeid,
      p95PeakRssBytes: percentile(peaks.map((peak) => peak.bytes), 95)!,
      runs: peaks.length,
      allExact: peaks.every((peak) => peak.source === 'hwm'),
    });
  }
  return forecasts;
}

/** One test's peak forecast; null when no kept run measured its peak. */
export function testPeakForecast(history: History, nodeid: string): TestPeakForecast | null {
  return testPeakForecasts(history).get(nodeid) ?? null;
}

/** The tests with the highest p95 peak, highest first (ties by node id, so the order is stable). */
export function highestTestPeaks(history: History, limit: number): TestPeakForecast[] {
  return [...testPeakForecasts(history).values()]
    .sort((a, b) => b.p95PeakRssBytes - a.p95PeakRssBytes || (a.nodeid < b.nodeid ? -1 : a.nodeid > b.nodeid ? 1 : 0))
    .slice(0, limit);
}
