import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chunkOf,
  assertNoLeftovers,
  isAlive,
  makeSuiteProject,
  readAnnounced,
  readReport,
  startCli,
  waitUntil,
} from '../helpers/cli.js';

test('a timed-out chunk is stopped with its grandchild that ignores SIGTERM; nothing is left', async () => {
  const { dir, signalDir } = makeSuiteProject({
    chunks: [
      { name: 'hang', markers: 'hang', timeout: '2s', gracePeriod: '1s' },
      { name: 'last', markers: 'last' },
    ],
  });
  const result = await startCli([], { cwd: dir }).result;
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const grandchild = readAnnounced(signalDir, 'grandchild');
  assert.ok(grandchild !== undefined, 'the fixture started its grandchild');
  assert.equal(isAlive(grandchild), false, `grandchild ${grandchild} survived the timeout`);
  const report = readReport(dir);
  const hang = chunkOf(report, 'hang');
  assert.equal(hang.status, 'timeout');
  assert.equal(hang.timeoutMs, 2000);
  assert.match(hang.message, /timeout of 2\.0s/);
  assert.ok(hang.durationMs >= 2000 && hang.durationMs < 15_000, `duration ${hang.durationMs}`);
  assert.equal(chunkOf(report, 'last').status, 'passed');
  assertNoLeftovers(result.tag);
});

test('SIGINT mid-run stops the running chunk, skips the rest, writes the report and exits 130', async () => {
  const { dir, signalDir } = makeSuiteProject({
    chunks: [
      { name: 'first', markers: 'first' },
      { name: 'hang', markers: 'hang', gracePeriod: '1s' },
      { name: 'last', markers: 'last' },
    ],
  });
  const run = startCli([], { cwd: dir });
  await waitUntil(() => readAnnounced(signalDir, 'grandchild') !== undefined, 30_000, 'the hanging test to start');
  run.child.kill('SIGINT');
  const result = await run.result;
  assert.equal(result.exitCode, 130, result.stdout + result.stderr);
  assert.match(result.stderr, /Received SIGINT: stopping hang/);
  const report = readReport(dir);
  assert.equal(report.status, 'interrupted');
  assert.equal(report.interruptedBy, 'SIGINT');
  assert.deepEqual(
    report.chunks.map((chunk) => [chunk.name, chunk.status]),
    [
      ['first', 'passed'],
      ['hang', 'interrupted'],
      ['last', 'skipped'],
    ],
  );
  assert.equal(chunkOf(report, 'first').tests?.passed, 3);
  assert.equal(isAlive(readAnnounced(signalDir, 'grandchild')!), false);
  assertNoLeftovers(result.tag);
});

test('a second SIGINT kills at once, without waiting for the grace period', async () => {
  const { dir, signalDir } = makeSuiteProject({
    chunks: [{ name: 'stubborn', markers: 'stubborn', gracePeriod: '60s' }],
  });
  const run = startCli([], { cwd: dir });
  await waitUntil(() => readAnnounced(signalDir, 'stubborn') !== undefined, 30_000, 'the stubborn test to start');
  run.child.kill('SIGINT');
  await waitUntil(() => /Received SIGINT/.test(run.output()), 10_000, 'the first interrupt to be acknowledged');
  const secondAt = Date.now();
  run.child.kill('SIGINT');
  const result = await run.result;
  // Well under the 60 s grace: the second signal escalated to SIGKILL.
  assert.ok(Date.now() - secondAt < 20_000, 'the second SIGINT did not escalate');
  assert.equal(result.exitCode, 130, result.stdout + result.stderr);
  assert.match(result.stderr, /Received SIGINT again: killing stubborn now/);
  assert.equal(chunkOf(readReport(dir), 'stubborn').status, 'interrupted');
  assertNoLeftovers(result.tag);
});

test('SIGTERM to run-chunks stops chunks the same way as Ctrl-C', async () => {
  const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'hang', markers: 'hang', gracePeriod: '1s' }] });
  const run = startCli([], { cwd: dir });
  await waitUntil(() => readAnnounced(signalDir, 'grandchild') !== undefined, 30_000, 'the hanging test to start');
  run.child.kill('SIGTERM');
  const result = await run.result;
  assert.equal(result.exitCode, 130, result.stdout + result.stderr);
  assert.equal(readReport(dir).interruptedBy, 'SIGTERM');
  assertNoLeftovers(result.tag);
});
