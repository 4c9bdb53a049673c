import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GithubAnnotationsReporter } from '../../../src/ci/github-annotations-reporter.js';
import { buildGithubAnnotations, escapeCommandData, escapeCommandProperty, failureLocation, failureMessage, lastLineIn, MAX_ANNOTATIONS } from '../../../src/ci/github-annotations.js';
import type { ChunkPlan } from '../../../src/plan/types.js';
import type { TestRecord } from '../../../src/results/test-records.js';
import { chunkReport, failedRun, HOSTILE_NODEID, record, runReport } from './ci-fixtures.js';

/** A workflow command split back into its parts, undoing GitHub's escaping. */
function parseCommand(line: string): { level: string; properties: Record<string, string>; message: string } {
  const match = /^::(error|warning) ([^:]*)::(.*)$/.exec(line);
  assert.ok(match, `not a workflow command: ${line}`);
  const unescape = (text: string): string =>
    text.replaceAll('%2C', ',').replaceAll('%3A', ':').replaceAll('%0A', '\n').replaceAll('%0D', '\r').replaceAll('%25', '%');
  const properties = Object.fromEntries(match[2]!.split(',').map((pair) => {
    const [key, value] = pair.split('=', 2) as [string, string];
    return [key, unescape(value)];
  }));
  return { level: match[1]!, properties, message: unescape(match[3]!) };
}

const RECORDS = new Map<string, TestRecord[]>([
  ['unit_fast', [record('tests/test_u.py::test_ok', 'passed', { file: 'tests/test_u.py', line: 3 })]],
  [
    'integration',
    [
      record('tests/test_i.py::test_fails[a,b:c]', 'failed', { file: 'tests/test_i.py', line: 41, message: 'AssertionError: 50% off\nexpected 1', longrepr: 'def test():\n>   assert 1 == 2' }),
      record('tests/test_i.py::test_setup', 'error', { file: 'tests/test_i.py', line: 77, message: 'fixture db not found' }),
      // Failed on the first run, passed when re-run: only the latest attempt counts.
      record('tests/test_i.py::test_flaky', 'failed', { file: 'tests/test_i.py', line: 90, message: 'boom' }),
      record('tests/test_i.py::test_flaky', 'passed', { file: 'tests/test_i.py', line: 90, attempt: 2 }),
    ],
  ],
  ['stress', [record('tests/test_s.py::test_big', 'killed', { file: 'tests/test_s.py', line: 12 }), record('tests/test_s.py::test_small', 'passed')]],
]);

test('the killed chunk comes first, then its blamed tests, then failed and errored tests with file and line', () => {
  const commands = buildGithubAnnotations(failedRun(), RECORDS).map(parseCommand);
  assert.deepEqual(
    commands.map(({ level, properties }) => [level, properties.title, properties.file, properties.line]),
    [
      ['error', 'Chunk stress: oom', undefined, undefined],
      ['error', 'stress: blamed for oom: tests/test_s.py::test_big', 'tests/test_s.py', '12'],
      ['error', `stress: blamed for oom: ${HOSTILE_NODEID}`, 'tests/test_x.py', undefined],
      // integration is optional: its failures are warnings, since they do not fail the run.
      ['warning', 'integration: failed: tests/test_i.py::test_fails[a,b:c]', 'tests/test_i.py', '41'],
      ['warning', 'integration: error: tests/test_i.py::test_setup', 'tests/test_i.py', '77'],
    ],
  );
  assert.equal(commands[0]!.message, `killed by the kernel OOM killer (SIGKILL) at 7.8 GiB\nBlamed: tests/test_s.py::test_big, ${HOSTILE_NODEID}`);
  assert.equal(commands[1]!.message, 'tests/test_s.py::test_big: blamed when chunk stress ended (oom): the only test running when the chunk was stopped, on gw1, killed again when run alone (oom-deterministic)');
  assert.equal(commands[3]!.message, 'AssertionError: 50% off\nexpected 1\n\ndef test():\n>   assert 1 == 2');
});

test('messages and properties are escaped by GitHub\'s rules, so no text can start a new command', () => {
  assert.equal(escapeCommandData('50%\r\nnext ::error::x, y: z'), '50%25%0D%0Anext ::error::x, y: z');
  assert.equal(escapeCommandProperty('a.py::test[1,2]: 5%'), 'a.py%3A%3Atest[1%2C2]%3A 5%25');
  const [, , , failed] = buildGithubAnnotations(failedRun(), RECORDS);
  assert.equal(
    failed,
    '::warning file=tests/test_i.py,line=41,title=integration%3A failed%3A tests/test_i.py%3A%3Atest_fails[a%2Cb%3Ac]::' +
      'AssertionError: 50%25 off%0Aexpected 1%0A%0Adef test():%0A>   assert 1 == 2',
  );
  for (const line of buildGithubAnnotations(failedRun(), RECORDS)) assert.ok(!line.includes('\n') && !line.includes('\r'), line);
});

test('at most the limit, then one warning that counts what was left out', () => {
  const many = Array.from({ length: 70 }, (_, index) => record(`tests/test_m.py::test_${index}`, 'failed', { file: 'tests/test_m.py', line: index + 1, message: 'no' }));
  const report = runReport([chunkReport('big', { status: 'failed', tests: { total: 70, passed: 0, failed: 70, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 } })], { status: 'failed', exitCode: 1 });
  const lines = buildGithubAnnotations(report, new Map([['big', many]]));
  assert.equal(lines.length, MAX_ANNOTATIONS + 1);
  assert.equal(lines.at(-1), '::warning title=run-chunks::20 more annotations left out (GitHub shows only the first few per step); see the job summary and report.json.');
  assert.equal(buildGithubAnnotations(report, new Map([['big', many.slice(0, 3)]]), 2).length, 3);
  assert.deepEqual(buildGithubAnnotations(runReport([chunkReport('ok')]), new Map()), []);
});

test('the reporter keeps each chunk\'s records and writes the commands once, when the run finishes', () => {
  const written: string[] = [];
  const reporter = new GithubAnnotationsReporter((text) => written.push(text));
  const report = failedRun();
  for (const chunk of report.chunks) reporter.onChunkFinished({ type: 'chunk-finished', plan: {} as ChunkPlan, result: chunk, records: RECORDS.get(chunk.name) ?? [] });
  assert.deepEqual(written, []);
  reporter.onRunFinished({ type: 'run-finished', report });
  assert.equal(written.length, 1);
  assert.equal(written[0], `${buildGithubAnnotations(report, RECORDS).join('\n')}\n`);

  const quiet: string[] = [];
  new GithubAnnotationsReporter((text) => quiet.push(text)).onRunFinished({ type: 'run-finished', report: runReport([chunkReport('ok')]) });
  assert.deepEqual(quiet, []);
});

// pytest's long traceback of a test that failed inside numpy, called from line 15 of its file.
const NUMPY_LONGREPR = [
  'def test_mean():',
  '        values = load()',
  '>       assert_allclose(values.mean(), 2.5)',
  '',
  'tests/test_stats.py:15: ',
  '_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _',
  '',
  '>   raise AssertionError(msg)',
  'E   AssertionError: Not equal to tolerance rtol=1e-07, atol=0',
  '',
  '/usr/lib/python3/site-packages/numpy/testing/_private/utils.py:797: AssertionError',
].join('\n');

test('a failed test points at the line it failed on: the crash, else its last traceback line in its own file, else its def', () => {
  const defined = { file: 'tests/test_stats.py', line: 12 };
  const crashed = record('tests/test_stats.py::test_mean', 'failed', { ...defined, longrepr: NUMPY_LONGREPR, crash: { path: 'tests/test_stats.py', line: 16, message: 'AssertionError: x' } });
  assert.deepEqual(failureLocation(crashed, [crashed]), { file: 'tests/test_stats.py', line: 16 });
  // From JUnit (a command chunk's): no crash, so the traceback's last line in the test's file, not numpy's.
  const fromJunit = record('tests/test_stats.py::test_mean', 'failed', { ...defined, longrepr: NUMPY_LONGREPR });
  assert.deepEqual(failureLocation(fromJunit, [fromJunit]), { file: 'tests/test_stats.py', line: 15 });
  // A crash outside the rootdir has no path: the traceback is searched instead.
  const outside = { ...fromJunit, crash: { path: null, line: null, message: 'AssertionError: x' } };
  assert.deepEqual(failureLocation(outside, [outside]), { file: 'tests/test_stats.py', line: 15 });
  // Nothing in the test's file: where it is defined, as before.
  const elsewhere = { ...fromJunit, longrepr: 'tests/helpers.py:3: AssertionError' };
  assert.deepEqual(failureLocation(elsewhere, [elsewhere]), defined);
  const bare = record('tests/test_stats.py::test_gone', 'error', {});
  assert.deepEqual(failureLocation(bare, [bare]), { file: 'tests/test_stats.py', line: null });
});

test('lastLineIn reads pytest\'s `path:N:` lines of the test\'s own file only, the last one winning', () => {
  assert.equal(lastLineIn(NUMPY_LONGREPR, 'tests/test_stats.py'), 15);
  assert.equal(lastLineIn('tests/test_a.py:3: in test_x\n    helper()\ntests/test_a.py:9: ValueError', 'tests/test_a.py'), 9);
  // pytest prints absolute paths once a test changed the working folder.
  assert.equal(lastLineIn('/home/ci/repo/tests/test_a.py:7: KeyError', 'tests/test_a.py'), 7);
  assert.equal(lastLineIn('tests/test_ab.py:7: KeyError\nmytests/test_a.py:8: KeyError', 'tests/test_a.py'), null);
  assert.equal(lastLineIn('E   assert "tests/test_a.py:5" == ""', 'tests/test_a.py'), null);
  assert.equal(lastLineIn('tests/test_a.py:0: x', 'tests/test_a.py'), null);
});

test('the message starts with the crash message, whole, then the end of the traceback, 2,000 characters at most', () => {
  const crashMessage = 'AssertionError: values differ\nassert [1, 2] == [1, 3]\n  At index 1 diff: 2 != 3';
  const traceback = `${'x'.repeat(5_000)}\nE   AssertionError: values differ`;
  const message = failureMessage(crashMessage, traceback);
  assert.ok(message.startsWith(`${crashMessage}\n\n…`), message.slice(0, 200));
  assert.ok(message.endsWith('E   AssertionError: values differ'));
  assert.equal(message.length, 2_000);
  assert.equal(failureMessage('boom', 'short'), 'boom\n\nshort');
  assert.equal(failureMessage('boom', null), 'boom');
  assert.equal(failureMessage(null, traceback).length, 2_000);
  assert.ok(failureMessage(null, traceback).endsWith('values differ'));
  // A message too long for the box keeps its start: the assertion, not the tail of a diff.
  const huge = `AssertionError: ${'y'.repeat(3_000)}`;
  assert.equal(failureMessage(huge, traceback), `${huge.slice(0, 1_999)}…`);
});

test('a test\'s annotation uses its crash for file, line and the start of the message', () => {
  const crashed = record('tests/test_stats.py::test_mean', 'failed', {
    file: 'tests/test_stats.py',
    line: 12,
    message: 'AssertionError: Not equal to tolerance',
    longrepr: `${'.'.repeat(3_000)}\n${NUMPY_LONGREPR}`,
    crash: { path: 'tests/test_stats.py', line: 15, message: 'AssertionError: Not equal to tolerance rtol=1e-07, atol=0\nMismatched elements: 1 / 1' },
  });
  const report = runReport([chunkReport('stats', { status: 'failed', tests: { total: 1, passed: 0, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 } })], { status: 'failed', exitCode: 1 });
  const [command] = buildGithubAnnotations(report, new Map([['stats', [crashed]]])).map(parseCommand);
  assert.equal(command!.properties.file, 'tests/test_stats.py');
  assert.equal(command!.properties.line, '15');
  assert.ok(command!.message.startsWith('AssertionError: Not equal to tolerance rtol=1e-07, atol=0\nMismatched elements: 1 / 1\n\n…'), command!.message.slice(0, 120));
  assert.ok(command!.message.endsWith('utils.py:797: AssertionError'));
  assert.ok(command!.message.length <= 2_000);
});

test('a blamed test that xfailed or xpassed in the retry ended well: no annotation points at it, nor at xfailed tests', () => {
  const stress = failedRun().chunks.find((chunk) => chunk.name === 'stress')!;
  const records = new Map<string, TestRecord[]>([
    [
      'stress',
      [
        record('tests/test_s.py::test_big', 'killed', { file: 'tests/test_s.py', line: 12 }),
        record('tests/test_s.py::test_big', 'xfailed', { file: 'tests/test_s.py', line: 12, attempt: 2, message: 'xfail: known hog' }),
        record(HOSTILE_NODEID, 'killed'),
        record(HOSTILE_NODEID, 'xpassed', { attempt: 2, message: 'xfail: maybe fixed' }),
      ],
    ],
  ]);
  const titles = buildGithubAnnotations(runReport([{ ...stress, status: 'passed', message: 'recovered' }]), records).map((line) => parseCommand(line).properties.title);
  assert.deepEqual(titles, []);
});
