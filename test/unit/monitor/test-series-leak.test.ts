import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeProcess, judgeTestSeries, MIN_JUDGED_TESTS, seriesOf, WARMUP_MIN_TESTS, type ProcessSeries, type SeriesTest } from '../../../src/monitor/test-series-leak.js';
import { bareRecord, type TestRecord } from '../../../src/results/test-records.js';

const MIB = 1024 * 1024;
const BASE = 200 * MIB;

/** A process whose RSS after test i is `rssAt(i)`; `oneTime` marks tests that set up shared fixtures or imported. */
function series(count: number, rssAt: (index: number) => number, options: { oneTime?: (index: number) => boolean; name?: (index: number) => string; pid?: number; worker?: string | null } = {}): ProcessSeries {
  const tests: SeriesTest[] = [];
  for (let index = 0; index < count; index += 1)
    tests.push({ nodeid: options.name?.(index) ?? `tests/test_a.py::test_x[${index}]`, rssEndBytes: Math.round(rssAt(index)), oneTimeSetup: options.oneTime?.(index) ?? false, durationMs: 50 });
  return { pid: options.pid ?? 100, worker: options.worker ?? null, tests };
}

// A deterministic jitter of ±300 KiB, as allocator noise looks.
const jitter = (index: number): number => (((index * 7919) % 13) - 6) * 50 * 1024;

test('a test that keeps 4 MiB on each call is a leak, named, whatever the noise', () => {
  const judged = judgeTestSeries([series(60, (index) => BASE + index * 4 * MIB + jitter(index))], undefined)!;
  assert.equal(judged.verdict, 'leak', judged.reason);
  const [process] = judged.processes;
  assert.ok(process!.bytesPerTest! > 3.9 * MIB && process!.bytesPerTest! < 4.1 * MIB, String(process!.bytesPerTest));
  assert.equal(judged.suspects[0]?.test, 'tests/test_a.py::test_x', 'grouped by test function, without the parametrization');
  assert.ok(judged.suspects[0]!.runs >= 50);
  assert.match(judged.reason, /^pytest \(pid 100\) grew .* still rising .*carried by tests\/test_a\.py::test_x \(\d+ runs/);
});

test('flat memory with allocator noise is stable', () => {
  const judged = judgeTestSeries([series(200, (index) => BASE + jitter(index))], undefined)!;
  assert.equal(judged.verdict, 'stable', judged.reason);
  assert.deepEqual(judged.suspects, []);
});

test('a cache that fills over 20 tests and then stops is warm-up, not a leak', () => {
  const judged = judgeProcess(series(80, (index) => BASE + Math.min(index, 20) * 8 * MIB + jitter(index)), undefined).verdict;
  assert.ok(judged.growthBytes! > judged.allowedBytes!, 'grew past the allowance');
  assert.equal(judged.verdict, 'stable', judged.reason);
  assert.match(judged.reason, /levelled off/);
  assert.ok(judged.tailRatio! < 0.2);
});

test('growth from tests that set up a shared fixture or imported modules is left out', () => {
  // Every tenth test loads a 40 MiB module fixture that stays: one-time growth each time.
  const judged = judgeProcess(series(60, (index) => BASE + Math.floor(index / 10) * 40 * MIB, { oneTime: (index) => index % 10 === 0 }), undefined).verdict;
  assert.equal(judged.verdict, 'stable', judged.reason);
  assert.equal(judged.growthBytes, 0);
  // The same growth, unmarked, is a leak.
  assert.equal(judgeProcess(series(60, (index) => BASE + Math.floor(index / 10) * 40 * MIB), undefined).verdict.verdict, 'leak');
});

test('one step late in the run is a warning that names the test, never a leak', () => {
  const judged = judgeProcess(series(60, (index) => BASE + (index >= 50 ? 300 * MIB : 0) + jitter(index)), undefined).verdict;
  assert.equal(judged.verdict, 'warning', judged.reason);
  assert.match(judged.reason, /(one test carries|2 tests carry) .*tests\/test_a\.py::test_x\[50\]/);
});

test('growth under 64 KiB per test is pytest\'s own bookkeeping, not a leak, however long the run', () => {
  const judged = judgeProcess(series(5000, (index) => BASE + index * 20 * 1024), undefined).verdict;
  assert.equal(judged.verdict, 'stable', judged.reason);
  assert.match(judged.reason, /under 64 KiB per test/);
});

test('growth within the allowance is stable; the allowance is the larger of the percentage and 16 MiB', () => {
  // 10 MiB over the run of a small process: over 5% of 50 MiB, under 16 MiB.
  const small = judgeProcess(series(60, (index) => 50 * MIB + index * 180 * 1024), undefined).verdict;
  assert.equal(small.verdict, 'stable', small.reason);
  assert.equal(small.allowedBytes, 16 * MIB);
  // maxGrowthPercent from the config overrides the allowance by duration.
  const big = series(60, (index) => 4000 * MIB + index * 2 * MIB);
  assert.equal(judgeProcess(big, undefined).verdict.verdict, 'stable', 'about 3% of 4000 MiB is within 5%');
  assert.equal(judgeProcess(big, 1).verdict.verdict, 'leak', 'past a configured 1%');
});

test('a growth that slowed down but did not stop is a warning', () => {
  // Fast over the first two thirds, at a third of that rate in the last third.
  const judged = judgeProcess(series(63, (index) => BASE + (index < 42 ? index * 4 * MIB : 42 * 4 * MIB + (index - 42) * 1.3 * MIB)), undefined).verdict;
  assert.equal(judged.verdict, 'warning', judged.reason);
  assert.match(judged.reason, /slowed to/);
});

test('a process with too few tests is unknown; the chunk takes the worst judged process', () => {
  const few = series(WARMUP_MIN_TESTS + MIN_JUDGED_TESTS - 1, (index) => BASE + index * 8 * MIB, { pid: 1, worker: 'gw0' });
  assert.equal(judgeProcess(few, undefined).verdict.verdict, 'unknown');
  const judged = judgeTestSeries([few, series(60, (index) => BASE + index * 4 * MIB, { pid: 2, worker: 'gw1' }), series(60, () => BASE, { pid: 3, worker: 'gw2' })], undefined)!;
  assert.equal(judged.verdict, 'leak');
  assert.match(judged.reason, /^worker gw1 \(pid 2\) .*; 1 of 3 processes leak, 1 too short to judge/);
  assert.equal(judgeTestSeries([few], undefined)!.verdict, 'unknown');
  assert.equal(judgeTestSeries([], undefined), null);
});

test('seriesOf keeps each process\'s tests that ended on their own, in order', () => {
  const record = (nodeid: string, pid: number, rss: number | null, outcome: TestRecord['outcome'] = 'passed'): TestRecord => ({
    ...bareRecord(nodeid, outcome, '', 1),
    pid,
    worker: `gw${pid}`,
    durationMs: 10,
    rssEndBytes: rss,
    oneTimeSetup: nodeid.endsWith('first'),
  });
  const found = seriesOf([record('a::first', 1, 10), record('b', 2, 20), record('c', 1, 30), record('killed', 1, 40, 'killed'), record('no-rss', 2, null), record('d', 2, 50, 'failed')]);
  assert.deepEqual(
    found.map((one) => [one.pid, one.worker, one.tests.map((test) => [test.nodeid, test.rssEndBytes, test.oneTimeSetup])]),
    [
      [1, 'gw1', [['a::first', 10, true], ['c', 30, false]]],
      [2, 'gw2', [['b', 20, false], ['d', 50, false]]],
    ],
  );
});
