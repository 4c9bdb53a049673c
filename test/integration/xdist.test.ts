import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { assertNoLeftovers, chunkOf, isAlive, makeSuiteProject, readAnnounced, readReport, runCli, FIXTURES_DIR } from '../helpers/cli.js';

function workersSeen(signalDir: string): string[] {
  const names = readdirSync(signalDir).filter((name) => name.startsWith('worker-'));
  return [...new Set(names.map((name) => name.split('-')[1]!))].sort();
}

test('workers: 2 runs the chunk on two pytest-xdist workers', async () => {
  const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'workers', markers: 'workers', workers: 2 }] });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.deepEqual(workersSeen(signalDir), ['gw0', 'gw1']);
  const chunk = chunkOf(readReport(dir), 'workers');
  assert.equal(chunk.workers, 2);
  assert.equal(chunk.command[chunk.command.indexOf('-n') + 1], '2', chunk.commandLine);
  assert.deepEqual(chunk.tests, { total: 7, passed: 6, failed: 0, skipped: 1, errors: 0, xfailed: 0, xpassed: 0 });
  assertNoLeftovers(result.tag);
});

test('xdist workers die with their chunk when it times out', async () => {
  const { dir, signalDir } = makeSuiteProject({
    chunks: [{ name: 'workers', markers: 'workers', workers: 2, timeout: '4s', gracePeriod: '1s', env: { FIXTURE_HANG_IN_WORKER: '1' } }],
  });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  assert.equal(chunkOf(readReport(dir), 'workers').status, 'timeout');
  const hanging = readdirSync(signalDir).filter((name) => name.startsWith('hanging-gw'));
  assert.equal(hanging.length, 1, 'one xdist worker was running the hanging test');
  const workerPid = readAnnounced(signalDir, hanging[0]!)!;
  assert.equal(isAlive(workerPid), false, `xdist worker ${workerPid} survived its chunk`);
  assertNoLeftovers(result.tag);
});

test('--no-parallel runs without xdist: -n 0 in the command (xdist is installed), tests run in the main process', async () => {
  const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'workers', markers: 'workers', workers: 2, dist: 'loadfile' }] });
  const result = await runCli(['--no-parallel'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.deepEqual(workersSeen(signalDir), ['main']);
  const chunk = chunkOf(readReport(dir), 'workers');
  assert.equal(chunk.workers, 1);
  // -n 0 keeps xdist off even against an addopts -n (test/faults/hostile-input.test.ts).
  assert.equal(chunk.command[chunk.command.indexOf('-n') + 1], '0', chunk.commandLine);
  assert.ok(!chunk.command.includes('--dist'), chunk.commandLine);
  assertNoLeftovers(result.tag);
});

test('workers > 1 without pytest-xdist: the chunk is an error that says how to install it; others still run', async () => {
  // The blocker folder makes `import xdist` fail the way a missing package does.
  const { dir } = makeSuiteProject({
    chunks: [
      { name: 'workers', markers: 'workers', workers: 2, env: { PYTHONPATH: `${FIXTURES_DIR}/blocker` } },
      { name: 'first', markers: 'first' },
    ],
  });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const report = readReport(dir);
  const chunk = chunkOf(report, 'workers');
  assert.equal(chunk.status, 'error');
  assert.equal(chunk.pid, null, 'the chunk was never spawned');
  assert.match(chunk.message, /asks for 2 workers, but pytest-xdist is not installed for .*python/);
  assert.match(chunk.message, /-m pip install pytest-xdist/);
  assert.match(chunk.message, /--no-parallel/);
  assert.equal(chunkOf(report, 'first').status, 'passed');
  assert.match(result.stdout, /workers error: chunk "workers" asks for 2 workers, but pytest-xdist is not installed/);
});
