import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { classifyJunitCase, parsedCaseView, type JunitOutcome } from '../../src/results/junit-case-outcome.js';
import { parseTestEventLines } from '../../src/results/parse-test-event.js';
import type { TestEndEvent, TestEvent, TestOutcome, TestStartEvent } from '../../src/results/test-events.js';
import { assertNoLeftovers, makeProject, FIXTURES_DIR, REPO_ROOT, VENV_PYTHON } from '../helpers/cli.js';

// Runs the bundled plugin (python/run_chunks_events/) inside real pytest, with and without
// pytest-xdist, on test/fixtures/plugin-suite: one test of every outcome, and tests that SIGKILL
// their own process the way the OOM killer would.

const PLUGIN_DIR = path.join(REPO_ROOT, 'python');
/** Put on PYTHONPATH (with plugin autoload off) to make pytest-xdist look uninstalled. */
const XDIST_BLOCKER_DIR = path.join(FIXTURES_DIR, 'blocker');
const OUTCOMES = 'tests/test_outcomes.py';
const CRASH = 'tests/test_crash.py';
/** Marker expression for the tests of EXPECTED_OUTCOMES. */
const BASIC = 'outcomes or slow';

/** What pytest itself reports for each fixture test, in its summary line's taxonomy (a strict xpass is a failure). */
const EXPECTED_OUTCOMES: Record<string, TestOutcome> = {
  [`${OUTCOMES}::test_passes`]: 'passed',
  [`${OUTCOMES}::test_fails`]: 'failed',
  [`${OUTCOMES}::test_setup_error`]: 'error',
  [`${OUTCOMES}::test_teardown_error`]: 'error',
  [`${OUTCOMES}::test_fails_and_teardown_error`]: 'error',
  [`${OUTCOMES}::test_skipped`]: 'skipped',
  [`${OUTCOMES}::test_xfail`]: 'xfailed',
  [`${OUTCOMES}::test_xpass_strict`]: 'failed',
  [`${OUTCOMES}::test_xpass_lenient`]: 'xpassed',
  [`${OUTCOMES}::test_parametrized[1]`]: 'passed',
  [`${OUTCOMES}::test_parametrized[2]`]: 'passed',
  'tests/test_slow.py::test_other': 'passed',
};
const BASIC_COUNT = Object.keys(EXPECTED_OUTCOMES).length;
/** What pytest's own --junitxml says of them: the same, but it writes a non-strict xpass as a plain pass. */
const EXPECTED_JUNIT_OUTCOMES: Record<string, JunitOutcome> = { ...EXPECTED_OUTCOMES, [`${OUTCOMES}::test_xpass_lenient`]: 'passed' };

// The variable the CLI helpers tag their processes with; a run tagged the same way can be
// checked for leftovers with assertNoLeftovers.
const TAG_VARIABLE = 'RUN_CHUNKS_TEST_TAG';

interface PytestRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  stderr: string;
  /** Parsed events file (empty when there is none). */
  events: TestEvent[];
  /** JUnit outcome per test ("tests/x.py::test_y" → outcome). */
  junit: Record<string, JunitOutcome>;
}

interface RunOptions {
  /** Load the plugin with -p (default true). */
  plugin?: boolean;
  /** Set RUN_CHUNKS_EVENTS_FILE (default: events.jsonl in the project). */
  eventsFile?: string | null;
  env?: Record<string, string>;
}

/** Runs pytest on a fresh copy of the plugin suite; resolves once it exited, with no process left. */
async function runPytest(args: string[], options: RunOptions = {}): Promise<PytestRun> {
  const dir = makeProject({});
  cpSync(path.join(FIXTURES_DIR, 'plugin-suite'), dir, { recursive: true, filter: (source) => !source.endsWith('__pycache__') });
  const eventsFile = options.eventsFile === undefined ? path.join(dir, 'events.jsonl') : options.eventsFile;
  const junitFile = path.join(dir, 'junit.xml');
  const tag = randomUUID();
  const { RUN_CHUNKS_EVENTS_FILE: _events, RUN_CHUNKS_SELECT_FILE: _select, RUN_CHUNKS_DESELECT_FILE: _deselect, PYTEST_ADDOPTS: _addopts, ...inherited } = process.env;
  const env: Record<string, string | undefined> = { ...inherited, PYTHONPATH: PLUGIN_DIR, [TAG_VARIABLE]: tag, ...options.env };
  if (eventsFile !== null) env.RUN_CHUNKS_EVENTS_FILE = eventsFile;
  const pluginArgs = options.plugin === false ? [] : ['-p', 'run_chunks_events'];
  const child = spawn(VENV_PYTHON, ['-m', 'pytest', '-p', 'no:cacheprovider', ...pluginArgs, `--junitxml=${junitFile}`, ...args], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, sig) => resolve([code, sig])));
  assertNoLeftovers(tag);
  const eventsText = eventsFile !== null && existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8') : '';
  const { events, partial } = parseTestEventLines(eventsText);
  assert.equal(partial, '', 'the events file ends with a whole line');
  assert.equal(events.length, eventsText.split('\n').length - 1, `every line of the events file parses:\n${eventsText}`);
  return { exitCode, signal, output: stdout + stderr, stderr, events, junit: existsSync(junitFile) ? readJunitOutcomes(junitFile) : {} };
}

const xmlParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => name === 'testsuite' || name === 'testcase' });

/** Each testcase's outcome in pytest's JUnit file, as run-chunks classifies it. */
function readJunitOutcomes(file: string): Record<string, JunitOutcome> {
  const document = xmlParser.parse(readFileSync(file, 'utf8')) as { testsuites: { testsuite: { testcase?: Record<string, unknown>[] }[] } };
  const outcomes: Record<string, JunitOutcome> = {};
  for (const testcase of document.testsuites.testsuite.flatMap((suite) => suite.testcase ?? [])) {
    // classname "tests.test_outcomes", name "test_parametrized[1]".
    const file = `${String(testcase['@_classname']).replaceAll('.', '/')}.py`;
    outcomes[`${file}::${String(testcase['@_name'])}`] = classifyJunitCase(parsedCaseView(testcase));
  }
  return outcomes;
}

function ofKind<K extends TestEvent['event']>(events: TestEvent[], kind: K): Extract<TestEvent, { event: K }>[] {
  return events.filter((event): event is Extract<TestEvent, { event: K }> => event.event === kind);
}

/** Checks that every test ran once, start before end, with the outcome pytest gave it. */
function assertOneStartAndEndPerTest(events: TestEvent[], expected: Record<string, TestOutcome>, xdist: boolean): void {
  const starts = ofKind(events, 'test-start');
  const ends = ofKind(events, 'test-end');
  assert.deepEqual(starts.map((event) => event.nodeid).sort(), Object.keys(expected).sort(), 'one test-start per test');
  assert.deepEqual(ends.map((event) => event.nodeid).sort(), Object.keys(expected).sort(), 'one test-end per test');
  for (const end of ends) {
    const start = starts.find((event) => event.nodeid === end.nodeid)!;
    assert.equal(end.outcome, expected[end.nodeid], end.nodeid);
    assert.ok(events.indexOf(start) < events.indexOf(end) && start.t <= end.t, `${end.nodeid}: start before end`);
    assert.equal(start.pid, end.pid, `${end.nodeid}: one process`);
    assert.equal(start.worker, end.worker);
    if (xdist) assert.match(end.worker ?? '', /^gw\d+$/, `${end.nodeid} ran on a worker`);
    else assert.equal(end.worker, null);
    for (const rss of [start.rss, end.rss]) assert.ok(rss !== null && rss > 1_000_000, `${end.nodeid}: rss ${rss}`);
    assert.equal(start.gpu, null, 'no torch, no GPU reading');
    assert.ok(end.duration >= 0 && end.duration < 5, `${end.nodeid}: duration ${end.duration}`);
    assert.equal(end.file, end.nodeid.split('::')[0]);
    assert.ok(end.line !== null && end.line > 1, `${end.nodeid}: line ${end.line}`);
    if (end.outcome === 'passed') assert.deepEqual([end.message, end.longrepr], [null, null], end.nodeid);
    // A non-strict xpass says which xfail it passed, and has no failure text.
    else if (end.outcome === 'xpassed') assert.ok(end.message?.startsWith('xfail') && end.longrepr === null, `${end.nodeid}: xfail message, no longrepr`);
    else assert.ok(end.message && !end.message.includes('\n') && end.longrepr, `${end.nodeid}: message and longrepr`);
  }
}

function endOf(events: TestEvent[], nodeid: string): TestEndEvent {
  const end = ofKind(events, 'test-end').find((event) => event.nodeid === nodeid);
  assert.ok(end, `test-end of ${nodeid}`);
  return end;
}

function startOf(events: TestEvent[], nodeid: string): TestStartEvent {
  const start = ofKind(events, 'test-start').find((event) => event.nodeid === nodeid);
  assert.ok(start, `test-start of ${nodeid}`);
  return start;
}

test('without xdist: one process writes every event, each test once with its outcome', async () => {
  const run = await runPytest(['-m', BASIC]);
  assert.equal(run.exitCode, 1, run.output);
  assertOneStartAndEndPerTest(run.events, EXPECTED_OUTCOMES, false);
  assert.deepEqual(
    run.events.filter((event) => !event.event.startsWith('test-')).map((event) => event.event),
    ['session-start', 'collected', 'session-finish'],
  );
  assert.equal(ofKind(run.events, 'collected')[0]!.count, BASIC_COUNT, 'count after -m deselection');
  assert.equal(ofKind(run.events, 'session-finish')[0]!.exitstatus, 1);
  assert.equal(new Set(run.events.map((event) => event.pid)).size, 1);
  assert.ok(ofKind(run.events, 'session-start')[0]!.rss! > 0);
  assert.deepEqual(run.junit, EXPECTED_JUNIT_OUTCOMES, 'pytest agrees');
  assert.equal(endOf(run.events, `${OUTCOMES}::test_xpass_lenient`).message, 'xfail: maybe fixed');

  const fails = endOf(run.events, `${OUTCOMES}::test_fails`);
  assert.equal(fails.message, 'AssertionError: arithmetic is broken');
  assert.match(fails.longrepr!, /assert 1 \+ 1 == 3/);
  assert.deepEqual([fails.file, fails.line], [OUTCOMES, 10]);
  assert.equal(endOf(run.events, `${OUTCOMES}::test_setup_error`).message, 'error in setup: RuntimeError: setup went wrong');
  assert.equal(endOf(run.events, `${OUTCOMES}::test_teardown_error`).message, 'error in teardown: RuntimeError: teardown went wrong');
  const both = endOf(run.events, `${OUTCOMES}::test_fails_and_teardown_error`);
  assert.equal(both.message, 'error in teardown: RuntimeError: teardown went wrong');
  assert.match(both.longrepr!, /^\[call\]\n[^]*the call failed too[^]*\n\n\[teardown\]\n[^]*teardown went wrong/);
  assert.equal(endOf(run.events, `${OUTCOMES}::test_skipped`).message, 'not on this machine');
  assert.equal(endOf(run.events, `${OUTCOMES}::test_xfail`).message, 'xfail: known bug');
  assert.match(endOf(run.events, `${OUTCOMES}::test_xfail`).longrepr!, /ValueError: still broken/);
  assert.equal(endOf(run.events, `${OUTCOMES}::test_xpass_strict`).message, '[XPASS(strict)] fixed already');
});

test('with -n 2: workers write the test events, the controller only its session', async () => {
  const run = await runPytest(['-m', BASIC, '-n', '2']);
  assert.equal(run.exitCode, 1, run.output);
  assertOneStartAndEndPerTest(run.events, EXPECTED_OUTCOMES, true);
  const collected = ofKind(run.events, 'collected');
  assert.deepEqual(collected.map((event) => event.worker).sort(), ['gw0', 'gw1']);
  for (const event of collected) assert.equal(event.count, BASIC_COUNT, 'each worker collects the whole selection');
  const starts = ofKind(run.events, 'session-start');
  assert.deepEqual(starts.map((event) => event.worker).sort(), ['gw0', 'gw1', null]);
  assert.equal(new Set(starts.map((event) => event.pid)).size, 3, 'controller and two workers');
  const controller = starts.find((event) => event.worker === null)!;
  const finishes = ofKind(run.events, 'session-finish');
  assert.deepEqual(finishes.map((event) => event.worker).sort(), ['gw0', 'gw1', null]);
  assert.equal(finishes.find((event) => event.worker === null)!.exitstatus, 1);
  assert.equal(finishes.find((event) => event.worker === null)!.pid, controller.pid);
  assert.ok(run.events.every((event) => !event.event.startsWith('test-') || event.pid !== controller.pid), 'no test event from the controller');
  assert.deepEqual(ofKind(run.events, 'worker-crashed'), []);
  assert.deepEqual(run.junit, EXPECTED_JUNIT_OUTCOMES);
});

test('the plugin changes no outcome: same exit code and JUnit results with and without it', async () => {
  for (const args of [['-m', BASIC], ['-m', `${BASIC} or crash`, '-n', '2']]) {
    const without = await runPytest(args, { plugin: false, eventsFile: null });
    const withPlugin = await runPytest(args);
    assert.ok(withPlugin.events.length > 0, 'the plugin was active');
    assert.equal(withPlugin.exitCode, without.exitCode, `${args.join(' ')}\n${withPlugin.output}`);
    assert.deepEqual(withPlugin.junit, without.junit, args.join(' '));
    assert.equal(Object.keys(without.junit).length, args.includes('-n') ? BASIC_COUNT + 3 : BASIC_COUNT);
  }
});

test('-m selection is reflected in collected', async () => {
  const run = await runPytest(['-m', 'slow']);
  assert.equal(run.exitCode, 0, run.output);
  assert.equal(ofKind(run.events, 'collected')[0]!.count, 1);
  assertOneStartAndEndPerTest(run.events, { 'tests/test_slow.py::test_other': 'passed' }, false);
});

test('a test that SIGKILLs pytest: the tests before it are all on disk, the killed one has only test-start', async () => {
  const run = await runPytest(['-m', 'crash']);
  assert.equal(run.signal, 'SIGKILL', run.output);
  assert.deepEqual(
    run.events.map((event) => [event.event, 'nodeid' in event ? event.nodeid : null]),
    [
      ['session-start', null],
      ['collected', null],
      ['test-start', `${CRASH}::test_before_crash`],
      ['test-end', `${CRASH}::test_before_crash`],
      ['test-start', `${CRASH}::test_kills_itself`],
    ],
  );
  assert.equal(endOf(run.events, `${CRASH}::test_before_crash`).outcome, 'passed');
});

test('a test interrupted by KeyboardInterrupt has no test-end; the session still finishes', async () => {
  const run = await runPytest(['-m', 'interrupt']);
  assert.equal(run.exitCode, 2, run.output);
  assert.deepEqual(
    run.events.map((event) => [event.event, 'nodeid' in event ? event.nodeid : null]),
    [
      ['session-start', null],
      ['collected', null],
      ['test-start', 'tests/test_interrupt.py::test_interrupted'],
      ['session-finish', null],
    ],
  );
  assert.equal(ofKind(run.events, 'session-finish')[0]!.exitstatus, 2);
});

test('with -n 2, a worker that SIGKILLs itself: the controller writes worker-crashed naming the test, the run goes on', async () => {
  const run = await runPytest(['-m', 'crash', '-n', '2']);
  assert.equal(run.exitCode, 1, run.output);
  const killed = `${CRASH}::test_kills_itself`;
  const [crash, ...more] = ofKind(run.events, 'worker-crashed');
  assert.ok(crash && more.length === 0, 'one worker-crashed event');
  const start = startOf(run.events, killed);
  assert.equal(crash.nodeid, killed);
  assert.equal(crash.crashedWorker, start.worker);
  assert.equal(crash.worker, null, 'written by the controller');
  assert.equal(crash.message, `worker '${start.worker}' crashed while running '${killed}' (Not properly terminated)`);
  assert.equal(ofKind(run.events, 'test-end').find((event) => event.nodeid === killed), undefined);
  assert.equal(endOf(run.events, `${CRASH}::test_before_crash`).outcome, 'passed');
  assert.equal(endOf(run.events, `${CRASH}::test_after_crash`).outcome, 'passed');
  // xdist's crash report has when="???", which JUnit files as an error, not a failure.
  assert.equal(run.junit[killed], 'error');
});

test('with -n 2, a worker that dies between tests: worker-crashed with no test', async () => {
  const run = await runPytest(['-m', 'slow', '-n', '2'], { env: { FIXTURE_DIE_AT_FINISH: 'gw1' } });
  assert.equal(run.exitCode, 0, run.output);
  const crashes = ofKind(run.events, 'worker-crashed');
  assert.deepEqual(
    crashes.map(({ crashedWorker, nodeid, message }) => ({ crashedWorker, nodeid, message })),
    [{ crashedWorker: 'gw1', nodeid: null, message: "worker 'gw1' crashed while running no test (Not properly terminated)" }],
  );
});

test('RUN_CHUNKS_SELECT_FILE runs exactly the listed tests (unknown ids ignored), with and without xdist', async () => {
  const listed = [`${OUTCOMES}::test_parametrized[2]`, `${CRASH}::test_after_crash`];
  // One JSON string per line (the plugin's format); blank lines are ignored.
  const selectDir = makeProject({ 'select.txt': `${JSON.stringify(listed[0])}\n\n${JSON.stringify(listed[1])}\n${JSON.stringify('tests/test_gone.py::test_missing')}\n` });
  const selectFile = path.join(selectDir, 'select.txt');
  for (const xdistArgs of [[], ['-n', '2']]) {
    const run = await runPytest(xdistArgs, { env: { RUN_CHUNKS_SELECT_FILE: selectFile } });
    assert.equal(run.exitCode, 0, run.output);
    assertOneStartAndEndPerTest(run.events, { [listed[0]!]: 'passed', [listed[1]!]: 'passed' }, xdistArgs.length > 0);
    const counts = ofKind(run.events, 'collected').map((event) => event.count);
    assert.deepEqual(counts, xdistArgs.length > 0 ? [2, 2] : [2]);
    assert.deepEqual(Object.keys(run.junit).sort(), [...listed].sort());
  }
});

test('RUN_CHUNKS_DESELECT_FILE drops exactly the listed tests, with and without xdist', async () => {
  const kept = [`${OUTCOMES}::test_passes`, 'tests/test_slow.py::test_other'];
  const dropped = Object.keys(EXPECTED_OUTCOMES).filter((nodeid) => !kept.includes(nodeid));
  const deselectDir = makeProject({ 'deselect.txt': [...dropped, 'tests/test_gone.py::test_missing'].map((nodeid) => `${JSON.stringify(nodeid)}\n`).join('') });
  for (const xdistArgs of [[], ['-n', '2']]) {
    const run = await runPytest(['-m', BASIC, ...xdistArgs], { env: { RUN_CHUNKS_DESELECT_FILE: path.join(deselectDir, 'deselect.txt') } });
    assert.equal(run.exitCode, 0, run.output);
    assertOneStartAndEndPerTest(run.events, { [kept[0]!]: 'passed', [kept[1]!]: 'passed' }, xdistArgs.length > 0);
    assert.deepEqual(Object.keys(run.junit).sort(), [...kept].sort());
  }
});

test('RUN_CHUNKS_SELECT_FILE works without the events file, and an unreadable one is a usage error', async () => {
  const selectDir = makeProject({ 'select.txt': '"tests/test_slow.py::test_other"\n' });
  const selected = await runPytest([], { eventsFile: null, env: { RUN_CHUNKS_SELECT_FILE: path.join(selectDir, 'select.txt') } });
  assert.equal(selected.exitCode, 0, selected.output);
  assert.deepEqual(Object.keys(selected.junit), ['tests/test_slow.py::test_other']);
  const missing = await runPytest([], { env: { RUN_CHUNKS_SELECT_FILE: path.join(selectDir, 'missing.txt') } });
  assert.equal(missing.exitCode, 4, missing.output);
  assert.match(missing.stderr, /cannot read RUN_CHUNKS_SELECT_FILE/);
});

test('an unwritable events file: one warning, and the same outcome as without the plugin', async () => {
  for (const args of [['-m', BASIC], ['-m', BASIC, '-n', '2']]) {
    const without = await runPytest(args, { plugin: false, eventsFile: null });
    const unwritable = await runPytest(args, { eventsFile: '/nonexistent-run-chunks-dir/events.jsonl' });
    const warnings = unwritable.output.match(/run-chunks: cannot write test events/g) ?? [];
    assert.equal(warnings.length, 1, unwritable.output);
    assert.equal(unwritable.exitCode, without.exitCode);
    assert.deepEqual(unwritable.junit, without.junit);
  }
});

test('without RUN_CHUNKS_EVENTS_FILE the plugin does nothing', async () => {
  const run = await runPytest(['-m', 'slow', '-rA'], { eventsFile: null });
  assert.equal(run.exitCode, 0, run.output);
  assert.deepEqual(run.events, []);
  assert.doesNotMatch(run.output, /run-chunks:/);
});

test('loads and writes every event without pytest-xdist installed', async () => {
  const run = await runPytest(['-m', BASIC], {
    env: { PYTHONPATH: `${PLUGIN_DIR}:${XDIST_BLOCKER_DIR}`, PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' },
  });
  assert.equal(run.exitCode, 1, run.output);
  assertOneStartAndEndPerTest(run.events, EXPECTED_OUTCOMES, false);
  assert.equal(ofKind(run.events, 'session-finish').length, 1);
});

test('GPU memory is read from torch.cuda when the tests imported torch', async () => {
  // The fixture's conftest puts a stand-in torch (CUDA initialized, 12345 bytes allocated) in sys.modules.
  const run = await runPytest(['-m', 'slow', '-n', '2'], { env: { FIXTURE_FAKE_TORCH: '1' } });
  assert.equal(run.exitCode, 0, run.output);
  const nodeid = 'tests/test_slow.py::test_other';
  assert.equal(startOf(run.events, nodeid).gpu, 12345);
  assert.equal(endOf(run.events, nodeid).gpu, 12345);
});

test('lines stay whole when four workers append big events to one file at once', async () => {
  // 400 failing tests, each test-end near the 4000-character longrepr cap.
  const run = await runPytest(['-m', 'many', '-n', '4', '-q', '--tb=long']);
  assert.equal(run.exitCode, 1, run.output.slice(-2000));
  const ends = ofKind(run.events, 'test-end');
  assert.equal(ends.length, 400);
  for (const end of ends) {
    assert.equal(end.outcome, 'failed');
    assert.ok(end.longrepr!.length > 3900 && end.longrepr!.length <= 4000, `longrepr of ${end.longrepr!.length} characters`);
    assert.match(end.longrepr!, /^\.\.\.\(cut\)\.\.\.\n/, 'long failure text is cut, keeping its end');
    assert.match(end.longrepr!, /detail 299 of test \d+\n\ntests\/test_many\.py:9: ValueError$/);
    assert.match(end.message!, /^ValueError: detail 0 of test \d+$/);
  }
});
