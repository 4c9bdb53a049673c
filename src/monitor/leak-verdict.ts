// Judges whether a chunk's memory timeline looks like a leak. Pure: the samples come from elsewhere.
//
// The rules, in order:
// 1. Warm-up: points before `warmupMs` are dropped (loading models and fixtures is not a leak), but
//    the last 80% of the sampled span is always kept, so a short run is not dropped whole. Where
//    the tests' start is known (`testsFromMs`: the moment the last pytest process began its first
//    test), everything before it is dropped too: collection and xdist worker start-up are not tests.
//    Fewer than 5 points left, or a window under 1 s, gives 'unknown'.
// 2. The slope is the least-squares slope over the window. Growth is read off the fitted line
//    (slope × window duration ÷ fitted value at the window's start), never off the raw endpoints,
//    so a sawtooth that allocates and frees does not look like growth.
// 3. Plateaued: the whole slope is positive, the last third of the window has at least 6 points,
//    and its slope is below 25% of the whole slope and below the slope threshold.
// 4. Sustained slope: the whole window's slope and the last half's slope both exceed the threshold.
// 5. 'leak' when growth exceeds the allowance without a plateau, or the slope is sustained;
//    'warning' when growth exceeds the allowance but levelled off, or only the whole slope is too
//    steep; otherwise 'stable'. Growth under MIN_TIMELINE_GROWTH_BYTES over the window is always
//    'stable' (a steep slope over two seconds is a few MiB).

import { formatBytes } from '../config/parse-size.js';
import { formatPercent, formatSignedPercent } from '../util/format-percent.js';

export { formatPercent };

/** One memory sample; `tMs` counts from the chunk's start. */
export interface MemoryPoint {
  tMs: number;
  bytes: number;
}

/** Limits a timeline is judged against; an undefined `maxGrowthPercent` scales with the run's duration. */
export interface LeakThresholds {
  maxGrowthPercent: number | undefined;
  maxSlopeBytesPerSec: number;
  warmupMs: number;
}

/** Defaults from the leak-testing guides users follow: growth by duration, 1 MB/s, 5 s of warm-up. */
export const DEFAULT_LEAK_THRESHOLDS: LeakThresholds = {
  maxGrowthPercent: undefined,
  maxSlopeBytesPerSec: 1_000_000,
  warmupMs: 5_000,
};

/** What `analyzeLeak` concluded, with the figures behind it (null where there were too few samples). */
export interface LeakAnalysis {
  verdict: 'stable' | 'warning' | 'leak' | 'unknown';
  slopeBytesPerSec: number | null;
  growthPercent: number | null;
  allowedGrowthPercent: number;
  plateaued: boolean | null;
  analysedSamples: number;
  reason: string;
}

// Growth under this in all is stable whatever its rate: the same floor as the test series'.
export const MIN_TIMELINE_GROWTH_BYTES = 16 * 1024 * 1024;
// Fewer samples or a shorter window than this makes any slope noise.
const MIN_SAMPLES = 5;
const MIN_WINDOW_MS = 1_000;
// Short runs keep at least this share of their span, however long the configured warm-up.
const MAX_WARMUP_SHARE = 0.2;
// A plateau needs enough points at the end to tell "flat" from one lucky sample.
const MIN_PLATEAU_SAMPLES = 6;
const PLATEAU_SLOPE_SHARE = 0.25;
// Under 1% either way, RSS moves that much from allocator noise alone: call it flat.
const FLAT_PERCENT = 1;

/** Growth the guides accept for a run this long: 5% up to 1 min, 10% at 5 min, 15% from 10 min on. */
export function allowedGrowthPercent(durationMs: number): number {
  const minutes = durationMs / 60_000;
  if (minutes <= 1) return 5;
  if (minutes <= 5) return 5 + ((minutes - 1) / 4) * 5;
  if (minutes <= 10) return 10 + ((minutes - 5) / 5) * 5;
  return 15;
}

/** Least-squares line through the points; a flat line through their mean when time does not vary. */
export function fitLine(points: MemoryPoint[]): { slopeBytesPerMs: number; interceptBytes: number } {
  if (points.length === 0) return { slopeBytesPerMs: 0, interceptBytes: 0 };
  const meanTMs = points.reduce((sum, point) => sum + point.tMs, 0) / points.length;
  const meanBytes = points.reduce((sum, point) => sum + point.bytes, 0) / points.length;
  // Centred sums: raw tMs × bytes products reach 1e16 and would lose precision.
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.tMs - meanTMs) * (point.bytes - meanBytes);
    variance += (point.tMs - meanTMs) ** 2;
  }
  const slopeBytesPerMs = variance === 0 ? 0 : covariance / variance;
  return { slopeBytesPerMs, interceptBytes: meanBytes - slopeBytesPerMs * meanTMs };
}

/** Judges a memory timeline against the thresholds (rules at the top of this file). */
export function analyzeLeak(points: MemoryPoint[], thresholds: LeakThresholds, testsFromMs: number | null = null): LeakAnalysis {
  const sorted = [...points].sort((a, b) => a.tMs - b.tMs);
  const runMs = sorted.at(-1)?.tMs ?? 0;
  // The guides scale the allowance with how long the test ran, not with the part left after warm-up.
  const allowed = thresholds.maxGrowthPercent ?? allowedGrowthPercent(runMs);
  const window = sorted.filter((point) => point.tMs >= warmupEndMs(sorted, thresholds.warmupMs, testsFromMs));
  const startMs = window[0]?.tMs ?? 0;
  const windowMs = (window.at(-1)?.tMs ?? 0) - startMs;
  if (window.length < MIN_SAMPLES || windowMs < MIN_WINDOW_MS) {
    return {
      verdict: 'unknown',
      slopeBytesPerSec: null,
      growthPercent: null,
      allowedGrowthPercent: allowed,
      plateaued: null,
      analysedSamples: window.length,
      reason: `too short to judge (${window.length} ${window.length === 1 ? 'sample' : 'samples'} over ${formatSeconds(windowMs)})`,
    };
  }

  const line = fitLine(window);
  const slopeBytesPerSec = line.slopeBytesPerMs * 1000;
  const fittedStartBytes = line.interceptBytes + line.slopeBytesPerMs * startMs;
  // A fitted start at or below zero has no meaningful percentage; the slope rules still apply.
  const growthPercent = fittedStartBytes > 0 ? ((line.slopeBytesPerMs * windowMs) / fittedStartBytes) * 100 : null;
  const maxSlope = thresholds.maxSlopeBytesPerSec;
  // Whether it levelled off is judged up to the last point near the peak: memory released in
  // the chunk's last moments (a test returning, the session tearing down) is not a plateau.
  const beforeRelease = trimFinalRelease(window);
  const judgedMs = (beforeRelease.at(-1)?.tMs ?? startMs) - startMs;
  const plateaued = isPlateaued(beforeRelease, startMs + (judgedMs * 2) / 3, slopeBytesPerSec, maxSlope);
  const lastHalfSlopeBytesPerSec = slopeSince(beforeRelease, startMs + judgedMs / 2);
  const sustained = slopeBytesPerSec > maxSlope && lastHalfSlopeBytesPerSec > maxSlope;
  const grewTooMuch = growthPercent !== null && growthPercent > allowed;
  const grewWithoutLevelling = grewTooMuch && !plateaued;
  // Under this much growth in all, neither a percentage nor a slope over a short window says
  // anything (an xdist controller gathering its workers' reports for a few seconds grows this way).
  const grewBytes = line.slopeBytesPerMs * windowMs;
  const tooLittle = grewBytes < MIN_TIMELINE_GROWTH_BYTES;
  const verdict: LeakAnalysis['verdict'] = tooLittle
    ? 'stable'
    : grewWithoutLevelling || sustained
      ? 'leak'
      : grewTooMuch || slopeBytesPerSec > maxSlope
        ? 'warning'
        : 'stable';
  const facts: Facts = { slopeBytesPerSec, growthPercent, allowed, maxSlope, windowMs, grewTooMuch: grewTooMuch && !tooLittle, grewWithoutLevelling: grewWithoutLevelling && !tooLittle, tooLittleBytes: tooLittle && (grewTooMuch || slopeBytesPerSec > maxSlope) ? grewBytes : null };
  return {
    verdict,
    slopeBytesPerSec,
    growthPercent,
    allowedGrowthPercent: allowed,
    plateaued,
    analysedSamples: window.length,
    reason: describe(verdict, facts),
  };
}

/** Whether a count (threads, open files) never went down and ended above where it started. */
export function onlyGrows(values: number[]): boolean {
  if (values.length < 2) return false;
  for (let index = 1; index < values.length; index += 1) {
    if (values[index]! < values[index - 1]!) return false;
  }
  return values.at(-1)! > values[0]!;
}

/** Where the warm-up of a sorted timeline ends (rule 1). */
export function warmupEndMs(sorted: readonly MemoryPoint[], warmupMs: number, testsFromMs: number | null): number {
  const firstTMs = sorted[0]?.tMs ?? 0;
  const spanMs = (sorted.at(-1)?.tMs ?? 0) - firstTMs;
  return Math.max(Math.min(warmupMs, firstTMs + spanMs * MAX_WARMUP_SHARE), testsFromMs ?? -Infinity);
}

// A fall to below this share of the peak, at the end, counts as a final release.
const RELEASE_SHARE = 0.9;

/** The window up to its last point at 90% of the peak or more (all of it when it ends high). */
function trimFinalRelease(window: MemoryPoint[]): MemoryPoint[] {
  const peak = window.reduce((high, point) => Math.max(high, point.bytes), 0);
  let last = window.length - 1;
  while (last > 0 && window[last]!.bytes < peak * RELEASE_SHARE) last -= 1;
  return window.slice(0, last + 1);
}

function slopeSince(window: MemoryPoint[], fromMs: number): number {
  return fitLine(window.filter((point) => point.tMs >= fromMs)).slopeBytesPerMs * 1000;
}

function isPlateaued(window: MemoryPoint[], lastThirdMs: number, slopeBytesPerSec: number, maxSlope: number): boolean {
  // A flat or falling window has nothing to level off from.
  if (slopeBytesPerSec <= 0) return false;
  const lastThird = window.filter((point) => point.tMs >= lastThirdMs);
  if (lastThird.length < MIN_PLATEAU_SAMPLES) return false;
  const tailSlopeBytesPerSec = fitLine(lastThird).slopeBytesPerMs * 1000;
  return tailSlopeBytesPerSec < slopeBytesPerSec * PLATEAU_SLOPE_SHARE && tailSlopeBytesPerSec < maxSlope;
}

interface Facts {
  slopeBytesPerSec: number;
  growthPercent: number | null;
  allowed: number;
  maxSlope: number;
  windowMs: number;
  grewTooMuch: boolean;
  grewWithoutLevelling: boolean;
  /** Set when the rules would have flagged it, but it grew under MIN_TIMELINE_GROWTH_BYTES in all. */
  tooLittleBytes: number | null;
}

function describe(verdict: LeakAnalysis['verdict'], facts: Facts): string {
  const { growthPercent } = facts;
  const rate = `${formatBytes(facts.slopeBytesPerSec)}/s`;
  const limit = `limit ${formatBytes(facts.maxSlope)}/s`;
  const allowed = formatPercent(facts.allowed);
  const span = `over ${formatSeconds(facts.windowMs)}`;
  const change = growthPercent === null ? span : `${formatSignedPercent(growthPercent)} ${span}`;
  const grew = `memory grew ${formatPercent(growthPercent ?? 0)} (allowed ${allowed})`;
  if (facts.tooLittleBytes !== null) return `memory grew ${formatBytes(Math.max(0, facts.tooLittleBytes))} (${change}, at ${rate}), under the ${formatBytes(MIN_TIMELINE_GROWTH_BYTES)} that count`;
  if (facts.grewWithoutLevelling) return `${grew} at ${rate} and was still growing at the end`;
  if (verdict === 'leak') return `memory kept growing at ${rate} (${limit}) to the end: ${change}`;
  if (facts.grewTooMuch) return `${grew} but levelled off`;
  if (verdict === 'warning') return `memory grew at ${rate} (${limit}) but slowed down: ${change}`;
  if (growthPercent === null || Math.abs(growthPercent) < FLAT_PERCENT) return `flat: ${change}`;
  if (growthPercent < 0) return `memory shrank ${formatPercent(-growthPercent)} ${span}`;
  return `memory grew ${formatPercent(growthPercent)} ${span}, within the ${allowed} allowed`;
}

function formatSeconds(durationMs: number): string {
  return `${Number((durationMs / 1000).toFixed(1))} s`;
}
