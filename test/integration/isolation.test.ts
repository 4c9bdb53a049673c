import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { chunkOf, assertNoLeftovers, makeSuiteProject, readAnnounced, readReport, startCli, waitUntil } from '../helpers/cli.js';

test('a chunk SIGKILLed mid-run from outside is killed (no OOM evidence for it); every other chunk completes with full results; exit 3', async () => {
  const { dir, signalDir } = makeSuiteProject({
    chunks: [
      { name: 'first', markers: 'first' },
      // No recovery attempt: its test waits to be killed, and nobody would kill it a second time.
      { name: 'victim', markers: 'victim', retryOnOom: 0 },
      { name: 'last', markers: 'last' },
    ],
  });
  const run = startCli([], { cwd: dir });
  await waitUntil(() => readAnnounced(signalDir, 'victim') !== undefined, 30_000, 'the victim test to start');
  const victimPid = readAnnounced(signalDir, 'victim')!;
  // Chunk processes are the kernel's preferred OOM victims, so a blow-up never takes run-chunks.
  assert.equal(readFileSync(`/proc/${victimPid}/oom_score_adj`, 'utf8').trim(), '1000');
  assert.ok(Number(readFileSync(`/proc/${run.child.pid}/oom_score_adj`, 'utf8')) < 1000, 'run-chunks itself is not the preferred victim');
  // The chunk's pid is its group leader: the launcher (run_chunks_launcher.py), pytest's parent.
  const leaderPid = Number(readFileSync(`/proc/${victimPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  assert.match(readFileSync(`/proc/${leaderPid}/cmdline`, 'utf8'), /run_chunks_launcher\.py/);
  // What the kernel's OOM killer does: SIGKILL, no warning, to the process using the memory.
  process.kill(victimPid, 'SIGKILL');
  const result = await run.result;

  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const report = readReport(dir);
  assert.equal(report.status, 'error');
  assert.equal(report.exitCode, 3);
  assert.deepEqual(
    report.chunks.map((chunk) => [chunk.name, chunk.status]),
    [
      ['first', 'passed'],
      ['victim', 'killed'],
      ['last', 'passed'],
    ],
  );
  assert.deepEqual(chunkOf(report, 'first').tests, { total: 3, passed: 3, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
  assert.deepEqual(chunkOf(report, 'last').tests, { total: 2, passed: 2, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
  const victim = chunkOf(report, 'victim');
  assert.equal(victim.signal, 'SIGKILL');
  assert.equal(victim.exitCode, null);
  assert.equal(victim.pid, leaderPid);
  // A SIGKILL from outside (here the test's, standing in for any sender) with no OOM counted in the chunk's own cgroup.
  assert.match(victim.message, /^killed by SIGKILL from outside run-chunks; no OOM evidence for this chunk/);
  assert.match(result.stdout, /victim\s+│ ☠ killed/);
  assertNoLeftovers(result.tag);
});

test('a chunk whose tests fail is failed, exit 1, with counts from its JUnit file', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'failing', markers: 'failing' }, { name: 'first', markers: 'first' }] });
  const run = startCli([], { cwd: dir });
  const result = await run.result;
  assert.equal(result.exitCode, 1, result.stdout + result.stderr);
  const report = readReport(dir);
  assert.equal(report.status, 'failed');
  assert.deepEqual(chunkOf(report, 'failing').tests, { total: 2, passed: 1, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
  assert.equal(chunkOf(report, 'failing').status, 'failed');
  assert.equal(chunkOf(report, 'first').status, 'passed');
  assertNoLeftovers(result.tag);
});

test('a non-required chunk that fails is reported but does not fail the run', async () => {
  const { dir } = makeSuiteProject({
    chunks: [
      { name: 'failing', markers: 'failing', required: false },
      { name: 'first', markers: 'first' },
    ],
  });
  const result = await startCli([], { cwd: dir }).result;
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const report = readReport(dir);
  assert.equal(report.status, 'passed');
  assert.equal(chunkOf(report, 'failing').status, 'failed');
  assert.equal(chunkOf(report, 'failing').required, false);
  assert.match(result.stdout, /failing: failed \(optional: does not fail the run\)/);
});

test('a chunk selecting no tests is no-tests: an error (exit 3) unless allowEmpty', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'empty', markers: 'no_such_marker' }] });
  const strict = await startCli([], { cwd: dir }).result;
  assert.equal(strict.exitCode, 3, strict.stdout + strict.stderr);
  assert.equal(chunkOf(readReport(dir), 'empty').status, 'no-tests');

  const allowed = makeSuiteProject({ chunks: [{ name: 'empty', markers: 'no_such_marker', allowEmpty: true }] });
  const lenient = await startCli([], { cwd: allowed.dir }).result;
  assert.equal(lenient.exitCode, 0, lenient.stdout + lenient.stderr);
  assert.equal(chunkOf(readReport(allowed.dir), 'empty').status, 'no-tests');
});
