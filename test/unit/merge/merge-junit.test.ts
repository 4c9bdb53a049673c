import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mergeJunitXml } from '../../../src/merge/merge-junit.js';
import { buildJunitSuiteXml, buildMergedJunitXml, type JunitSuite, type JunitTestCase } from '../../../src/results/junit-writer.js';
import { parseJunitCounts } from '../../../src/results/parse-junit.js';
import { UserError } from '../../../src/util/user-error.js';

function testCase(nodeid: string, outcome: JunitTestCase['outcome'], overrides: Partial<JunitTestCase> = {}): JunitTestCase {
  return { nodeid, outcome, durationMs: 12, message: null, details: null, file: null, line: null, properties: {}, ...overrides };
}

const SUITE_A: JunitSuite = {
  name: 'A',
  timestamp: '2026-05-01T10:00:00.000Z',
  durationMs: 1500,
  properties: { status: 'failed', peakRssBytes: 123_456_789 },
  cases: [
    testCase('tests/test_a.py::test_ok', 'passed', { file: 'tests/test_a.py', line: 3, properties: { rssDeltaBytes: 1024, worker: 'gw0' } }),
    // Text and attributes a naive merge would break: markup, entities, line breaks, a tab, a control character.
    testCase('tests/test_a.py::test_fail[<a&b>]', 'failed', { message: 'assert "x" == \'y\'\nsecond line\twith tab', details: 'def test():\n>   assert a < b && c > d\n\u0007 bell\r\nend  ' }),
    testCase('tests/test_a.py::test_skip', 'skipped', { message: 'later', details: 'test_a.py:12: later' }),
  ],
  systemOut: 'Full output: /ci/a/report/A/output.log',
};

const SUITE_B: JunitSuite = {
  name: 'B',
  timestamp: '2026-05-01T10:01:00.000Z',
  durationMs: 2250,
  properties: { status: 'oom' },
  cases: [
    testCase('tests/test_b.py::test_err', 'error', { message: 'failed on setup', details: 'RuntimeError' }),
    testCase('tests/test_b.py::test_big', 'killed', { message: 'chunk killed: oom', durationMs: null }),
    testCase('tests/test_b.py::test_after', 'not-run', { message: 'never started' }),
  ],
};

// Reads every value the way a CI tool would: entities and character references decoded, nothing trimmed.
const reader = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', htmlEntities: true, trimValues: false, parseTagValue: false, parseAttributeValue: false });

function read(xml: string): unknown {
  return reader.parse(xml);
}

test('junit merge of two files contains both suites with correct totals, and parses', () => {
  const merged = mergeJunitXml([buildJunitSuiteXml(SUITE_A), buildMergedJunitXml([SUITE_B])]);
  assert.equal(XMLValidator.validate(merged), true);
  assert.deepEqual(parseJunitCounts(merged), { total: 6, passed: 1, failed: 1, skipped: 2, errors: 2, xfailed: 0, xpassed: 0 });
  const root = (read(merged) as { testsuites: Record<string, unknown> }).testsuites;
  assert.equal(root['@_tests'], '6');
  assert.equal(root['@_failures'], '1');
  assert.equal(root['@_errors'], '2');
  assert.equal(root['@_skipped'], '2');
  assert.equal(root['@_time'], '3.750');
  assert.deepEqual(
    (root.testsuite as { '@_name': string }[]).map((suite) => suite['@_name']),
    ['A', 'B'],
  );
});

test('the merge reads back exactly like one file written with both suites: cases, properties, messages and text survive', () => {
  const merged = mergeJunitXml([buildJunitSuiteXml(SUITE_A), buildJunitSuiteXml(SUITE_B)]);
  assert.deepEqual(read(merged), read(buildMergedJunitXml([SUITE_A, SUITE_B])));
  type Read = { testsuites: { testsuite: { testcase: { failure: Record<string, string> }[] }[] } };
  const failure = (read(merged) as Read).testsuites.testsuite[0]!.testcase[1]!.failure;
  assert.equal(failure['@_message'], 'assert "x" == \'y\'\nsecond line\twith tab');
  assert.equal(failure['#text'], 'def test():\n>   assert a < b && c > d\n#x07 bell\r\nend  ');
});

test('merging a merge changes nothing, and a bare <testsuite> root is accepted', () => {
  const once = mergeJunitXml([buildJunitSuiteXml(SUITE_A), buildJunitSuiteXml(SUITE_B)]);
  assert.equal(mergeJunitXml([once]), once);
  const bare = '<?xml version="1.0"?>\n<testsuite name="pytest" tests="1"><testcase classname="t" name="x" time="0.5"><failure message="m">boom</failure></testcase></testsuite>';
  const merged = mergeJunitXml([bare, buildJunitSuiteXml(SUITE_B)]);
  assert.deepEqual(parseJunitCounts(merged), { total: 4, passed: 0, failed: 1, skipped: 1, errors: 2, xfailed: 0, xpassed: 0 });
  assert.equal(XMLValidator.validate(mergeJunitXml([])), true);
  assert.deepEqual(parseJunitCounts(mergeJunitXml([])), { total: 0, passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
});

test('an input that is not well-formed XML, or not JUnit, is a UserError naming its position', () => {
  assert.throws(() => mergeJunitXml([buildJunitSuiteXml(SUITE_A), '<testsuites><testsuite>']), (error: unknown) => error instanceof UserError && /JUnit input 2 is not well-formed/.test(error.message));
  assert.throws(() => mergeJunitXml(['<html><body/></html>']), (error: unknown) => error instanceof UserError && /input 1 is not a JUnit report.*<html>/.test(error.message));
});
