import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeidFromJunitNames, testRecordsFromJunit } from '../../../src/merge/junit-test-records.js';
import { buildMergedJunitXml } from '../../../src/results/junit-writer.js';
import { junitNamesFromNodeid } from '../../../src/results/pytest-junit-names.js';
import { chunkToJunitSuite } from '../../../src/results/records-to-junit.js';
import { bareRecord, rankPeakTests } from '../../../src/results/test-records.js';
import { chunkReport, testRecord } from './report-fixtures.js';

test('node ids come back from JUnit names: exactly with a file attribute, by pytest\'s class naming without', () => {
  const cases: [nodeid: string, file: string | null][] = [
    ['tests/unit/test_a.py::TestX::test_y[p/1.5::z]', 'tests/unit/test_a.py'],
    ['tests/unit/test_a.py::TestOuter::TestInner::test_y', 'tests/unit/test_a.py'],
    ['tests/unit/test_a.py::test_plain', 'tests/unit/test_a.py'],
    ['tests/unit/test_a.py::TestX::test_y[p-1]', null],
    ['tests/unit/test_a.py::test_plain', null],
    ['test_top.py::test_z', null],
  ];
  for (const [nodeid, file] of cases) {
    const { classname, name } = junitNamesFromNodeid(nodeid);
    assert.equal(nodeidFromJunitNames(classname, name, file), nodeid, nodeid);
  }
  assert.equal(nodeidFromJunitNames('', 'lonely', null), 'lonely');
});

test('testRecordsFromJunit reads back what run-chunks wrote: outcomes, durations, memory, worker, attempt', () => {
  const records = [
    testRecord('tests/test_a.py::test_ok', { file: 'tests/test_a.py', line: 3, durationMs: 1250, rssStartBytes: 1000, rssEndBytes: 5096, worker: 'gw1' }),
    testRecord('tests/test_a.py::TestX::test_fail', { outcome: 'failed', durationMs: 20, message: 'boom', rssStartBytes: null, rssEndBytes: null }),
    testRecord('tests/test_a.py::test_err', { outcome: 'error', durationMs: 1 }),
    testRecord('tests/test_a.py::test_skip', { outcome: 'skipped', durationMs: 0 }),
    { ...bareRecord('tests/test_a.py::test_big', 'killed', 'killed with its chunk', 1), rssStartBytes: 100, rssEndBytes: 900 },
    testRecord('tests/test_a.py::test_big', { durationMs: 300, attempt: 2, worker: null }),
    bareRecord('tests/test_a.py::test_after', 'not-run', 'never started', 1),
  ];
  const xml = buildMergedJunitXml([chunkToJunitSuite(chunkReport('unit'), records), chunkToJunitSuite(chunkReport('empty'), [])]);
  const read = testRecordsFromJunit(xml);
  assert.deepEqual([...read.keys()], ['unit', 'empty']);
  assert.deepEqual(
    read.get('unit')!.map((record) => [record.nodeid, record.outcome, record.durationMs, record.rssStartBytes, record.rssEndBytes, record.worker, record.attempt]),
    [
      ['tests/test_a.py::test_ok', 'passed', 1250, 1000, 5096, 'gw1', 1],
      ['tests/test_a.py::TestX::test_fail', 'failed', 20, null, null, 'gw0', 1],
      ['tests/test_a.py::test_err', 'error', 1, 100_000_000, 100_000_000, 'gw0', 1],
      ['tests/test_a.py::test_skip', 'skipped', 0, 100_000_000, 100_000_000, 'gw0', 1],
      ['tests/test_a.py::test_big', 'killed', null, 100, 900, null, 1],
      ['tests/test_a.py::test_big', 'passed', 300, 100_000_000, 100_000_000, null, 2],
      ['tests/test_a.py::test_after', 'not-run', null, null, null, null, 1],
    ],
  );
  assert.deepEqual(testRecordsFromJunit('not xml <'), new Map());
});

test('testRecordsFromJunit reads back each test\'s peak with its source, its children\'s peak and its GPU peak', () => {
  const records = [
    testRecord('tests/test_p.py::test_exact', { peakRssBytes: 400_000_000, peakRssSource: 'hwm', childPeakRssBytes: 50_000_000, gpuPeakBytes: 2_000_000 }),
    testRecord('tests/test_p.py::test_bound', { peakRssBytes: 100_000_000, peakRssSource: 'start-end' }),
    testRecord('tests/test_p.py::test_unmeasured'),
  ];
  const read = testRecordsFromJunit(buildMergedJunitXml([chunkToJunitSuite(chunkReport('peaks'), records)])).get('peaks')!;
  assert.deepEqual(
    read.map((record) => [record.nodeid, record.peakRssBytes, record.peakRssSource, record.childPeakRssBytes, record.gpuPeakBytes]),
    [
      ['tests/test_p.py::test_exact', 400_000_000, 'hwm', 50_000_000, 2_000_000],
      ['tests/test_p.py::test_bound', 100_000_000, 'start-end', null, null],
      ['tests/test_p.py::test_unmeasured', null, null, null, null],
    ],
  );
  // What topPeakTests is built from: the same ranking as for a run that ran here.
  assert.deepEqual(
    rankPeakTests(read).map((top) => [top.nodeid, top.peakRssSource, top.peakRiseBytes]),
    [
      ['tests/test_p.py::test_exact', 'hwm', 300_000_000],
      ['tests/test_p.py::test_bound', 'start-end', 0],
    ],
  );
});

test('testRecordsFromJunit keeps the message and text of a failure, error or skip (a JUnit file written again keeps them)', () => {
  const xml =
    '<testsuite name="own"><testcase classname="c" name="ok"/>' +
    '<testcase classname="c" name="bad"><failure message="expected 1, got 2">at line 3</failure></testcase>' +
    '<testcase classname="c" name="broken"><error message="setup failed"/></testcase>' +
    '<testcase classname="c" name="later"><skipped>no reason given</skipped></testcase></testsuite>';
  assert.deepEqual(
    testRecordsFromJunit(xml).get('own')!.map((record) => [record.outcome, record.message, record.longrepr]),
    [
      ['passed', null, null],
      ['failed', 'expected 1, got 2', 'at line 3'],
      ['error', 'setup failed', null],
      ['skipped', null, 'no reason given'],
    ],
  );
});

test('a JUnit peak without a known source is not read as a peak', () => {
  const property = (name: string, value: string): string => `<property name="${name}" value="${value}"/>`;
  const xml = (properties: string): string =>
    `<testsuites><testsuite name="c"><testcase classname="t" name="test_a" time="0.1"><properties>${properties}</properties></testcase></testsuite></testsuites>`;
  for (const properties of [property('peakRssBytes', '900'), property('peakRssBytes', '900') + property('peakRssSource', 'guess'), property('peakRssSource', 'hwm')]) {
    const [record] = testRecordsFromJunit(xml(properties)).get('c')!;
    assert.deepEqual([record!.peakRssBytes, record!.peakRssSource], [null, null], properties);
  }
});
