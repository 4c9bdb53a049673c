import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildTestMarks, parseSamples, readHtmlInput } from '../../../src/html/html-input.js';
import type { TestEvent } from '../../../src/results/test-events.js';
import { bareRecord } from '../../../src/results/test-records.js';
import { chunkReport, runReport } from '../ci/ci-fixtures.js';

const STARTED_AT = '2026-05-01T10:00:00.000Z';
const STARTED_S = Date.parse(STARTED_AT) / 1000;

function start(pid: number, nodeid: string, afterS: number, rss: number | null): TestEvent {
  return { event: 'test-start', pid, worker: null, t: STARTED_S + afterS, nodeid, rss, gpu: null };
}

function end(pid: number, nodeid: string, afterS: number, rss: number | null, outcome: 'passed' | 'failed' = 'passed', message: string | null = null): TestEvent {
  return { event: 'test-end', pid, worker: null, t: STARTED_S + afterS, nodeid, outcome, duration: 0.1, rss, gpu: null, message, longrepr: message, crash: null, file: null, line: null, peak: rss, peakMethod: 'hwm', childPeak: null, gpuPeak: null, groupPeak: null, groupStart: null, sharedSetup: false, newModules: 0 };
}

function lines(events: TestEvent[]): string {
  return events.map((event) => JSON.stringify(event)).join('\n');
}

test('test marks: starts on the chunk clock, RSS growth from the end in the same process, blamed tests killed', () => {
  const chunk = chunkReport('c', { startedAt: STARTED_AT, blamedTests: [{ nodeid: 't::killed', reason: 'oom', evidence: 'the only test running when the chunk was stopped', worker: null, chunkRssBytes: null, rssGrowthBytes: null, verdict: null }] });
  const text = [
    lines([start(10, 't::a', 1.5, 1000), start(11, 't::a', 1.6, 5000), end(11, 't::a', 1.7, 5500), end(10, 't::a', 2, 3000, 'failed')]),
    '{"event":"test-start", torn',
    lines([start(10, 't::killed', 2.25, 3000), start(11, 't::unfinished', 2.5, null)]),
  ].join('\n');
  assert.deepEqual(buildTestMarks(text, chunk), [
    { tMs: 1500, nodeid: 't::a', rssDeltaBytes: 2000, outcome: 'failed' },
    { tMs: 1600, nodeid: 't::a', rssDeltaBytes: 500, outcome: 'passed' },
    { tMs: 2250, nodeid: 't::killed', rssDeltaBytes: null, outcome: 'killed' },
    { tMs: 2500, nodeid: 't::unfinished', rssDeltaBytes: null, outcome: 'unfinished' },
  ]);
  assert.deepEqual(buildTestMarks(text, chunkReport('never', { startedAt: null })), []);
});

test('samples: damaged lines are dropped, missing fields become null', () => {
  const text = ['{"t":500,"rssBytes":20,"pssBytes":null,"gpuBytes":7}', 'not json', '{"t":"x","rssBytes":1}', '{"t":0,"rssBytes":10}', '{"t":1000,"rssB'].join('\n');
  const parsed = parseSamples(text);
  assert.deepEqual(parsed.map((sample) => [sample.t, sample.rssBytes, sample.pssBytes, sample.gpuBytes]), [
    [0, 10, null, null],
    [500, 20, null, 7],
  ]);
});

test('readHtmlInput reads each chunk beside its log, failed tests from the events of every attempt, and tolerates missing files', async () => {
  const reportDir = mkdtempSync(path.join(tmpdir(), 'run-chunks-html-input-'));
  const chunkDir = path.join(reportDir, 'oom');
  mkdirSync(path.join(chunkDir, 'attempt-2'), { recursive: true });
  writeFileSync(path.join(chunkDir, 'samples.jsonl'), '{"t":0,"rssBytes":100}\n{"t":500,"rssBytes":200}\n');
  writeFileSync(path.join(chunkDir, 'events.jsonl'), lines([start(1, 't::f', 0.1, 10), end(1, 't::f', 0.2, 20, 'failed', 'assert 1 == 2'), start(1, 't::big', 0.3, 20)]));
  writeFileSync(path.join(chunkDir, 'attempt-2', 'events.jsonl'), lines([start(2, 't::g', 5, 10), end(2, 't::g', 6, 10, 'failed', 'boom')]));
  writeFileSync(path.join(chunkDir, 'attempt-2', 'samples.jsonl'), '{"t":0,"rssBytes":300}\n{"t":250,"rssBytes":50}\n');
  const oom = chunkReport('oom', {
    status: 'oom',
    startedAt: STARTED_AT,
    logFile: path.join(chunkDir, 'output.log'),
    blamedTests: [{ nodeid: 't::big', reason: 'oom', evidence: 'the only test running when the chunk was stopped', worker: null, chunkRssBytes: null, rssGrowthBytes: null, verdict: 'oom-flaky' }],
    attempts: [
      { attempt: 1, kind: 'initial', startedAt: STARTED_AT, status: 'oom', message: '', exitCode: null, signal: 'SIGKILL', workers: 1, durationMs: 1, tests: null, peakRssBytes: 200, peakPssBytes: null, logFile: '' },
      // A recovery attempt 4 s into the chunk: its samples and test starts continue the chart from there.
      { attempt: 2, kind: 'not-run', startedAt: new Date(Date.parse(STARTED_AT) + 4000).toISOString(), status: 'failed', message: '', exitCode: 1, signal: null, workers: 1, durationMs: 1, tests: null, peakRssBytes: 300, peakPssBytes: null, logFile: '' },
    ],
  });
  const gone = chunkReport('gone', { logFile: path.join(reportDir, 'gone', 'output.log') });
  const [oomData, goneData] = await readHtmlInput(runReport([oom, gone], { reportDir }));
  assert.deepEqual(oomData!.samples.map((sample) => [sample.t, sample.rssBytes]), [[0, 100], [500, 200], [4000, 300], [4250, 50]]);
  // Attempt 2's test started 5 s after the chunk's start (events carry wall-clock times).
  assert.deepEqual(oomData!.testMarks.map((entry) => [entry.nodeid, entry.outcome, entry.tMs]), [['t::f', 'failed', 100], ['t::big', 'killed', 300], ['t::g', 'failed', 5000]]);
  assert.deepEqual(oomData!.failedTests.map((entry) => [entry.nodeid, entry.outcome, entry.attempt, entry.message]), [
    ['t::f', 'failed', 1, 'assert 1 == 2'],
    ['t::g', 'failed', 2, 'boom'],
    ['t::big', 'killed', 1, 'running when the chunk ended: oom; cleared: passed when run alone (oom-flaky)'],
  ]);
  // Every test of every attempt, rebuilt from the events as the run builds its records: the end's peak (hwm), the start's RSS.
  assert.deepEqual(
    oomData!.records.map((record) => [record.nodeid, record.outcome, record.attempt, record.rssStartBytes, record.rssEndBytes, record.peakRssBytes, record.peakRssSource]),
    [
      ['t::f', 'failed', 1, 10, 20, 20, 'hwm'],
      ['t::g', 'failed', 2, 10, 10, 10, 'hwm'],
      ['t::big', 'killed', 1, null, null, null, null],
    ],
  );
  assert.deepEqual(goneData, { report: gone, samples: [], testMarks: [], failedTests: [], records: [], fileRefs: new Map() });

  // With records, the failed tests are theirs; a search dir stands in for paths from another machine.
  const moved = chunkReport('oom', { ...oom, logFile: '/elsewhere/oom/output.log' });
  const records = new Map([['oom', [bareRecord('t::r', 'crashed', 'worker died', 1), { ...bareRecord('t::ok', 'passed', '', 1) }]]]);
  const [movedData] = await readHtmlInput(runReport([moved]), records, { searchDirs: [reportDir] });
  assert.equal(movedData!.samples.length, 4);
  assert.deepEqual(movedData!.failedTests, [{ nodeid: 't::r', outcome: 'crashed', message: 'worker died', longrepr: null, attempt: 1 }]);
  assert.deepEqual(movedData!.records, records.get('oom'));
});
