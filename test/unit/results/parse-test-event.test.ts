import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTestEvent, parseTestEventLines } from '../../../src/results/parse-test-event.js';
import type { TestEvent } from '../../../src/results/test-events.js';

// One event of each kind, as the plugin writes them (taken from a real run, shortened).
const EVENTS: TestEvent[] = [
  { event: 'session-start', pid: 16623, worker: null, t: 1795242863.868253, rss: 35151872 },
  { event: 'collected', pid: 16625, worker: 'gw0', t: 1795242864.060116, count: 14 },
  { event: 'test-start', pid: 16625, worker: 'gw0', t: 1795242864.07, nodeid: 'tests/test_a.py::test_x[1]', rss: 33796096, gpu: null },
  {
    event: 'test-end',
    pid: 16625,
    worker: 'gw0',
    t: 1795242864.08,
    nodeid: 'tests/test_a.py::test_x[1]',
    outcome: 'failed',
    duration: 0.00038,
    rss: 33837056,
    gpu: 12345,
    message: 'AssertionError: arithmetic is broken',
    longrepr: 'def test_x():\n>       assert 1 + 1 == 3\nE       AssertionError',
    crash: { path: 'tests/test_a.py', line: 11, message: 'AssertionError: arithmetic is broken\nassert (1 + 1) == 3' },
    file: 'tests/test_a.py',
    line: 10,
    peak: 40837056,
    peakMethod: 'hwm',
    childPeak: null,
    groupPeak: null,
    groupStart: null,
    gpuPeak: 20000,
    sharedSetup: false,
    newModules: 0,
  },
  {
    event: 'worker-crashed',
    pid: 16623,
    worker: null,
    t: 1795242864.1281927,
    crashedWorker: 'gw0',
    nodeid: 'tests/test_crash.py::test_kills_itself',
    message: "worker 'gw0' crashed while running 'tests/test_crash.py::test_kills_itself' (Not properly terminated)",
    exitCode: null,
    signal: 'SIGKILL',
  },
  { event: 'session-finish', pid: 16623, worker: null, t: 1795242864.340261, exitstatus: 1, peak: 90177536, groupUnavailable: null },
  { event: 'collect-report', pid: 16623, worker: 'gw0', t: 1795242864.13, nodeid: 'tests/test_broken.py', outcome: 'failed', longrepr: "ImportError while importing test module 'tests/test_broken.py'." },
];

const line = (value: unknown): string => JSON.stringify(value);
const testEnd = EVENTS[3] as Extract<TestEvent, { event: 'test-end' }>;

test('every kind of event parses back to itself', () => {
  for (const event of EVENTS) assert.deepEqual(parseTestEvent(line(event)), event, event.event);
});

test('nullable fields accept null', () => {
  const passed = { ...testEnd, outcome: 'passed', rss: null, gpu: null, message: null, longrepr: null, crash: null, file: null, line: null };
  assert.deepEqual(parseTestEvent(line(passed)), passed);
  const crashedBetweenTests = { ...EVENTS[4], nodeid: null };
  assert.deepEqual(parseTestEvent(line(crashedBetweenTests)), crashedBetweenTests);
  for (const outcome of ['passed', 'failed', 'skipped', 'error']) assert.ok(parseTestEvent(line({ ...testEnd, outcome })), outcome);
});

test("pytest's own xfailed and xpassed outcomes parse as themselves", () => {
  for (const outcome of ['xfailed', 'xpassed'] as const) assert.deepEqual(parseTestEvent(line({ ...testEnd, outcome })), { ...testEnd, outcome });
});

test('fields that are not declared are dropped', () => {
  assert.deepEqual(parseTestEvent(line({ ...EVENTS[1], extra: 'from a newer plugin' })), EVENTS[1]);
  assert.deepEqual(parseTestEvent(line({ ...testEnd, crash: { ...testEnd.crash, column: 4 } })), testEnd, "and so are a crash's");
});

test("a crash's path and line may be left out (outside the rootdir), and read as null", () => {
  const outside = parseTestEvent(line({ ...testEnd, crash: { message: 'ValueError: bad' } }));
  assert.deepEqual(outside, { ...testEnd, crash: { path: null, line: null, message: 'ValueError: bad' } });
});

test('anything malformed is undefined, never an exception', () => {
  const malformed: [string, string][] = [
    ['empty', ''],
    ['not JSON', 'session-start pid=1'],
    ['torn line', line(EVENTS[0]).slice(0, 30)],
    ['JSON null', 'null'],
    ['JSON array', line([EVENTS[0]])],
    ['JSON string', line('session-start')],
    ['unknown event', line({ ...EVENTS[0], event: 'session-begin' })],
    ['prototype name as event', line({ ...EVENTS[0], event: 'toString' })],
    ['no event', line({ pid: 1, worker: null, t: 1 })],
    ['pid missing', line({ ...EVENTS[0], pid: undefined })],
    ['pid a string', line({ ...EVENTS[0], pid: '16623' })],
    ['pid zero', line({ ...EVENTS[0], pid: 0 })],
    ['worker a number', line({ ...EVENTS[1], worker: 0 })],
    ['t a string', line({ ...EVENTS[0], t: '1795242863' })],
    ['t missing', line({ ...EVENTS[0], t: undefined })],
    ['rss negative', line({ ...EVENTS[0], rss: -1 })],
    ['rss fractional', line({ ...EVENTS[0], rss: 1.5 })],
    ['count fractional', line({ ...EVENTS[1], count: 2.5 })],
    ['count null', line({ ...EVENTS[1], count: null })],
    ['nodeid null in test-start', line({ ...EVENTS[2], nodeid: null })],
    ['nodeid missing', line({ ...EVENTS[2], nodeid: undefined })],
    ['outcome missing', line({ ...testEnd, outcome: undefined })],
    ['duration missing', line({ ...testEnd, duration: undefined })],
    ['sharedSetup missing', line({ ...testEnd, sharedSetup: undefined })],
    ['newModules missing', line({ ...testEnd, newModules: undefined })],
    ['unknown outcome', line({ ...testEnd, outcome: 'deselected' })],
    ['duration negative', line({ ...testEnd, duration: -0.1 })],
    ['duration a string', line({ ...testEnd, duration: '0.1' })],
    ['message a number', line({ ...testEnd, message: 3 })],
    ['longrepr an object', line({ ...testEnd, longrepr: { text: 'x' } })],
    ['line zero (lines are 1-based)', line({ ...testEnd, line: 0 })],
    ['crash a string', line({ ...testEnd, crash: 'tests/test_a.py:11' })],
    ['crash an array', line({ ...testEnd, crash: [testEnd.crash] })],
    ['crash without its message', line({ ...testEnd, crash: { path: 'tests/test_a.py', line: 11 } })],
    ['crash line zero', line({ ...testEnd, crash: { ...testEnd.crash, line: 0 } })],
    ['crash path a number', line({ ...testEnd, crash: { ...testEnd.crash, path: 3 } })],
    ['crashedWorker null', line({ ...EVENTS[4], crashedWorker: null })],
    ['crash message null', line({ ...EVENTS[4], message: null })],
    ['exitstatus a string', line({ ...EVENTS[5], exitstatus: '1' })],
    ['exitstatus fractional', line({ ...EVENTS[5], exitstatus: 1.5 })],
    // JSON has no NaN or Infinity; Python's json.dumps writes them unless told not to.
    ['NaN duration', line(testEnd).replace(/"duration":[0-9.e-]+/, '"duration":NaN')],
  ];
  for (const [what, text] of malformed) assert.equal(parseTestEvent(text), undefined, what);
});

test('a field that may be null may be left out, and reads as null (the plugin omits null fields)', () => {
  const sparse = { event: 'test-end', pid: 7, t: 1795242863.5, nodeid: 't.py::a', outcome: 'passed', duration: 0.25, sharedSetup: false, newModules: 0 };
  assert.deepEqual(parseTestEvent(JSON.stringify(sparse)), {
    ...sparse,
    worker: null,
    rss: null,
    gpu: null,
    message: null,
    longrepr: null,
    crash: null,
    file: null,
    line: null,
    peak: null,
    peakMethod: null,
    childPeak: null,
    gpuPeak: null,
    groupPeak: null,
    groupStart: null,
  });
  // The same line with every null written out reads the same.
  const full = parseTestEvent(JSON.stringify({ ...sparse, worker: null, rss: null, gpu: null, message: null, longrepr: null, file: null, line: null, peak: null, peakMethod: null, childPeak: null, gpuPeak: null, groupPeak: null, groupStart: null }));
  assert.deepEqual(full, parseTestEvent(JSON.stringify(sparse)));
  assert.deepEqual(parseTestEvent(JSON.stringify({ event: 'session-start', pid: 3, t: 1 })), { event: 'session-start', pid: 3, worker: null, t: 1, rss: null });
  assert.deepEqual(parseTestEvent(JSON.stringify({ event: 'session-finish', pid: 3, t: 1, exitstatus: 0 })), { event: 'session-finish', pid: 3, worker: null, t: 1, exitstatus: 0, peak: null, groupUnavailable: null });
});

test('parseTestEventLines: complete lines become events, the unfinished tail is partial', () => {
  const text = `${line(EVENTS[0])}\n${line(EVENTS[1])}\n${line(EVENTS[2]).slice(0, 25)}`;
  const first = parseTestEventLines(text);
  assert.deepEqual(first.events, [EVENTS[0], EVENTS[1]]);
  assert.equal(first.partial, line(EVENTS[2]).slice(0, 25));
  // The next read continues the line: partial goes in front of it.
  const second = parseTestEventLines(first.partial + line(EVENTS[2]).slice(25) + '\n');
  assert.deepEqual(second.events, [EVENTS[2]]);
  assert.equal(second.partial, '');
});

test('parseTestEventLines: blank and malformed lines are skipped, the rest kept in order', () => {
  const text = ['', line(EVENTS[5]), 'garbage', '   ', line({ ...EVENTS[0], event: 'nope' }), line(EVENTS[0]), ''].join('\n');
  assert.deepEqual(parseTestEventLines(text), { events: [EVENTS[5], EVENTS[0]], partial: '' });
  assert.deepEqual(parseTestEventLines(''), { events: [], partial: '' });
  assert.deepEqual(parseTestEventLines('{"event":'), { events: [], partial: '{"event":' });
});

test('numbers that would not stay exact in milliseconds or as whole numbers are malformed', () => {
  // Found by the parser properties (test/faults): a duration of 1e20 s was taken, and became an inexact (or, from 1e306, infinite) durationMs.
  assert.equal(parseTestEvent(line({ ...testEnd, duration: 1e20 })), undefined);
  assert.equal(parseTestEvent(line({ ...testEnd, t: 1e306 })), undefined);
  assert.equal(parseTestEvent(line({ ...testEnd, rss: 2 ** 60 })), undefined);
  assert.equal(parseTestEvent(line({ ...EVENTS[1], count: 1e300 })), undefined);
  assert.equal(parseTestEvent(line({ ...EVENTS[0], pid: 2 ** 53 })), undefined);
  assert.deepEqual(parseTestEvent(line({ ...testEnd, duration: 86_400 * 365 })), { ...testEnd, duration: 86_400 * 365 });
});
