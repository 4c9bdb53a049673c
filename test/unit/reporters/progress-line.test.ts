import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chalk } from 'chalk';
import type { RunningTest } from '../../../src/results/chunk-test-state.js';
import { formatProgressLine, formatProgressLines, type ChunkLiveState } from '../../../src/reporters/progress-line.js';

const colour = new Chalk({ level: 1 });
const columnsOf = (line: string): number => line.replace(/\u001b\[[0-9;]*m/g, '').length;

/** A running test that started `agoMs` before `nowMs` (on the performance clock the line is drawn by). */
function runningFor(nodeid: string, agoMs: number, nowMs = 65_000): RunningTest {
  return { nodeid, startedAtEpochMs: performance.timeOrigin + nowMs - agoMs };
}

function state(name: string, running: (string | RunningTest)[], gpuBytes: number | null = 12 * 1024 ** 3, timing: Partial<ChunkLiveState> = {}): ChunkLiveState {
  return {
    name,
    startedAtMs: 0,
    attemptStartedAtMs: 0,
    timeoutMs: undefined,
    attempt: 1,
    progress: { collected: 12345, done: 1234, passed: 1200, failed: 34, skipped: 0, xfailed: 0, xpassed: 0, running: running.map((test) => (typeof test === 'string' ? runningFor(test, 3_000) : test)) },
    ...timing,
    rssBytes: 3.5 * 1024 ** 3,
    gpuBytes,
    ...timing,
  };
}

const LONG_TEST = 'tests/integration/test_a_rather_long_module_name.py::TestSomething::test_with_params[case-17-large]';

test('a live line fits the width: the test name is cut, then the bar goes, then the test', () => {
  for (const width of [200, 118, 78, 60, 40]) {
    const line = formatProgressLine(state('integration', [LONG_TEST, 'other']), 65_000, colour, width, true);
    assert.ok(columnsOf(line) <= width, `${width}: ${columnsOf(line)} columns: ${line}`);
  }
  const wide = formatProgressLine(state('integration', [LONG_TEST]), 65_000, colour, 200, true);
  assert.ok(wide.includes(LONG_TEST), wide);
  assert.match(wide, /█|░/);
  // 80 columns less the footer's "▶ ": the bar makes room for the (cut) test name.
  const narrow = formatProgressLine(state('integration', [LONG_TEST], null), 65_000, colour, 78, true);
  assert.match(narrow, /…\S*-large\] 3\.0s/);
  assert.doesNotMatch(narrow, /█|░/);
  const tight = formatProgressLine(state('integration', [LONG_TEST], null), 65_000, colour, 60, true);
  assert.doesNotMatch(tight, /█|░|case-17/);
  assert.match(tight, /RSS 3\.5 GiB$/);
});

test('a chunk name longer than the terminal is cut too', () => {
  const line = formatProgressLine(state('x'.repeat(120), []), 0, colour, 78, true);
  assert.equal(columnsOf(line), 78);
  assert.match(line, /…$/);
});

test('the live line shows how long the running test has run, the longest-running first, and the time left to the timeout', () => {
  const hung = runningFor('tests/test_io.py::test_hangs', 41_200);
  const quick = runningFor('tests/test_io.py::test_quick', 800);
  // The chunk's second attempt started at 5 s: its own 2-minute timeout counts from there.
  const line = formatProgressLine(state('io', [hung, quick], null, { timeoutMs: 120_000, attemptStartedAtMs: 5_000, attempt: 2 }), 65_000, colour, 200, false);
  assert.match(line, /1m05s  timeout in 1m  RSS 3\.5 GiB/);
  assert.match(line, /tests\/test_io\.py::test_hangs 41\.2s \(\+1\)/);
  assert.doesNotMatch(line, /test_quick/);
  // In its last minute the time left turns yellow; it never goes below zero.
  assert.match(formatProgressLine(state('io', [hung], null, { timeoutMs: 60_000 }), 59_000, colour, 200, false), /\u001b\[33mtimeout in 1\.0s\u001b\[39m/);
  assert.match(formatProgressLine(state('io', [hung], null, { timeoutMs: 60_000 }), 70_000, colour, 200, false), /timeout in 0ms/);
  // Without a timeout nothing is said of one; a test whose clock runs ahead reads 0, not negative.
  const ahead = formatProgressLine(state('io', [runningFor('t.py::t', -5_000)], null), 65_000, colour, 200, false);
  assert.doesNotMatch(ahead, /timeout/);
  assert.match(ahead, /t\.py::t 0ms\u001b\[22m$/);
});

test('at 80 columns a test that does not fit beside the timeout gets a line of its own, with its time', () => {
  const live = state('integration', [runningFor(LONG_TEST, 125_000), 'other'], null, { timeoutMs: 3_600_000 });
  const lines = formatProgressLines(live, 65_000, colour, 78);
  assert.equal(lines.length, 2, lines.join('\n'));
  for (const line of lines) assert.ok(columnsOf(line) <= 78, line);
  // The bar does not fit beside the timeout at 78 columns either: the figures keep their room.
  assert.doesNotMatch(lines[0]!, /█|░/);
  assert.match(lines[0]!, /timeout in 58m55s  RSS 3\.5 GiB$/);
  assert.match(lines[1]!, /^\u001b\[2m  ↳ …\S*\[case-17-large\] 2m05s \(\+1\)\u001b\[22m$/);
  // Where it fits, one line; no test running, one line.
  assert.equal(formatProgressLines(live, 65_000, colour, 200).length, 1);
  assert.deepEqual(formatProgressLines(state('integration', [], null, { timeoutMs: 3_600_000 }), 65_000, colour, 78).length, 1);
});
