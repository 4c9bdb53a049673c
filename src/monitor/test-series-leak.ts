// Judges leaks from the series of tests, not from the tree's RSS over time. Pure.
//
// Each pytest process (an xdist worker, or a chunk's one pytest) is judged alone, from its RSS
// after each test's teardown, in the order its tests ran:
// 1. Warm-up, counted in tests: the first WARMUP_SHARE of them (at least WARMUP_MIN_TESTS) are
//    left out; so is, anywhere, the growth of a test that set up a fixture shared beyond it or
//    imported modules (one-time costs, see TestRecord.oneTimeSetup). Fewer than MIN_JUDGED_TESTS
//    left: 'unknown'.
// 2. What is left is the growth no one-time cost explains, added up test by test; a
//    least-squares line over that sum gives the growth per test and over the judged tests.
// 3. 'stable' when that growth is within the allowance: the larger of the allowed share of the
//    process's RSS after warm-up (5% up to a minute, 15% from 10 minutes, as for the timeline)
//    and MIN_LEAK_BYTES, or under MIN_BYTES_PER_TEST per test (pytest's own per-test bookkeeping
//    is of that order).
// 4. Past it: 'leak' when the last third of the judged tests still rises at half the whole
//    rate or more, and more than CONCENTRATED_TESTS tests carry the growth; 'warning' when it
//    slowed down but did not stop, or when one or two tests carry nearly all of it (a one-time
//    allocation cannot be told from a leak by one run); 'stable' when it levelled off (a cache
//    that filled).
// The chunk's verdict is the worst of its judged processes'; the tests whose runs carry the
// growth of a leaking or warned process are named, grouped by test function.

import { formatBytes } from '../config/parse-size.js';
import type { TestRecord } from '../results/test-records.js';
import { allowedGrowthPercent, fitLine, formatPercent } from './leak-verdict.js';

/** One test as the series needs it, in the order its process ran them. */
export interface SeriesTest {
  nodeid: string;
  rssEndBytes: number;
  /** Set up a shared fixture or imported modules: its growth is one-time, not a leak. */
  oneTimeSetup: boolean;
  durationMs: number;
}

/** The tests of one pytest process, in order. */
export interface ProcessSeries {
  pid: number;
  worker: string | null;
  tests: SeriesTest[];
}

export type SeriesVerdict = 'stable' | 'warning' | 'leak' | 'unknown';

/** One process's verdict, with the figures behind it. */
export interface ProcessLeakVerdict {
  pid: number;
  worker: string | null;
  verdict: SeriesVerdict;
  tests: number;
  warmupTests: number;
  judgedTests: number;
  /** Growth over the judged tests that no one-time setup explains, read off the fitted line; null when not judged. */
  growthBytes: number | null;
  /** That growth against the process's RSS after its warm-up. */
  growthPercent: number | null;
  /** The growth allowed before it counts (see rule 3). */
  allowedBytes: number | null;
  bytesPerTest: number | null;
  /** Slope of the last third of the judged tests against the whole slope (1: still rising as fast). */
  tailRatio: number | null;
  reason: string;
}

/** A test function whose runs carried a leaking or warned process's growth. */
export interface LeakSuspect {
  /** The node id without its parametrization ("tests/test_a.py::test_cache"). */
  test: string;
  runs: number;
  growthBytes: number;
  /** Its share of its processes' positive growth, 0 to 1. */
  share: number;
}

export interface TestSeriesLeak {
  verdict: SeriesVerdict;
  reason: string;
  processes: ProcessLeakVerdict[];
  suspects: LeakSuspect[];
}

export const WARMUP_MIN_TESTS = 3;
export const WARMUP_SHARE = 0.1;
export const MIN_JUDGED_TESTS = 10;
export const MIN_LEAK_BYTES = 16 * 1024 * 1024;
export const MIN_BYTES_PER_TEST = 64 * 1024;
const LEAK_TAIL_RATIO = 0.5;
const WARNING_TAIL_RATIO = 0.2;
// When the largest this many tests carry this share of the growth, it is a step, not a rise.
const CONCENTRATED_TESTS = 2;
const CONCENTRATED_SHARE = 0.8;
const MAX_SUSPECTS = 5;
const SUSPECTS_SHARE = 0.9;

/** Outcomes of tests that ended on their own (pytest reported them), unlike killed, crashed or never-run ones. */
const ENDED_ON_THEIR_OWN: readonly TestRecord['outcome'][] = ['passed', 'failed', 'skipped', 'error', 'xfailed', 'xpassed'];

/**
 * Each pytest process's tests that ended on their own with an RSS at their end, in the order
 * they ran (records arrive in event order, and each process writes its own in order).
 */
export function seriesOf(records: readonly TestRecord[]): ProcessSeries[] {
  const byPid = new Map<number, ProcessSeries>();
  for (const record of records) {
    if (record.pid === null || record.rssEndBytes === null || record.durationMs === null) continue;
    if (!ENDED_ON_THEIR_OWN.includes(record.outcome)) continue;
    let series = byPid.get(record.pid);
    if (!series) byPid.set(record.pid, (series = { pid: record.pid, worker: record.worker, tests: [] }));
    series.tests.push({ nodeid: record.nodeid, rssEndBytes: record.rssEndBytes, oneTimeSetup: record.oneTimeSetup === true, durationMs: record.durationMs });
  }
  return [...byPid.values()];
}

const SEVERITY: readonly SeriesVerdict[] = ['unknown', 'stable', 'warning', 'leak'];

/** Judges one process's series (rules at the top of this file); `maxGrowthPercent` overrides the allowance by duration. */
export function judgeProcess(series: ProcessSeries, maxGrowthPercent: number | undefined): { verdict: ProcessLeakVerdict; deltas: { nodeid: string; bytes: number }[] } {
  const { tests } = series;
  const warmupTests = Math.min(tests.length, Math.max(WARMUP_MIN_TESTS, Math.ceil(tests.length * WARMUP_SHARE)));
  const judged = tests.length - warmupTests;
  const base = { pid: series.pid, worker: series.worker, tests: tests.length, warmupTests, judgedTests: judged };
  if (judged < MIN_JUDGED_TESTS)
    return {
      verdict: { ...base, verdict: 'unknown', growthBytes: null, growthPercent: null, allowedBytes: null, bytesPerTest: null, tailRatio: null, reason: `too few tests to judge (${tests.length}, of which ${warmupTests} warm-up; ${MIN_JUDGED_TESTS} more needed)` },
      deltas: [],
    };

  // The growth no one-time setup explains, summed test by test from the end of the warm-up.
  const deltas: { nodeid: string; bytes: number }[] = [];
  const points: { tMs: number; bytes: number }[] = [{ tMs: 0, bytes: 0 }];
  let unexplained = 0;
  for (let index = warmupTests; index < tests.length; index += 1) {
    const test = tests[index]!;
    const bytes = test.oneTimeSetup ? 0 : test.rssEndBytes - tests[index - 1]!.rssEndBytes;
    unexplained += bytes;
    deltas.push({ nodeid: test.nodeid, bytes });
    points.push({ tMs: index - warmupTests + 1, bytes: unexplained });
  }
  const slope = fitLine(points).slopeBytesPerMs;
  const growthBytes = slope * judged;
  const startBytes = tests[warmupTests - 1]?.rssEndBytes ?? tests[0]!.rssEndBytes;
  const runMs = tests.reduce((sum, test) => sum + test.durationMs, 0);
  const allowedPercent = maxGrowthPercent ?? allowedGrowthPercent(runMs);
  const allowedBytes = Math.max(MIN_LEAK_BYTES, (startBytes * allowedPercent) / 100);
  const tail = points.slice(Math.floor((points.length * 2) / 3));
  const tailRatio = slope > 0 ? fitLine(tail).slopeBytesPerMs / slope : null;
  const growthPercent = startBytes > 0 ? (growthBytes / startBytes) * 100 : null;
  const figures = { growthBytes: Math.round(growthBytes), growthPercent: growthPercent === null ? null : round1(growthPercent), allowedBytes: Math.round(allowedBytes), bytesPerTest: Math.round(slope), tailRatio: tailRatio === null ? null : round2(tailRatio) };
  const grew = `grew ${formatBytes(Math.max(0, growthBytes))} over ${judged} tests after ${warmupTests} of warm-up (${formatBytes(Math.max(0, slope))} per test)`;
  const allowance = `allowed ${formatBytes(allowedBytes)}: the larger of ${formatPercent(allowedPercent)} of ${formatBytes(startBytes)} and ${formatBytes(MIN_LEAK_BYTES)}`;

  let verdict: SeriesVerdict;
  let reason: string;
  if (growthBytes <= allowedBytes || slope < MIN_BYTES_PER_TEST) {
    verdict = 'stable';
    reason = growthBytes <= allowedBytes ? `${grew}, within the ${allowance}` : `${grew}, under ${formatBytes(MIN_BYTES_PER_TEST)} per test`;
  } else {
    const positive = deltas.filter((delta) => delta.bytes > 0).sort((a, b) => b.bytes - a.bytes);
    const positiveBytes = positive.reduce((sum, delta) => sum + delta.bytes, 0);
    const topBytes = positive.slice(0, CONCENTRATED_TESTS).reduce((sum, delta) => sum + delta.bytes, 0);
    const concentrated = positive.length <= CONCENTRATED_TESTS || topBytes >= positiveBytes * CONCENTRATED_SHARE;
    const ratio = tailRatio ?? 0;
    if (concentrated) {
      verdict = 'warning';
      reason = `${grew}, past the ${allowance}, but ${positive.length === 1 ? 'one test carries' : `${Math.min(CONCENTRATED_TESTS, positive.length)} tests carry`} ${formatPercent((topBytes / positiveBytes) * 100)} of it (${positive.slice(0, CONCENTRATED_TESTS).map((delta) => delta.nodeid).join(', ')}): a one-time allocation, or a leak one run cannot tell apart`;
    } else if (ratio >= LEAK_TAIL_RATIO) {
      verdict = 'leak';
      reason = `${grew}, past the ${allowance}, and was still rising over the last third of its tests`;
    } else if (ratio >= WARNING_TAIL_RATIO) {
      verdict = 'warning';
      reason = `${grew}, past the ${allowance}, but slowed to ${formatPercent(ratio * 100)} of that rate over the last third`;
    } else {
      verdict = 'stable';
      reason = `${grew}, then levelled off over the last third of its tests (warm-up: a cache filling, say)`;
    }
  }
  return { verdict: { ...base, verdict, ...figures, reason }, deltas };
}

/** Judges every process of a chunk and names the tests that carry the growth of those not stable. */
export function judgeTestSeries(series: readonly ProcessSeries[], maxGrowthPercent: number | undefined): TestSeriesLeak | null {
  if (series.length === 0) return null;
  const judged = series.map((one) => judgeProcess(one, maxGrowthPercent));
  const processes = judged.map((one) => one.verdict);
  const worst = processes.reduce((top, one) => (SEVERITY.indexOf(one.verdict) > SEVERITY.indexOf(top.verdict) ? one : top));
  const suspects = nameSuspects(judged.filter((one) => one.verdict.verdict === 'leak' || one.verdict.verdict === 'warning').flatMap((one) => one.deltas));
  const unknown = processes.filter((one) => one.verdict === 'unknown').length;
  const who = (one: ProcessLeakVerdict): string => (one.worker === null ? `pytest (pid ${one.pid})` : `worker ${one.worker} (pid ${one.pid})`);
  let reason: string;
  if (worst.verdict === 'unknown') reason = processes.length === 1 ? worst.reason : `every process ran too few tests to judge (${MIN_JUDGED_TESTS + WARMUP_MIN_TESTS} needed each)`;
  else {
    const others = processes.length > 1 ? `; ${processes.filter((one) => one.verdict === worst.verdict).length} of ${processes.length} processes ${worst.verdict}${unknown > 0 ? `, ${unknown} too short to judge` : ''}` : '';
    const named = suspects.length > 0 && worst.verdict !== 'stable' ? `; carried by ${suspects.slice(0, 3).map((suspect) => `${suspect.test} (${suspect.runs} ${suspect.runs === 1 ? 'run' : 'runs'}, ${formatBytes(suspect.growthBytes)})`).join(', ')}` : '';
    reason = `${who(worst)} ${worst.reason}${others}${named}`;
  }
  return { verdict: worst.verdict, reason, processes, suspects };
}

/** The test functions carrying the growth, largest first, until SUSPECTS_SHARE of it is named. */
function nameSuspects(deltas: readonly { nodeid: string; bytes: number }[]): LeakSuspect[] {
  const byTest = new Map<string, { runs: number; growthBytes: number }>();
  for (const delta of deltas) {
    if (delta.bytes <= 0) continue;
    const test = delta.nodeid.replace(/\[.*\]$/s, '');
    const entry = byTest.get(test) ?? { runs: 0, growthBytes: 0 };
    entry.runs += 1;
    entry.growthBytes += delta.bytes;
    byTest.set(test, entry);
  }
  const total = [...byTest.values()].reduce((sum, entry) => sum + entry.growthBytes, 0);
  const ranked = [...byTest.entries()].sort((a, b) => b[1].growthBytes - a[1].growthBytes);
  const suspects: LeakSuspect[] = [];
  let named = 0;
  for (const [test, entry] of ranked) {
    if (suspects.length >= MAX_SUSPECTS || named >= total * SUSPECTS_SHARE) break;
    suspects.push({ test, runs: entry.runs, growthBytes: entry.growthBytes, share: round2(entry.growthBytes / total) });
    named += entry.growthBytes;
  }
  return suspects;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
