import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { historyRunFromReport } from '../../../src/history/history-file.js';
import { mergeReportDirs, mergeRunReports, readReportDir, writeMergedRun, type MergeOptions } from '../../../src/merge/merge-reports.js';
import { buildMergedJunitXml } from '../../../src/results/junit-writer.js';
import { parseJunitCounts } from '../../../src/results/parse-junit.js';
import { chunkToJunitSuite } from '../../../src/results/records-to-junit.js';
import type { ChunkReport, RunReport } from '../../../src/results/report-types.js';
import type { TestRecord } from '../../../src/results/test-records.js';
import { UserError } from '../../../src/util/user-error.js';
import { chunkReport, memory, runReport, testRecord } from './report-fixtures.js';

const T0 = new Date('2026-05-01T10:00:00.000Z');
const T1 = new Date('2026-05-01T10:02:00.000Z');
const T2 = new Date('2026-05-01T10:01:00.000Z');
const T3 = new Date('2026-05-01T10:04:30.000Z');

const OPTIONS: MergeOptions = { reportDir: '/repo/.run-chunks/report', runId: 'run-1', version: '0.1.0', failOnLeak: false };

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-merge-'));
  tempDirs.push(dir);
  return dir;
}

/** The same two chunks as one run on one machine, and as two runs (one CI job each) merged. */
function oneRunAndMerge(a: ChunkReport, b: ChunkReport, failOnLeak = false): { both: RunReport; merged: RunReport } {
  // Job A ran 10:00–10:02, job B 10:01–10:04:30: side by side, as one run with two parallel chunks would.
  // sharedMachine false: a merged report counts no concurrency (maxConcurrentChunks null).
  const both = runReport([a, b], { startedAt: T0, finishedAt: T3, parallelChunks: 2, failOnLeak, sharedMachine: false });
  const jobA = runReport([a], { runId: 'job-a', reportDir: '/ci/a/report', startedAt: T0, finishedAt: T1, failOnLeak });
  const jobB = runReport([b], { runId: 'job-b', reportDir: '/ci/b/report', startedAt: T2, finishedAt: T3, failOnLeak });
  return { both, merged: mergeRunReports([jobA, jobB], { ...OPTIONS, failOnLeak }) };
}

test('merge of two report dirs equals one run of both chunks', () => {
  const { both, merged } = oneRunAndMerge(chunkReport('A'), chunkReport('B', { startedAt: T2.toISOString() }));
  assert.deepEqual(merged, both);
  assert.equal(merged.startedAt, T0.toISOString());
  assert.equal(merged.finishedAt, T3.toISOString());
  assert.equal(merged.durationMs, T3.getTime() - T0.getTime());
  assert.equal(merged.parallelChunks, 2, 'two runs side by side: the sum of their parallelChunks');
  assert.deepEqual(
    merged.chunks.map((chunk) => chunk.name),
    ['A', 'B'],
  );
});

test('the merged status and exit code are decided again from every chunk', () => {
  const failedB = { status: 'failed', exitCode: 1, message: '1 test failed' } as const;
  const cases: { name: string; b: ChunkReport; failOnLeak?: boolean; status: RunReport['status']; exitCode: number }[] = [
    { name: 'a failed required chunk in one dir fails the run', b: chunkReport('B', failedB), status: 'failed', exitCode: 1 },
    { name: 'a failed optional chunk does not', b: chunkReport('B', { ...failedB, required: false }), status: 'passed', exitCode: 0 },
    { name: 'a killed required chunk is exit 3', b: chunkReport('B', { status: 'oom', exitCode: null, signal: 'SIGKILL' }), status: 'error', exitCode: 3 },
    { name: 'a leak with --fail-on-leak fails it', b: chunkReport('B', { memory: memory(1e9, { verdict: 'leak' }) }), failOnLeak: true, status: 'failed', exitCode: 1 },
    { name: 'a leak without it does not', b: chunkReport('B', { memory: memory(1e9, { verdict: 'leak' }) }), status: 'passed', exitCode: 0 },
  ];
  for (const { name, b, failOnLeak, status, exitCode } of cases) {
    const { both, merged } = oneRunAndMerge(chunkReport('A'), b, failOnLeak);
    assert.deepEqual(merged, both, name);
    assert.deepEqual({ status: merged.status, exitCode: merged.exitCode }, { status, exitCode }, name);
  }
});

test('an interrupted input makes the merged run interrupted, with the first signal', () => {
  const jobA = runReport([chunkReport('A')], { runId: 'job-a' });
  const jobB = runReport([chunkReport('B', { status: 'interrupted' })], { runId: 'job-b', interruptedBy: 'SIGTERM' });
  const jobC = runReport([chunkReport('C', { status: 'interrupted' })], { runId: 'job-c', interruptedBy: 'SIGINT' });
  const merged = mergeRunReports([jobA, jobB, jobC], OPTIONS);
  assert.equal(merged.interruptedBy, 'SIGTERM');
  assert.deepEqual({ status: merged.status, exitCode: merged.exitCode }, { status: 'interrupted', exitCode: 130 });
});

test('a chunk name in two reports is an error naming the chunk and both dirs; no reports is an error', () => {
  const jobA = runReport([chunkReport('A')], { runId: 'job-a', reportDir: '/ci/a/report' });
  const again = runReport([chunkReport('B'), chunkReport('A')], { runId: 'job-a2', reportDir: '/ci/a2/report' });
  assert.throws(
    () => mergeRunReports([jobA, again], OPTIONS),
    (error: unknown) => error instanceof UserError && /chunk "A"/.test(error.message) && error.message.includes('/ci/a/report') && error.message.includes('/ci/a2/report'),
  );
  assert.throws(() => mergeRunReports([], OPTIONS), UserError);
});

test('GPU sampling: active when any run sampled, with a reason naming the runs that did not', () => {
  const on = { requested: 'auto', active: true, reason: null } as const;
  const off = { requested: 'auto', active: false, reason: 'nvidia-smi is not on PATH' } as const;
  const gpuRun = runReport([chunkReport('A')], { runId: 'gpu-job', gpuSampling: on });
  const cpuRun = runReport([chunkReport('B')], { runId: 'cpu-job', gpuSampling: off });
  const partly = mergeRunReports([gpuRun, cpuRun], OPTIONS).gpuSampling;
  assert.equal(partly.active, true);
  assert.match(partly.reason ?? '', /1 of 2 .*cpu-job.*nvidia-smi is not on PATH/);
  assert.deepEqual(mergeRunReports([gpuRun], OPTIONS).gpuSampling, on);
  assert.deepEqual(mergeRunReports([cpuRun, runReport([chunkReport('C')], { gpuSampling: off })], OPTIONS).gpuSampling, off);
});

function writeReportDir(report: RunReport, records: Map<string, TestRecord[]> | null): string {
  const dir = path.join(tempDir(), 'report');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'report.json'), JSON.stringify(report, null, 2));
  if (records !== null) writeFileSync(path.join(dir, 'junit.xml'), buildMergedJunitXml(report.chunks.map((chunk) => chunkToJunitSuite(chunk, records.get(chunk.name) ?? []))));
  return dir;
}

test('readReportDir: a clear error for a missing dir, no report.json, bad JSON, another tool or schema', async () => {
  const root = tempDir();
  const expectError = async (dir: string, pattern: RegExp): Promise<void> => {
    await assert.rejects(readReportDir(dir), (error: unknown) => error instanceof UserError && pattern.test(error.message) && error.message.includes(dir));
  };
  await expectError(path.join(root, 'absent'), /not a folder/);
  await expectError(root, /has no report\.json/);
  const write = (name: string, text: string): string => {
    const dir = path.join(root, name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'report.json'), text);
    return dir;
  };
  await expectError(write('cut', '{"schemaVersion": 1, "tool"'), /not valid JSON/);
  await expectError(write('other', JSON.stringify({ schemaVersion: 1, tool: { name: 'jest' }, chunks: [] })), /not a run-chunks report/);
  await expectError(write('future', JSON.stringify({ schemaVersion: 3, tool: { name: 'run-chunks', version: '9.0.0' }, chunks: [] })), /schemaVersion 3 \(written by run-chunks 9\.0\.0\).*only schemaVersion 2/);
  await expectError(write('older', JSON.stringify({ schemaVersion: 1, tool: { name: 'run-chunks', version: '0.1.0' }, chunks: [] })), /schemaVersion 1/);
  const report = runReport([chunkReport('A')]);
  const withoutJunit = await readReportDir(writeReportDir(report, null));
  assert.deepEqual(withoutJunit, { report, junitXml: null });
});

test('mergeReportDirs reads, merges and writes report.json and junit.xml; the history gets every chunk with its tests', async () => {
  const recordsA = [testRecord('tests/test_a.py::test_one', { file: 'tests/test_a.py', durationMs: 250 }), testRecord('tests/test_a.py::TestX::test_two[p-1]', { outcome: 'failed', durationMs: 40 })];
  const recordsB = [testRecord('tests/test_b.py::test_big', { rssStartBytes: 1e8, rssEndBytes: 3e8, durationMs: 900, peakRssBytes: 7e8, peakRssSource: 'hwm' })];
  const a = chunkReport('A', { status: 'failed' });
  const b = chunkReport('B', { durationMs: 4000 });
  const dirA = writeReportDir(runReport([a], { runId: 'job-a', startedAt: T0, finishedAt: T1 }), new Map([['A', recordsA]]));
  const dirB = writeReportDir(runReport([b], { runId: 'job-b', startedAt: T2, finishedAt: T3 }), new Map([['B', recordsB]]));
  const outDir = path.join(tempDir(), 'merged');
  const merged = await mergeReportDirs([dirA, dirB], { ...OPTIONS, reportDir: outDir });
  assert.deepEqual(merged.warnings, []);
  assert.deepEqual(merged.report, runReport([a, b], { startedAt: T0, finishedAt: T3, parallelChunks: 2, reportDir: outDir, sharedMachine: false }));
  assert.deepEqual(parseJunitCounts(merged.junitXml), { total: 3, passed: 2, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });

  await writeMergedRun(merged);
  assert.deepEqual(JSON.parse(readFileSync(path.join(outDir, 'report.json'), 'utf8')), merged.report);
  assert.equal(readFileSync(path.join(outDir, 'junit.xml'), 'utf8'), merged.junitXml);

  const recorded = historyRunFromReport(merged.report, merged.records);
  assert.deepEqual(
    recorded.chunks.map((chunk) => [chunk.name, [...chunk.tests]]),
    [
      [
        'A',
        [
          ['tests/test_a.py::test_one', { durationMs: 250, outcome: 'passed', rssDeltaBytes: 0, peak: null }],
          ['tests/test_a.py::TestX::test_two[p-1]', { durationMs: 40, outcome: 'failed', rssDeltaBytes: 0, peak: null }],
        ],
      ],
      ['B', [['tests/test_b.py::test_big', { durationMs: 900, outcome: 'passed', rssDeltaBytes: 2e8, peak: { bytes: 7e8, source: 'hwm' } }]]],
    ],
  );
});

test('mergeReportDirs warns about a dir without junit.xml and still merges its report', async () => {
  const dirA = writeReportDir(runReport([chunkReport('A')], { runId: 'job-a' }), new Map([['A', [testRecord('tests/test_a.py::test_one')]]]));
  const dirB = writeReportDir(runReport([chunkReport('B')], { runId: 'job-b' }), null);
  const merged = await mergeReportDirs([dirA, dirB], OPTIONS);
  assert.deepEqual(
    merged.report.chunks.map((chunk) => chunk.name),
    ['A', 'B'],
  );
  assert.equal(merged.warnings.length, 1);
  assert.match(merged.warnings[0]!, /has no junit\.xml/);
  assert.ok(merged.warnings[0]!.includes(dirB));
  assert.equal(parseJunitCounts(merged.junitXml)?.total, 1);
});

test('a report.json of an earlier run-chunks (no xfailed, xpassed) is read with them as 0, so shards of both kinds add up', async () => {
  const shard = (index: number, tests: ChunkReport['tests']): ChunkReport => chunkReport('S', { shard: { index, count: 2, tests: 3, collected: 6 }, tests, attempts: [] });
  const earlier = runReport([shard(1, { total: 3, passed: 2, failed: 0, skipped: 1, errors: 0, xfailed: 0, xpassed: 0 })], { runId: 'job-1' });
  // As an earlier version wrote it: its counts folded an xfail into skipped and an xpass into passed.
  const earlierJson = JSON.parse(JSON.stringify(earlier)) as { chunks: { tests: Record<string, number> }[] };
  delete earlierJson.chunks[0]!.tests.xfailed;
  delete earlierJson.chunks[0]!.tests.xpassed;
  const earlierDir = writeReportDir(earlierJson as unknown as RunReport, new Map());
  assert.deepEqual((await readReportDir(earlierDir)).report, earlier);
  const laterDir = writeReportDir(runReport([shard(2, { total: 3, passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 2, xpassed: 1 })], { runId: 'job-2' }), new Map());
  const merged = await mergeReportDirs([earlierDir, laterDir], OPTIONS);
  assert.deepEqual(merged.report.chunks[0]!.tests, { total: 6, passed: 2, failed: 0, skipped: 1, errors: 0, xfailed: 2, xpassed: 1 });
});
