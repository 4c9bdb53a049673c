import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseJunitCounts } from '../../src/results/parse-junit.js';
import { assertNoLeftovers, chunkOf, makeSuiteProject, readReport, runCli } from '../helpers/cli.js';

const MIB = 1024 * 1024;

interface JunitCase {
  '@_name': string;
  '@_classname': string;
  error?: unknown;
  failure?: unknown;
  skipped?: unknown;
}

/** The test cases of one suite of `<report-dir>/junit.xml`, read with a real XML parser. */
function mergedJunitCases(dir: string, suiteName: string): JunitCase[] {
  const xml = readFileSync(path.join(dir, '.run-chunks/report/junit.xml'), 'utf8');
  assert.equal(XMLValidator.validate(xml), true);
  const parsed = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml) as {
    testsuites: { testsuite: { '@_name': string; testcase?: JunitCase[] }[] };
  };
  const suite = parsed.testsuites.testsuite.find((candidate) => candidate['@_name'] === suiteName);
  assert.ok(suite, `no testsuite ${suiteName}`);
  return suite.testcase ?? [];
}

for (const workers of [1, 2]) {
  test(`the fourth of ten tests runs away under memoryLimit: results kept, it is blamed, the other six run in the retry (workers: ${workers})`, async () => {
    const { dir } = makeSuiteProject({
      chunks: [{ name: 'ten', markers: 'ten', workers, memoryLimit: '400MB', sampleInterval: '100ms' }],
    });
    const result = await runCli([], { cwd: dir });
    assert.equal(result.exitCode, 3, result.stdout + result.stderr);
    const chunk = chunkOf(readReport(dir), 'ten');
    const runaway = 'tests/test_ten.py::test_04_runs_away';
    assert.equal(chunk.blamedTests[0]?.nodeid, runaway);
    assert.equal(chunk.blamedTests[0]?.reason, 'memory-limit');
    assert.equal(chunk.blamedTests[0]?.verdict, 'oom-deterministic');
    assert.ok(chunk.blamedTests[0]!.chunkRssBytes! > 300 * MIB);
    // Killed again alone, it stays the chunk's status; every other test passed somewhere.
    assert.equal(chunk.status, 'memory-limit');
    assert.deepEqual(chunk.tests, { total: 10, passed: 9, failed: 0, skipped: 0, errors: 1, xfailed: 0, xpassed: 0 });
    assert.equal(chunk.notRun, 0);
    assert.deepEqual(
      chunk.attempts.map((attempt) => [attempt.kind, attempt.status, attempt.workers]),
      [
        ['initial', 'memory-limit', workers],
        ['blamed-alone', 'memory-limit', 1],
        ['not-run', 'passed', 1],
      ],
    );
    if (workers === 1) {
      // Without xdist the order is fixed: three passed before the runaway, six ran in the retry.
      assert.deepEqual(chunk.attempts[0]!.tests, { total: 4, passed: 3, failed: 0, skipped: 0, errors: 1, xfailed: 0, xpassed: 0 });
      assert.deepEqual(chunk.attempts[2]!.tests, { total: 6, passed: 6, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
    }
    const cases = mergedJunitCases(dir, 'ten');
    assert.equal(cases.length, 10);
    const killed = cases.filter((testCase) => testCase.error !== undefined);
    assert.deepEqual(killed.map((testCase) => testCase['@_name']), ['test_04_runs_away']);
    assert.deepEqual(parseJunitCounts(readFileSync(chunk.junitFile!, 'utf8')), { total: 10, passed: 9, failed: 0, skipped: 0, errors: 1, xfailed: 0, xpassed: 0 });
    assertNoLeftovers(result.tag);
  });
}

test('a test that passes when run alone after an OOM is oom-flaky, and the chunk passes', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'flaky', markers: 'flaky_oom', memoryLimit: '400MB', sampleInterval: '100ms' }] });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const chunk = chunkOf(readReport(dir), 'flaky');
  assert.equal(chunk.status, 'passed');
  assert.match(chunk.message, /^recovered: every test passed or was skipped in 2 recovery attempt\(s\) after the first run \(memory-limit\); tests\/test_flaky_oom\.py::test_b_runs_away_once passed when run alone \(oom-flaky: cleared\)$/);
  assert.equal(chunk.blamedTests[0]?.verdict, 'oom-flaky');
  assert.deepEqual(chunk.tests, { total: 3, passed: 3, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
});

test('a test that SIGKILLs its own process (no xdist): completed tests keep their results, it is blamed as killed (no OOM evidence)', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'selfkill', markers: 'selfkill', retryOnOom: 0 }] });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const chunk = chunkOf(readReport(dir), 'selfkill');
  // A SIGKILL with no OOM counted for this chunk is killed, never oom.
  assert.equal(chunk.status, 'killed');
  assert.match(chunk.message, /no OOM evidence for this chunk/);
  assert.deepEqual(chunk.tests, { total: 3, passed: 2, failed: 0, skipped: 0, errors: 1, xfailed: 0, xpassed: 0 });
  assert.equal(chunk.notRun, 2);
  assert.deepEqual(chunk.blamedTests.map((blamed) => [blamed.nodeid, blamed.reason]), [['tests/test_selfkill.py::test_b_kills_its_own_process', 'killed']]);
  // pytest wrote no JUnit file; run-chunks rebuilt it from the event stream.
  const cases = mergedJunitCases(dir, 'selfkill');
  assert.equal(cases.length, 5);
  assert.equal(cases.filter((testCase) => testCase.skipped !== undefined).length, 2, 'the two tests that never ran');
  assert.deepEqual(parseJunitCounts(readFileSync(chunk.junitFile!, 'utf8')), { total: 5, passed: 2, failed: 0, skipped: 2, errors: 1, xfailed: 0, xpassed: 0 });
  assert.match(readFileSync(chunk.junitFile!, 'utf8'), /never started: the chunk was stopped \(killed\)/);
});

test('topRetainedTests names the test that keeps 100 MB, not the one that allocates and frees it', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'memhog', markers: 'memhog' }] });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const top = chunkOf(readReport(dir), 'memhog').topRetainedTests;
  assert.equal(top[0]?.nodeid, 'tests/test_memhog.py::test_b_keeps_100_mib');
  assert.ok(top[0]!.rssDeltaBytes >= 95 * MIB, `delta ${top[0]!.rssDeltaBytes}`);
  const freer = top.find((entry) => entry.nodeid.endsWith('test_a_allocates_and_frees_100_mib'));
  assert.ok(freer === undefined || freer.rssDeltaBytes < 10 * MIB, JSON.stringify(freer));
});

// A pytest process that SIGKILLs itself is 'killed': no OOM evidence for the chunk.
const SELF_KILL_STATUS = 'killed';

test('an xdist worker that dies under a test: the test is blamed and run alone (killed again); the others keep their results', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'selfkill', markers: 'selfkill', workers: 2 }] });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const chunk = chunkOf(readReport(dir), 'selfkill');
  // xdist replaces the dead worker and pytest finishes; the dead worker's test then runs alone and kills itself again.
  assert.equal(chunk.status, SELF_KILL_STATUS);
  assert.deepEqual(chunk.tests, { total: 5, passed: 4, failed: 0, skipped: 0, errors: 1, xfailed: 0, xpassed: 0 });
  assert.equal(chunk.blamedTests.length, 1);
  const blamed = chunk.blamedTests[0]!;
  assert.equal(blamed.nodeid, 'tests/test_selfkill.py::test_b_kills_its_own_process');
  // 'oom' only with this chunk's own evidence (its cgroup's oom_kill); a self-SIGKILL never raises it.
  assert.equal(blamed.reason, 'crashed');
  assert.equal(chunk.evidence?.chunkOomKills ?? 0, 0);
  assert.equal(blamed.verdict, 'oom-deterministic');
  assert.match(blamed.evidence, /was killed by SIGKILL/);
  assert.match(blamed.worker ?? '', /^gw\d+$/);
  const crashed = mergedJunitCases(dir, 'selfkill').filter((testCase) => testCase.error !== undefined);
  assert.deepEqual(crashed.map((testCase) => testCase['@_name']), ['test_b_kills_its_own_process']);
  assertNoLeftovers(result.tag);
});
