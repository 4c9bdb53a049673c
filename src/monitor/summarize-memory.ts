import { readFileSync } from 'node:fs';
import { bucketMaxima } from '../util/bucket-maxima.js';
import { analyzeLeak, onlyGrows, warmupEndMs, type LeakThresholds } from './leak-verdict.js';
import type { TestSeriesLeak } from './test-series-leak.js';
import type { MonitorTotals } from './chunk-monitor.js';
import type { MemorySample } from './sample-types.js';

/** A count (threads, file descriptors) over the chunk's life. */
export interface CountTrend {
  start: number;
  end: number;
  peak: number;
  /** Never went down and ended above its start: the signature of a thread or fd leak. */
  onlyGrows: boolean;
}

/** The memory part of a chunk's report. */
export interface MemorySummary {
  /** What memoryLimit is checked against: PSS where the kernel provides it, else RSS. */
  metric: 'pss' | 'rss';
  intervalMs: number;
  samples: number;
  peakRssBytes: number;
  peakPssBytes: number | null;
  startRssBytes: number | null;
  endRssBytes: number | null;
  /** The timeline's fitted slope and growth after its warm-up (the second witness's figures). */
  slopeBytesPerSec: number | null;
  growthPercent: number | null;
  allowedGrowthPercent: number;
  /** The chunk's leak verdict: from its test series where the plugin gave one, else from its timeline. */
  verdict: 'stable' | 'warning' | 'leak' | 'unknown';
  verdictReason: string;
  verdictSource: 'test-series' | 'timeline';
  /** Each pytest process judged from its RSS after each test (see test-series-leak.ts); null without per-test figures. */
  testSeries: TestSeriesLeak | null;
  /** What the tree's RSS over time says, after collection and worker start-up. */
  timelineVerdict: 'stable' | 'warning' | 'leak' | 'unknown';
  timelineVerdictReason: string;
  peakProcesses: number;
  threads: CountTrend | null;
  fds: CountTrend | null;
  /** RSS over the chunk's life in at most TIMELINE_POINTS buckets (each the bucket's maximum). */
  rssTimelineBytes: number[];
}

/** How many points the report keeps of the timeline (the full one is in samples.jsonl). */
export const TIMELINE_POINTS = 32;

function readSamples(samplesFile: string): MemorySample[] {
  let text = '';
  try {
    text = readFileSync(samplesFile, 'utf8');
  } catch {
    return [];
  }
  const samples: MemorySample[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      samples.push(JSON.parse(line) as MemorySample);
    } catch {
      // A line cut short by a full disk; the others still count.
    }
  }
  return samples;
}

/** The RSS of each sample of a timeline file that had a live process, in order (for a timeline across attempts). */
export function readSampleRss(samplesFile: string): number[] {
  return readSamples(samplesFile)
    .filter((sample) => sample.processes > 0)
    .map((sample) => sample.rssBytes);
}

// Start-up adds threads and files (xdist workers, imports); a leak keeps adding them. Counted
// after the warm-up, and only a count that rose at least this many separate times is flagged.
const MIN_RISES_FOR_A_LEAK = 3;
const MIN_SAMPLES_FOR_A_TREND = 5;

function trendOf(values: number[], afterWarmup: number[]): CountTrend | null {
  if (values.length === 0) return null;
  const rises = afterWarmup.filter((value, index) => index > 0 && value > afterWarmup[index - 1]!).length;
  return {
    start: values[0]!,
    end: values.at(-1)!,
    peak: values.reduce((high, value) => Math.max(high, value)),
    onlyGrows: afterWarmup.length >= MIN_SAMPLES_FOR_A_TREND && rises >= MIN_RISES_FOR_A_LEAK && onlyGrows(afterWarmup),
  };
}

/**
 * Summarises a chunk's timeline from its samples file: peaks, start and end, the leak verdict
 * (on RSS), thread and fd trends. Samples taken after the last process was gone are left out.
 */
export function summarizeMemory(
  samplesFile: string,
  totals: MonitorTotals,
  intervalMs: number,
  thresholds: LeakThresholds,
  tests: { series: TestSeriesLeak | null; fromMs: number | null } = { series: null, fromMs: null },
): MemorySummary {
  const samples = readSamples(samplesFile).filter((sample) => sample.processes > 0);
  // The verdict reads RSS, sampled every time; PSS is read every few seconds only, and shared
  // pages change slowly, so they shift RSS's level rather than its slope.
  const points = samples.map((sample) => ({ tMs: sample.t, bytes: sample.rssBytes }));
  const analysis = analyzeLeak(points, thresholds, tests.fromMs);
  // The same warm-up as the verdict's: threads and files opened by start-up are not a leak.
  const cutoffMs = warmupEndMs(points, thresholds.warmupMs, tests.fromMs);
  const settled = samples.filter((sample) => sample.t >= cutoffMs);
  const series = tests.series;
  // Too few tests to judge: the verdict stays unknown, but what the timeline saw is said.
  const witness = series && series.verdict === 'unknown' && (analysis.verdict === 'leak' || analysis.verdict === 'warning') ? `; its timeline, the second witness, says ${analysis.verdict}: ${analysis.reason}` : '';
  return {
    metric: totals.peakPssBytes === null ? 'rss' : 'pss',
    intervalMs,
    samples: totals.samples,
    peakRssBytes: totals.peakRssBytes,
    peakPssBytes: totals.peakPssBytes,
    startRssBytes: samples[0]?.rssBytes ?? null,
    endRssBytes: samples.at(-1)?.rssBytes ?? null,
    slopeBytesPerSec: analysis.slopeBytesPerSec === null ? null : Math.round(analysis.slopeBytesPerSec),
    growthPercent: analysis.growthPercent === null ? null : Math.round(analysis.growthPercent * 10) / 10,
    allowedGrowthPercent: analysis.allowedGrowthPercent,
    verdict: series ? series.verdict : analysis.verdict,
    verdictReason: series ? `${series.reason}${witness}` : analysis.reason,
    verdictSource: series ? 'test-series' : 'timeline',
    testSeries: series,
    timelineVerdict: analysis.verdict,
    timelineVerdictReason: analysis.reason,
    peakProcesses: totals.peakProcesses,
    threads: trendOf(
      samples.flatMap((sample) => (sample.threads === null ? [] : [sample.threads])),
      settled.flatMap((sample) => (sample.threads === null ? [] : [sample.threads])),
    ),
    fds: trendOf(
      samples.flatMap((sample) => (sample.fds === null ? [] : [sample.fds])),
      settled.flatMap((sample) => (sample.fds === null ? [] : [sample.fds])),
    ),
    rssTimelineBytes: bucketMaxima(
      samples.map((sample) => sample.rssBytes),
      TIMELINE_POINTS,
    ),
  };
}
