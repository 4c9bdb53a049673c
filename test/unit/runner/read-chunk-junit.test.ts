import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { ChunkPlan } from '../../../src/plan/types.js';
import type { Outcome } from '../../../src/results/classify-outcome.js';
import { adoptCommandJunit } from '../../../src/runner/adopt-command-junit.js';
import { MAX_CHUNK_JUNIT_BYTES, readChunkJunit } from '../../../src/runner/read-chunk-junit.js';

const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-read-junit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const JUNIT = '<testsuites><testsuite name="s"><testcase classname="a.B" name="ok"/><testcase classname="a.B" name="bad"><failure message="no"/></testcase></testsuite></testsuites>';
const PASSED: Outcome = { status: 'passed', message: 'all selected tests passed' };
const startedAt = new Date(Date.now() - 1000);

function file(name: string, content: string): string {
  const target = path.join(dir, name);
  writeFileSync(target, content);
  return target;
}

test('a JUnit file written during the attempt is read with its counts', async () => {
  const reading = await readChunkJunit(file('fresh.xml', JUNIT), startedAt);
  assert.equal(reading.kind, 'read');
  assert.deepEqual(reading.kind === 'read' && reading.counts, { total: 2, passed: 1, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
});

test('missing, stale, not JUnit, a FIFO, a folder and an oversized file are never read as results', async () => {
  assert.deepEqual(await readChunkJunit(path.join(dir, 'absent.xml'), startedAt), { kind: 'missing' });
  const old = file('old.xml', JUNIT);
  utimesSync(old, new Date('2020-01-01'), new Date('2020-01-01'));
  assert.equal((await readChunkJunit(old, startedAt)).kind, 'stale');
  assert.deepEqual(await readChunkJunit(file('text.xml', 'not xml at all'), startedAt), { kind: 'unusable', why: 'is not JUnit XML (no <testsuites> or <testsuite> root)' });
  const fifo = path.join(dir, 'pipe.xml');
  execFileSync('mkfifo', [fifo]);
  // A read would wait for a writer forever: the test would hang here, not fail.
  assert.deepEqual(await readChunkJunit(fifo, startedAt), { kind: 'unusable', why: 'is a named pipe (FIFO), not a file, so it was not read' });
  mkdirSync(path.join(dir, 'folder.xml'));
  assert.deepEqual(await readChunkJunit(path.join(dir, 'folder.xml'), startedAt), { kind: 'unusable', why: 'is a folder, not a file, so it was not read' });
  const huge = file('huge.xml', '');
  truncateSync(huge, MAX_CHUNK_JUNIT_BYTES + 1024 * 1024);
  assert.deepEqual(await readChunkJunit(huge, startedAt), { kind: 'unusable', why: 'is 65 MiB, over the 64 MiB a JUnit file may have, so it was not read' });
});

function commandPlan(name: string, junitPath: string | undefined, required = true): ChunkPlan {
  const chunkReportDir = path.join(dir, 'report', name);
  mkdirSync(chunkReportDir, { recursive: true });
  return { name, runner: 'command', junitPath, chunkReportDir, required } as ChunkPlan;
}

test('a command\'s JUnit file is copied into its report folder and gives one record per testcase', async () => {
  const own = file('own.xml', JUNIT);
  const plan = commandPlan('copied', own);
  const warnings: string[] = [];
  const adopted = await adoptCommandJunit(plan, await readChunkJunit(own, startedAt), PASSED, (message) => warnings.push(message));
  assert.equal(adopted.junitFile, path.join(plan.chunkReportDir, 'junit.xml'));
  assert.equal(readFileSync(adopted.junitFile, 'utf8'), JUNIT);
  // Node ids as merge reads them back from JUnit names (classname "a.B": module a, class B).
  assert.deepEqual(adopted.records.map((record) => [record.nodeid, record.outcome]), [['a.py::B::ok', 'passed'], ['a.py::B::bad', 'failed']]);
  assert.deepEqual([adopted.outcome, warnings], [PASSED, []]);
});

test('a file written in place through {junit} is not copied onto itself; none promised, none judged', async () => {
  const plan = commandPlan('in-place', undefined);
  const target = path.join(plan.chunkReportDir, 'junit.xml');
  writeFileSync(target, JUNIT);
  const inPlace = { ...plan, junitPath: target };
  const adopted = await adoptCommandJunit(inPlace, await readChunkJunit(target, startedAt), PASSED, () => assert.fail('no warning'));
  assert.equal(adopted.junitFile, target);
  assert.equal(adopted.records.length, 2);
  assert.deepEqual(await adoptCommandJunit(plan, undefined, PASSED, () => assert.fail('no warning')), { junitFile: null, records: [], outcome: PASSED });
});

test('a promised file that is missing: required is an error, optional a warning; neither gets a copy', async () => {
  const absent = path.join(dir, 'never.xml');
  const warnings: string[] = [];
  const required = await adoptCommandJunit(commandPlan('req', absent), { kind: 'missing' }, PASSED, (message) => warnings.push(message));
  assert.equal(required.outcome.status, 'error');
  assert.ok(required.outcome.message.includes(`${absent} does not exist`), required.outcome.message);
  const optional = await adoptCommandJunit(commandPlan('opt', absent, false), { kind: 'missing' }, PASSED, (message) => warnings.push(message));
  assert.deepEqual([optional.outcome, optional.junitFile, optional.records], [PASSED, null, []]);
  // The required chunk's error message is its evidence; only the optional one needs a warning.
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]!.includes(`${absent} does not exist, so its tests are not in junit.xml`), warnings[0]);
});
