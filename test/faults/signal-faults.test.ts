// The fault suite, run-chunks itself interrupted: SIGINT once and twice, SIGTERM, and SIGKILL
// (where no handler of ours can run and the watchdog must stop the chunks). Records feed
// docs/reliability.md.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chunkOf, findTaggedProcesses, isAlive, makeSuiteProject, readAnnounced, readReport, startCli, waitUntil } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase } from '../helpers/fault-case.js';

const STARTUP_TIMEOUT_MS = 30_000;

faultCase('signals', 'SIGINT (Ctrl-C) once, mid-run', async (r) => {
  const { dir, signalDir } = makeSuiteProject({
    chunks: [
      { name: 'first', markers: 'first' },
      { name: 'hang', markers: 'hang', gracePeriod: '1s' },
      { name: 'last', markers: 'last' },
    ],
  });
  const run = startCli([], { cwd: dir });
  await waitUntil(() => readAnnounced(signalDir, 'grandchild') !== undefined, STARTUP_TIMEOUT_MS, 'the hanging test to start');
  run.child.kill('SIGINT');
  const result = await run.result;
  const report = readReport(dir);
  r.outcomeOf(result.exitCode, chunkOf(report, 'hang').status);
  assert.equal(result.exitCode, 130, result.stdout + result.stderr);
  assert.equal(report.status, 'interrupted');
  assert.equal(report.interruptedBy, 'SIGINT');
  assert.match(result.stderr, /Received SIGINT: stopping hang/);
  r.did('stopped the running chunk (SIGTERM, grace, SIGKILL), skipped the rest, wrote the report, exit 130');
  r.held('report.json written with status interrupted, exit 130');
  assert.deepEqual(
    report.chunks.map((chunk) => [chunk.name, chunk.status]),
    [
      ['first', 'passed'],
      ['hang', 'interrupted'],
      ['last', 'skipped'],
    ],
  );
  assert.equal(chunkOf(report, 'first').tests?.passed, 3);
  r.held('the finished chunk keeps its 3 passed tests; the unstarted one is marked skipped');
  assert.equal(isAlive(readAnnounced(signalDir, 'grandchild')!), false);
  checkNoLeftovers(r, result.tag);
});

faultCase('signals', 'SIGINT twice: a chunk that ignores SIGTERM, 60 s grace period', async (r) => {
  const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'stubborn', markers: 'stubborn', gracePeriod: '60s' }] });
  const run = startCli([], { cwd: dir });
  await waitUntil(() => readAnnounced(signalDir, 'stubborn') !== undefined, STARTUP_TIMEOUT_MS, 'the stubborn test to start');
  run.child.kill('SIGINT');
  await waitUntil(() => /Received SIGINT/.test(run.output()), 10_000, 'the first interrupt to be acknowledged');
  const secondAt = Date.now();
  run.child.kill('SIGINT');
  const result = await run.result;
  const elapsedMs = Date.now() - secondAt;
  const report = readReport(dir);
  r.outcomeOf(result.exitCode, chunkOf(report, 'stubborn').status);
  assert.equal(result.exitCode, 130);
  assert.match(result.stderr, /Received SIGINT again: killing stubborn now/);
  assert.equal(chunkOf(report, 'stubborn').status, 'interrupted');
  assert.ok(elapsedMs < 20_000, `took ${elapsedMs} ms after the second SIGINT`);
  r.did(`second SIGINT escalated to SIGKILL; run-chunks exited ${(elapsedMs / 1000).toFixed(1)} s later`);
  r.held('no wait for the 60 s grace; report written, exit 130');
  checkNoLeftovers(r, result.tag);
});

faultCase('signals', 'SIGTERM to run-chunks mid-run', async (r) => {
  const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'hang', markers: 'hang', gracePeriod: '1s' }] });
  const run = startCli([], { cwd: dir });
  await waitUntil(() => readAnnounced(signalDir, 'grandchild') !== undefined, STARTUP_TIMEOUT_MS, 'the hanging test to start');
  run.child.kill('SIGTERM');
  const result = await run.result;
  const report = readReport(dir);
  r.outcomeOf(result.exitCode, chunkOf(report, 'hang').status);
  assert.equal(result.exitCode, 130);
  assert.equal(report.interruptedBy, 'SIGTERM');
  r.did('same as Ctrl-C: chunks stopped in steps, report written, exit 130');
  r.held('report.json says interruptedBy SIGTERM');
  checkNoLeftovers(r, result.tag);
});

faultCase('signals', 'SIGKILL of run-chunks with three chunks running (xdist workers, a SIGTERM-ignoring grandchild, a setsid escapee)', async (r) => {
  const { dir, signalDir } = makeSuiteProject({
    chunks: [
      { name: 'hang', markers: 'hang', gracePeriod: '30s' },
      { name: 'escape', markers: 'escapee', gracePeriod: '30s' },
      { name: 'workers', markers: 'workers', workers: 2, env: { FIXTURE_HANG_IN_WORKER: '1' } },
    ],
  });
  const run = startCli(['--parallel-chunks', '3'], { cwd: dir });
  const started = (): boolean =>
    ['grandchild', 'escapee', 'escapee-hang'].every((name) => readAnnounced(signalDir, name) !== undefined) &&
    ['gw0', 'gw1'].some((worker) => readAnnounced(signalDir, `hanging-${worker}`) !== undefined);
  await waitUntil(started, STARTUP_TIMEOUT_MS, 'all three chunks to be running');
  const before = findTaggedProcesses(run.tag).filter((pid) => pid !== run.child.pid);
  assert.ok(before.length >= 7, `expected the chunks' processes, found ${before.length}`);
  run.child.kill('SIGKILL');
  const killedAt = Date.now();
  const result = await run.result;
  r.outcomeOf(result.exitCode);
  assert.equal(result.signal, 'SIGKILL');
  await waitUntil(() => findTaggedProcesses(result.tag).length === 0, 10_000, 'every chunk process to die');
  const goneAfterMs = Date.now() - killedAt;
  r.did(`the watchdog stopped every group and swept the escapee: all ${before.length} chunk processes gone ${(goneAfterMs / 1000).toFixed(1)} s after the SIGKILL`);
  assert.ok(goneAfterMs < 5_000, `took ${goneAfterMs} ms`);
  r.held(`all ${before.length} chunk processes dead within 5 s (no handler of run-chunks could run)`);
  for (const name of ['grandchild', 'escapee']) assert.equal(isAlive(readAnnounced(signalDir, name)!), false, `${name} survived`);
  r.held('the SIGTERM-ignoring grandchild and the setsid escapee are dead too');
  const reportDir = path.join(dir, '.run-chunks', 'report');
  for (const chunk of ['hang', 'escape', 'workers']) {
    assert.ok(readFileSync(path.join(reportDir, chunk, 'output.log'), 'utf8').length > 0, `${chunk}/output.log`);
    assert.ok(existsSync(path.join(reportDir, chunk, 'events.jsonl')), `${chunk}/events.jsonl`);
  }
  r.held('each chunk\'s output.log and events.jsonl stay on disk');
  assert.equal(JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8')).status, 'running');
  r.held('report.json is the in-progress one written at the start ("running"): no verdict, nothing of run-chunks ran after the kill');
  checkNoLeftovers(r, result.tag);
});
