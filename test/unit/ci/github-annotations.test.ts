import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GithubAnnotationsReporter } from '../../../src/ci/github-annotations-reporter.js';
import { buildGithubAnnotations, escapeCommandData, escapeCommandProperty, MAX_ANNOTATIONS } from '../../../src/ci/github-annotations.js';
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
