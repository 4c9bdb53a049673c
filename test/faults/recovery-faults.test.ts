// The fault suite, recovery: a chunk killed for memory (or a test whose own process dies) is
// recovered, and every verdict stays true: a run-alone attempt's own outcome is its verdict, a
// proven culprit never runs again, blame needs evidence, tests ended by os._exit and modules that
// fail to collect are counted, and node ids with any character round-trip. Each case runs the
// built CLI on test/fixtures/recovery-suite with real pytest, then checks the status, the exit
// code, the results kept, the message, and that no process of the run is left.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseNodeIdFile } from '../../src/results/node-id-file.js';
import type { ChunkReport, RunReport } from '../../src/results/report-types.js';
import { chunkOf, FIXTURES_DIR, makeProject, readReport, runCli, startCli, VENV_PYTHON, waitUntil, writeConfig, type CliResult } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';

// A pytest process that SIGKILLs itself is 'killed': a SIGKILL from outside run-chunks with no
// OOM evidence for the chunk.
const SELF_KILL_STATUS = 'killed';

const SUITE_DIR = path.join(FIXTURES_DIR, 'recovery-suite');
// The fixture's runaway grows 800 MB/s: the watchdog stops it within a few samples of 300 MB.
const MEMORY_KILL = { memoryLimit: '300MB', sampleInterval: '100ms' };

interface RecoveryRun {
  dir: string;
  signalDir: string;
  result: CliResult;
  report: RunReport;
}

/** A temp copy of the recovery suite with a config running `chunks` on tests/ with the test venv. */
function makeRecoveryProject(chunks: Record<string, unknown>[]): { dir: string; signalDir: string } {
  const dir = makeProject({});
  cpSync(SUITE_DIR, dir, { recursive: true });
  const signalDir = path.join(dir, 'signals');
  mkdirSync(signalDir);
  writeConfig(dir, { python: VENV_PYTHON, testPaths: ['tests'], defaults: { env: { FIXTURE_SIGNAL_DIR: signalDir } }, chunks });
  return { dir, signalDir };
}

async function runRecovery(chunks: Record<string, unknown>[], args: string[] = [], env: Record<string, string> = {}): Promise<RecoveryRun> {
  const { dir, signalDir } = makeRecoveryProject(chunks);
  const result = await runCli(args, { cwd: dir, env });
  return { dir, signalDir, result, report: readReport(dir) };
}

function shorten(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** Checks and records the run's exit code and one chunk's status. */
function expectOutcome(r: FaultRecorder, run: RecoveryRun, chunkName: string, status: string, exitCode: number): ChunkReport {
  const chunk = chunkOf(run.report, chunkName);
  r.outcomeOf(run.result.exitCode, chunk.status);
  assert.equal(chunk.status, status, `${chunk.message}\n${run.result.stdout}${run.result.stderr}`);
  assert.equal(run.result.exitCode, exitCode, run.result.stdout + run.result.stderr);
  r.did(`status ${status}, exit ${exitCode}: "${shorten(chunk.message, 160)}"`);
  r.held(`status ${status} and exit ${exitCode}`);
  return chunk;
}

interface JunitCase {
  '@_name': string;
  '@_classname': string;
  error?: { '@_message'?: string; '#text'?: string } | string;
  failure?: unknown;
  skipped?: { '@_message'?: string; '#text'?: string } | string;
}

/** The test cases of one suite of a JUnit file, read with a real XML parser. */
function junitCases(file: string, suiteName?: string): JunitCase[] {
  const xml = readFileSync(file, 'utf8');
  assert.equal(XMLValidator.validate(xml), true, `${file} is not well-formed XML`);
  // htmlEntities: numeric character references (&#10; in an attribute) are decoded as an XML reader does.
  const parsed = new XMLParser({ ignoreAttributes: false, htmlEntities: true, isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml) as {
    testsuites: { testsuite: { '@_name': string; testcase?: JunitCase[] }[] };
  };
  const suites = parsed.testsuites.testsuite;
  const suite = suiteName === undefined ? suites[0] : suites.find((candidate) => candidate['@_name'] === suiteName);
  assert.ok(suite, `no testsuite ${suiteName ?? ''} in ${file}`);
  return suite.testcase ?? [];
}

function mergedCases(run: RecoveryRun, chunkName: string): JunitCase[] {
  return junitCases(path.join(run.dir, '.run-chunks/report/junit.xml'), chunkName);
}

function attrOf(element: JunitCase['error']): string | undefined {
  return typeof element === 'object' ? element['@_message'] : undefined;
}

const counts = (total: number, passed: number, failed: number, skipped: number, errors: number): ChunkReport['tests'] => ({ total, passed, failed, skipped, errors, xfailed: 0, xpassed: 0 });

// ---- 1. A run-alone attempt has its own outcome; only 'passed' is flaky --------------------------

interface AloneCase {
  test: string;
  what: string;
  status: string;
  exitCode: number;
  verdict: string;
  tests: ChunkReport['tests'];
  message: RegExp;
  extra?: Record<string, unknown>;
}

const ALONE_CASES: AloneCase[] = [
  { test: 'test_alone_passes', what: 'passes', status: 'passed', exitCode: 0, verdict: 'oom-flaky', tests: counts(3, 3, 0, 0, 0), message: /^recovered: every test passed or was skipped .*passed when run alone \(oom-flaky: cleared\)$/ },
  { test: 'test_alone_fails', what: 'fails', status: 'failed', exitCode: 1, verdict: 'failed-alone', tests: counts(3, 2, 1, 0, 0), message: /test_alone_fails failed when run alone: AssertionError: fails when run alone/ },
  { test: 'test_alone_segfaults', what: 'segfaults', status: 'crashed', exitCode: 3, verdict: 'crashed-alone', tests: counts(3, 2, 0, 0, 1), message: /test_alone_segfaults did not finish when run alone \(killed by signal SIGSEGV\)/ },
  { test: 'test_alone_hangs', what: 'hangs into the timeout', status: 'timeout', exitCode: 3, verdict: 'timeout-alone', tests: counts(3, 2, 0, 0, 1), message: /test_alone_hangs ran into the timeout when run alone/, extra: { timeout: '6s' } },
  { test: 'test_alone_exits', what: 'ends its process with os._exit(0)', status: 'crashed', exitCode: 3, verdict: 'exited-alone', tests: counts(3, 2, 0, 0, 1), message: /test_alone_exits did not end on its own when run alone: the process exited with code 0 while this test ran: os\._exit/ },
];

for (const alone of ALONE_CASES) {
  faultCase('recovery', `a test killed for memory in its chunk that, run alone, ${alone.what}`, async (r) => {
    const run = await runRecovery([{ name: 'alone', markers: 'alone', keyword: `test_a_quick or ${alone.test} or test_z_quick`, workers: 1, ...MEMORY_KILL, ...alone.extra }]);
    const chunk = expectOutcome(r, run, 'alone', alone.status, alone.exitCode);
    const nodeid = `tests/test_alone.py::${alone.test}`;
    assert.deepEqual(chunk.blamedTests.map((test) => [test.nodeid, test.reason, test.verdict]), [[nodeid, 'memory-limit', alone.verdict]]);
    r.held(`blamed once (memory-limit), verdict ${alone.verdict}`);
    assert.deepEqual(chunk.tests, alone.tests);
    assert.equal(chunk.notRun, 0);
    r.held(`counts ${JSON.stringify(alone.tests)}, none left unrun`);
    assert.match(chunk.message, alone.message);
    r.held('the message names what the test did alone');
    assert.deepEqual(chunk.attempts.map((attempt) => attempt.kind), ['initial', 'blamed-alone', 'not-run']);
    checkNoLeftovers(r, run.result.tag);
  });
}

faultCase('recovery', 'a test killed for memory whose id is built at collection time: run alone, the select file matches nothing', async (r) => {
  const run = await runRecovery([{ name: 'newid', markers: 'alone', keyword: 'test_a_quick or test_alone_new_id or test_z_quick', workers: 1, ...MEMORY_KILL }]);
  const chunk = expectOutcome(r, run, 'newid', 'error', 3);
  const blamed = chunk.blamedTests[0];
  assert.equal(chunk.blamedTests.length, 1);
  assert.match(blamed?.nodeid ?? '', /^tests\/test_alone\.py::test_alone_new_id\[\d+\]$/);
  assert.equal(blamed?.verdict, 'not-selected');
  r.held('verdict not-selected: never called flaky');
  assert.equal(chunk.attempts[1]?.tests?.total, 0);
  r.held('the run-alone attempt ran no test');
  assert.match(chunk.message, /could not be selected \(a new collection did not produce this node id/);
  r.held('the message says the id could not be selected again');
  const killed = mergedCases(run, 'newid').filter((testCase) => testCase.error !== undefined);
  assert.deepEqual(killed.map((testCase) => testCase['@_name']), [blamed!.nodeid.split('::')[1]]);
  r.held('junit.xml keeps it as an error');
  checkNoLeftovers(r, run.result.tag);
});

faultCase('recovery', 'SIGINT to run-chunks while the blamed test runs alone', async (r) => {
  const { dir, signalDir } = makeRecoveryProject([{ name: 'waits', markers: 'alone', keyword: 'test_a_quick or test_alone_waits or test_z_quick', workers: 1, ...MEMORY_KILL }]);
  const cli = startCli([], { cwd: dir });
  await waitUntil(() => existsSync(path.join(signalDir, 'alone-waits')), 60_000, 'the blamed test to start alone');
  cli.child.kill('SIGINT');
  const result = await cli.result;
  const run: RecoveryRun = { dir, signalDir, result, report: readReport(dir) };
  const chunk = expectOutcome(r, run, 'waits', 'interrupted', 130);
  assert.equal(chunk.blamedTests[0]?.verdict, 'interrupted-alone');
  r.held('verdict interrupted-alone');
  assert.equal(chunk.attempts.length, 2, 'no attempt starts after the interruption');
  r.held('no attempt started after it');
  const history = JSON.parse(readFileSync(path.join(dir, '.run-chunks/history.json'), 'utf8')) as { runs: { chunks: { name: string; status: string }[] }[] };
  assert.deepEqual(history.runs.at(-1)?.chunks.map((entry) => [entry.name, entry.status]), [['waits', 'interrupted']]);
  r.held('the history records the chunk as interrupted');
  checkNoLeftovers(r, run.result.tag);
});

// ---- 3. A proven culprit stays out of every later round ------------------------------------------

faultCase('recovery', 'two tests that always run away among 18 quick ones, --retry-on-oom 2', async (r) => {
  const run = await runRecovery([{ name: 'hogs', markers: 'two_hogs', workers: 1, ...MEMORY_KILL }], ['--retry-on-oom', '2']);
  const chunk = expectOutcome(r, run, 'hogs', 'memory-limit', 3);
  assert.deepEqual(
    chunk.blamedTests.map((test) => [test.nodeid, test.verdict]),
    [
      ['tests/test_two_hogs.py::test_06_hog', 'oom-deterministic'],
      ['tests/test_two_hogs.py::test_15_hog', 'oom-deterministic'],
    ],
  );
  r.held('each hog blamed once, both oom-deterministic');
  assert.match(chunk.message, /test_06_hog was killed again when run alone .*; also tests\/test_two_hogs\.py::test_15_hog \(oom-deterministic\); 4 recovery attempt\(s\) after the first run \(memory-limit\)$/);
  r.held('the message names both hogs');
  assert.deepEqual(chunk.tests, counts(20, 18, 0, 0, 2));
  assert.equal(chunk.notRun, 0);
  r.held('all 18 quick tests passed; 2 errors; none left unrun');
  assert.deepEqual(
    chunk.attempts.map((attempt) => [attempt.kind, attempt.status, attempt.tests?.total]),
    [
      ['initial', 'memory-limit', 6],
      ['blamed-alone', 'memory-limit', 1],
      ['not-run', 'memory-limit', 9],
      ['blamed-alone', 'memory-limit', 1],
      ['not-run', 'passed', 5],
    ],
  );
  r.did('ran: 5 passed + hog 1; hog 1 alone; 8 passed + hog 2; hog 2 alone; the last 5');
  r.held('no round ran a proven hog again');
  checkNoLeftovers(r, run.result.tag);
});

// ---- 4. Innocent neighbours are not blamed -------------------------------------------------------

faultCase('recovery', 'a test runs away on one xdist worker while a sleeper runs on the other; it passes alone', async (r) => {
  const summary = path.join(makeProject({}), 'summary.md');
  const run = await runRecovery([{ name: 'pair', markers: 'neighbour', workers: 2, ...MEMORY_KILL }], [], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
  const chunk = expectOutcome(r, run, 'pair', 'passed', 0);
  assert.deepEqual(chunk.blamedTests.map((test) => [test.nodeid, test.verdict]), [['tests/test_neighbour.py::test_b_runs_away_beside_it', 'oom-flaky']]);
  assert.match(chunk.blamedTests[0]!.evidence, /its process grew .* over the 32 MiB/);
  r.held('only the test whose process grew is blamed (with its growth as evidence), and cleared');
  assert.equal(chunk.attempts[0]?.status, 'memory-limit');
  assert.deepEqual(chunk.attempts[0]?.tests, counts(2, 0, 0, 0, 2), 'both tests were running at the kill');
  assert.deepEqual(chunk.tests, counts(2, 2, 0, 0, 0));
  r.held('the sleeper was stopped with the chunk, run again and passed');
  const cases = mergedCases(run, 'pair');
  assert.deepEqual(cases.filter((testCase) => testCase.error !== undefined || testCase.failure !== undefined), []);
  r.held('junit.xml: both passed');
  assert.doesNotMatch(run.result.stdout, /^::error/m);
  r.held('no ::error annotation (no test\'s final outcome failed)');
  checkNoLeftovers(r, run.result.tag);
});

// ---- 5. A dead xdist worker's test gets the same recovery ---------------------------------------

faultCase('recovery', 'an xdist worker SIGKILLed under a test, again when run alone', async (r) => {
  const run = await runRecovery([{ name: 'worker', markers: 'worker_kill', keyword: 'not in_chunk_only', workers: 2 }]);
  const chunk = expectOutcome(r, run, 'worker', SELF_KILL_STATUS, 3);
  const blamed = chunk.blamedTests[0];
  assert.equal(chunk.blamedTests.length, 1);
  assert.equal(blamed?.nodeid, 'tests/test_worker_kill.py::test_b_killed_always');
  assert.match(blamed?.evidence ?? '', /its xdist worker gw\d was killed by SIGKILL while this test ran/);
  assert.equal(blamed?.verdict, 'oom-deterministic');
  r.held('blamed with the worker\'s SIGKILL as evidence; killed again alone: oom-deterministic');
  assert.deepEqual(chunk.tests, counts(3, 2, 0, 0, 1));
  assert.deepEqual(chunk.attempts.map((attempt) => attempt.kind), ['initial', 'blamed-alone']);
  r.held('the other 2 passed in the first run; only the blamed test ran again');
  checkNoLeftovers(r, run.result.tag);
});

faultCase('recovery', 'an xdist worker SIGKILLed under a test that passes alone', async (r) => {
  const run = await runRecovery([{ name: 'worker', markers: 'worker_kill', keyword: 'not killed_always', workers: 2 }]);
  const chunk = expectOutcome(r, run, 'worker', 'passed', 0);
  assert.deepEqual(chunk.blamedTests.map((test) => [test.nodeid, test.verdict]), [['tests/test_worker_kill.py::test_b_killed_in_chunk_only', 'oom-flaky']]);
  r.held('blamed, then cleared: oom-flaky');
  assert.deepEqual(chunk.tests, counts(3, 3, 0, 0, 0));
  assert.equal(chunk.attempts[0]?.status, 'failed');
  r.held('first run failed (xdist reports the crash); final status follows the run alone');
  checkNoLeftovers(r, run.result.tag);
});

// ---- 2. A test ended by os._exit is the running test: blamed, counted ----------------------------

for (const exitCode of [0, 1]) {
  faultCase('recovery', `a test ends the pytest process with os._exit(${exitCode}), no xdist`, async (r) => {
    const run = await runRecovery([{ name: 'exits', markers: 'exits', workers: 1 }], [], { FIXTURE_EXIT_CODE: String(exitCode) });
    const chunk = expectOutcome(r, run, 'exits', 'crashed', 3);
    const nodeid = 'tests/test_exits.py::test_b_exits';
    assert.deepEqual(chunk.blamedTests.map((test) => [test.nodeid, test.reason, test.verdict]), [[nodeid, 'exited', 'exited-alone']]);
    r.held('blamed (exited), exited again alone');
    assert.match(chunk.message, new RegExp(`the process exited with code ${exitCode} while this test ran: os\\._exit`));
    r.held('the message says the process exited under it');
    assert.deepEqual(chunk.tests, counts(3, 2, 0, 0, 1));
    assert.equal(chunk.notRun, 0);
    r.held('counted as an error; the test after it ran in the retry');
    const errored = mergedCases(run, 'exits').filter((testCase) => testCase.error !== undefined);
    assert.deepEqual(errored.map((testCase) => testCase['@_name']), ['test_b_exits']);
    assert.match(attrOf(errored[0]!.error) ?? '', new RegExp(`exited with code ${exitCode} while this test ran`));
    r.held('junit.xml: an error with the reason, not "never started"');
    checkNoLeftovers(r, run.result.tag);
  });
}

faultCase('recovery', 'a test ends its xdist worker with os._exit(0)', async (r) => {
  const run = await runRecovery([{ name: 'exits', markers: 'exits', workers: 2 }]);
  const chunk = expectOutcome(r, run, 'exits', 'crashed', 3);
  const blamed = chunk.blamedTests[0];
  assert.equal(chunk.blamedTests.length, 1);
  assert.equal(blamed?.reason, 'exited');
  assert.match(blamed?.evidence ?? '', /the process exited with code 0 while this test ran: os\._exit or the like \(xdist worker gw\d\)/);
  assert.equal(blamed?.verdict, 'exited-alone');
  r.held('blamed (exited, with the worker\'s exit code), exited again alone');
  assert.deepEqual(chunk.tests, counts(3, 2, 0, 0, 1));
  assert.match(chunk.message, /exited with code 0/);
  r.held('counted as an error; the message says so');
  checkNoLeftovers(r, run.result.tag);
});

// ---- 6. Collection errors and module-level skips are counted ------------------------------------

for (const variant of [
  { label: 'stops pytest', args: [] as string[], workers: 1, status: 'error', exitCode: 3, tests: counts(2, 0, 0, 1, 1) },
  { label: 'with --continue-on-collection-errors', args: ['--continue-on-collection-errors'], workers: 1, status: 'failed', exitCode: 1, tests: counts(3, 1, 0, 1, 1) },
  { label: 'with xdist (-n 2)', args: [] as string[], workers: 2, status: 'failed', exitCode: 1, tests: counts(3, 1, 0, 1, 1) },
]) {
  faultCase('recovery', `a test module that fails to import, and one that skips itself at module level: ${variant.label}`, async (r) => {
    const run = await runRecovery([{ name: 'collect', paths: ['collect'], workers: variant.workers, args: variant.args }]);
    const chunk = expectOutcome(r, run, 'collect', variant.status, variant.exitCode);
    assert.deepEqual(chunk.tests, variant.tests);
    r.held(`counts ${JSON.stringify(variant.tests)}: an error per broken module, a skip per skipped module`);
    assert.match(chunk.message, /1 test module could not be collected: collect\/test_broken_import\.py \(E\s+ModuleNotFoundError: No module named 'module_that_does_not_exist_anywhere'\)/);
    r.held('the message names the module and the error');
    // What pytest's own --junitxml writes for them: <error message="collection failure">, <skipped message="collection skipped">.
    for (const cases of [mergedCases(run, 'collect'), junitCases(chunk.junitFile!)]) {
      const broken = cases.find((testCase) => testCase['@_name'] === 'collect.test_broken_import');
      assert.equal(broken?.['@_classname'], '');
      assert.equal(attrOf(broken?.error), 'collection failure');
      const skipped = cases.find((testCase) => testCase['@_name'] === 'collect.test_module_skip');
      assert.equal(attrOf(skipped?.skipped), 'collection skipped');
    }
    r.held('the chunk\'s and the merged junit.xml carry them as pytest writes them');
    checkNoLeftovers(r, run.result.tag);
  });
}

// ---- 7. Node ids with a newline, a tab or any Unicode -------------------------------------------

faultCase('recovery', 'node ids with a newline, a tab and emoji; the one with the newline is killed and run alone', async (r) => {
  const run = await runRecovery([{ name: 'odd', markers: 'odd_ids', workers: 1, ...MEMORY_KILL }]);
  const chunk = expectOutcome(r, run, 'odd', 'passed', 0);
  const newline = 'tests/test_odd_ids.py::test_odd[a\nb]';
  assert.deepEqual(chunk.blamedTests.map((test) => [test.nodeid, test.verdict]), [[newline, 'oom-flaky']]);
  r.held('the id with a newline is blamed as one id');
  const chunkDir = path.dirname(chunk.logFile);
  assert.deepEqual(parseNodeIdFile(readFileSync(path.join(chunkDir, 'attempt-2', 'select.txt'), 'utf8')), [newline]);
  assert.equal(chunk.attempts[1]?.tests?.total, 1);
  assert.equal(chunk.attempts[1]?.tests?.passed, 1);
  r.held('recovery selected exactly that test, and it passed');
  const expected = ['a\nb', 'tab\there', 'ünï😀', 'plain'].map((text) => `tests/test_odd_ids.py::test_odd[${text}]`);
  assert.deepEqual(parseNodeIdFile(readFileSync(path.join(chunkDir, 'events.jsonl.collected'), 'utf8')), expected);
  r.held('events.jsonl.collected holds the 4 ids exactly');
  const names = mergedCases(run, 'odd').map((testCase) => testCase['@_name']);
  assert.deepEqual(names.sort(), ['test_odd[a\nb]', 'test_odd[plain]', 'test_odd[tab\there]', 'test_odd[ünï😀]'].sort());
  assert.deepEqual(chunk.tests, counts(4, 4, 0, 0, 0));
  r.held('junit.xml: exactly 4 testcases with the ids intact');
  checkNoLeftovers(r, run.result.tag);
});
