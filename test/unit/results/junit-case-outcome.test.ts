import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { testRecordsFromJunit } from '../../../src/merge/junit-test-records.js';
import { mergeJunitXml } from '../../../src/merge/merge-junit.js';
import { countRecords } from '../../../src/results/chunk-test-state.js';
import { classifyJunitCase, parsedCaseView, type JunitOutcome } from '../../../src/results/junit-case-outcome.js';
import { buildJunitSuiteXml } from '../../../src/results/junit-writer.js';
import { parseJunitCounts } from '../../../src/results/parse-junit.js';
import { chunkToJunitSuite } from '../../../src/results/records-to-junit.js';
import { bareRecord, isPassingOutcome, type TestRecord, type TestRecordOutcome } from '../../../src/results/test-records.js';
import { baseChunkReport } from '../../helpers/report-fixtures.js';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => name === 'testcase' });

/** The outcome classifyJunitCase gives the one testcase in `inner` (the testcase's children). */
function classify(inner: string): JunitOutcome {
  const document = parser.parse(`<testsuite><testcase name="t">${inner}</testcase></testsuite>`) as { testsuite: { testcase: Record<string, unknown>[] } };
  return classifyJunitCase(parsedCaseView(document.testsuite.testcase[0]!));
}

test('a JUnit testcase is classified in pytest\'s taxonomy: pytest.xfail skips are xfailed, the xpassed property is xpassed', () => {
  const cases: [string, JunitOutcome][] = [
    ['', 'passed'],
    ['<failure message="assert 1 == 2">trace</failure>', 'failed'],
    ['<failure message="x"/><error message="teardown">trace</error>', 'error'],
    ['<error type="run-chunks.killed" message="killed"/>', 'killed'],
    ['<skipped type="pytest.skip" message="later"/>', 'skipped'],
    ['<skipped/>', 'skipped'],
    ['<skipped>why</skipped>', 'skipped'],
    // What pytest's --junitxml writes for an xfail, with a reason and without.
    ['<skipped type="pytest.xfail" message="known bug"/>', 'xfailed'],
    ['<skipped type="pytest.xfail" message=""/>', 'xfailed'],
    ['<skipped type="run-chunks.not-run" message="never started"/>', 'not-run'],
    ['<properties><property name="outcome" value="xpassed"/></properties>', 'xpassed'],
    ['<properties><property name="worker" value="gw0"/><property name="outcome" value="xpassed"/></properties>', 'xpassed'],
    ['<properties><property name="outcome" value="something else"/></properties>', 'passed'],
    // A failure element outweighs the property.
    ['<properties><property name="outcome" value="xpassed"/></properties><failure message="x"/>', 'failed'],
  ];
  for (const [inner, expected] of cases) assert.equal(classify(inner), expected, inner);
});

const PYTEST_JUNIT = `<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="1" skipped="3" tests="7">
<testcase classname="t" name="ok" /><testcase classname="t" name="ok2" />
<testcase classname="t" name="skip"><skipped type="pytest.skip" message="not here">t.py:3: not here</skipped></testcase>
<testcase classname="t" name="xfail"><skipped type="pytest.xfail" message="known bug" /></testcase>
<testcase classname="t" name="xfail2"><skipped type="pytest.xfail" message="" /></testcase>
<testcase classname="t" name="xpass" />
<testcase classname="t" name="xpass_strict"><failure message="[XPASS(strict)] fixed">[XPASS(strict)] fixed</failure></testcase>
</testsuite></testsuites>`;

test("parseJunitCounts counts pytest's xfail apart from skips; its non-strict xpass it writes as a plain pass", () => {
  assert.deepEqual(parseJunitCounts(PYTEST_JUNIT), { total: 7, passed: 3, failed: 1, skipped: 1, errors: 0, xfailed: 2, xpassed: 0 });
});

function record(nodeid: string, outcome: TestRecordOutcome, message: string | null): TestRecord {
  return { ...bareRecord(nodeid, outcome, '', 1), message, durationMs: 5, file: 'tests/test_a.py', line: 3 };
}

const RECORDS: TestRecord[] = [
  record('tests/test_a.py::test_ok', 'passed', null),
  record('tests/test_a.py::test_fail', 'failed', 'assert 1 == 2'),
  record('tests/test_a.py::test_skip', 'skipped', 'not here'),
  record('tests/test_a.py::test_xfail', 'xfailed', 'xfail: known bug'),
  record('tests/test_a.py::test_xfail_bare', 'xfailed', 'xfail'),
  record('tests/test_a.py::test_xpass', 'xpassed', 'xfail: maybe fixed'),
  record('tests/test_a.py::test_strict', 'failed', '[XPASS(strict)] fixed'),
  record('tests/test_a.py::test_killed', 'killed', 'killed with the chunk'),
  record('tests/test_a.py::test_later', 'not-run', 'never started'),
];

test('countRecords keeps xfailed and xpassed apart from skipped and passed', () => {
  assert.deepEqual(countRecords(RECORDS), { total: 8, passed: 1, failed: 2, skipped: 1, errors: 1, xfailed: 2, xpassed: 1 });
});

test('run-chunks writes an xfail as pytest does and an xpass with its property; every reader gets them back', () => {
  const xml = buildJunitSuiteXml(chunkToJunitSuite(baseChunkReport('unit'), RECORDS));
  assert.match(xml, /<skipped type="pytest\.xfail" message="known bug"/);
  assert.match(xml, /<skipped type="pytest\.xfail" message=""/);
  assert.match(xml, /name="test_xpass"[^>]*>\s*<properties>\s*<property name="outcome" value="xpassed"\/>/);
  // The suite's attributes as pytest counts them: an xfail among the skipped, an xpass among none.
  assert.match(xml, /<testsuite name="unit" errors="1" failures="2" skipped="4" tests="9"/);
  assert.deepEqual(parseJunitCounts(xml), { total: 9, passed: 1, failed: 2, skipped: 2, errors: 1, xfailed: 2, xpassed: 1 });
  assert.match(mergeJunitXml([xml, PYTEST_JUNIT]), /<testsuites name="run-chunks" errors="1" failures="3" skipped="7" tests="16"/);
  const back = testRecordsFromJunit(xml).get('unit')!;
  assert.deepEqual(
    back.map((test) => [test.nodeid, test.outcome, test.message]),
    RECORDS.map((test) => [test.nodeid, test.outcome, test.message]),
  );
});

test('xfailed and xpassed are passing outcomes; failed, error, killed, crashed and not-run are not', () => {
  const passing = (['passed', 'skipped', 'xfailed', 'xpassed', 'failed', 'error', 'killed', 'crashed', 'not-run'] as const).filter((outcome) => isPassingOutcome(outcome));
  assert.deepEqual(passing, ['passed', 'skipped', 'xfailed', 'xpassed']);
  assert.equal(isPassingOutcome(undefined), false);
});
