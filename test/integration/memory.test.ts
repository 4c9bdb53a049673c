import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { MemorySample } from '../../src/monitor/sample-types.js';
import { assertNoLeftovers, chunkOf, makeSuiteProject, readAnnounced, readReport, runCli } from '../helpers/cli.js';

const MIB = 1024 * 1024;
const INTERVAL_MS = 200;

/** The kernel's high-water marks (VmHWM) the fixture processes wrote when their sessions ended. */
function recordedHighWaterMarks(signalDir: string): number[] {
  return readdirSync(signalDir)
    .filter((name) => name.startsWith('hwm-'))
    .map((name) => Number(readFileSync(path.join(signalDir, name), 'utf8')));
}

function readSamples(dir: string, chunk: string): MemorySample[] {
  return readFileSync(path.join(dir, '.run-chunks/report', chunk, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as MemorySample);
}

for (const workers of [1, 2]) {
  test(`the sampled peak of a 300 MiB allocation is within 10% of the kernel's high-water mark (workers: ${workers})`, async () => {
    const { dir, signalDir } = makeSuiteProject({
      chunks: [{ name: 'alloc', markers: 'alloc300 or idle', workers, sampleInterval: INTERVAL_MS, env: { FIXTURE_RECORD_HWM: '1' } }],
    });
    const result = await runCli([], { cwd: dir });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const memory = chunkOf(readReport(dir), 'alloc').memory!;
    const marks = recordedHighWaterMarks(signalDir);
    // The controller plus each xdist worker wrote one; without xdist, pytest alone.
    assert.equal(marks.length, workers === 1 ? 1 : workers + 1);
    // Every process but the allocating one sits at its steady size, so the sum of the
    // high-water marks is what the tree's peak really was (an upper bound, and a tight one).
    const expectedPeak = marks.reduce((sum, mark) => sum + mark, 0);
    const error = Math.abs(memory.peakRssBytes - expectedPeak) / expectedPeak;
    assert.ok(error <= 0.1, `sampled peak ${memory.peakRssBytes} vs high-water marks ${expectedPeak}: off by ${(error * 100).toFixed(1)}%`);
    assert.ok(memory.peakRssBytes >= 300 * MIB, `peak ${memory.peakRssBytes} below the 300 MiB allocated`);
    assert.equal(memory.metric, 'pss');
    assert.ok(memory.peakPssBytes !== null && memory.peakPssBytes <= memory.peakRssBytes);
    // At least the controller and its workers; a short-lived helper (uname, a fork about to exec) may add one.
    assert.ok(memory.peakProcesses >= (workers === 1 ? 1 : workers + 1), `peak processes ${memory.peakProcesses}`);
    const samples = readSamples(dir, 'alloc');
    assert.equal(samples.length, memory.samples);
    assert.ok(samples.length >= 5, `only ${samples.length} samples`);
    assert.ok(samples.every((sample, index) => index === 0 || sample.t > samples[index - 1]!.t), 'sample times increase');
    assertNoLeftovers(result.tag);
  });
}

test('a runaway allocator over memoryLimit is stopped within two sample intervals; other chunks complete', async () => {
  const { dir, signalDir } = makeSuiteProject({
    chunks: [
      { name: 'first', markers: 'first' },
      { name: 'runaway', markers: 'runaway', memoryLimit: '400MB', sampleInterval: `${INTERVAL_MS}ms`, gracePeriod: '2s', retryOnOom: 0 },
      { name: 'last', markers: 'last' },
    ],
  });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const report = readReport(dir);
  assert.deepEqual(
    report.chunks.map((chunk) => [chunk.name, chunk.status]),
    [
      ['first', 'passed'],
      ['runaway', 'memory-limit'],
      ['last', 'passed'],
    ],
  );
  assert.equal(chunkOf(report, 'first').tests?.passed, 3);
  assert.equal(chunkOf(report, 'last').tests?.passed, 2);
  const runaway = chunkOf(report, 'runaway');
  assert.equal(runaway.memory?.limitBytes, 400_000_000);
  assert.match(runaway.message, /^stopped by run-chunks: its process tree's memory \(PSS\) reached \d+(\.\d+)? MB, over its memoryLimit of 400 MB$/);
  assert.ok(runaway.memory!.peakRssBytes > 400_000_000);
  assert.equal(runaway.isolation, 'watchdog');
  assert.deepEqual(runaway.isolationDecision, { requested: 'watchdog', used: 'watchdog', reason: null });

  // The allocator logged its own RSS at every step and when SIGTERM arrived.
  const log = readAnnounced(signalDir, 'runaway-log') === undefined ? '' : readFileSync(path.join(signalDir, 'runaway-log'), 'utf8');
  const lines = log.split('\n').map((line) => line.split(' '));
  const sigterm = lines.find(([kind]) => kind === 'sigterm');
  // The limit was crossed after the last step still under it (the next allocation may have been
  // under way when run-chunks sampled): measuring from that step can only overstate the delay.
  const underLimit = lines.filter(([kind, , rss]) => kind === 'step' && Number(rss) <= 400_000_000).at(-1);
  assert.ok(underLimit && sigterm, `allocator log incomplete:\n${log}`);
  assert.ok(Number(sigterm[2]) > 400_000_000 || lines.some(([kind, , rss]) => kind === 'step' && Number(rss) > 400_000_000), log);
  const reactionMs = (Number(sigterm[1]) - Number(underLimit[1])) * 1000;
  // Two sample intervals, plus 100 ms for the scheduler of a shared 2-core machine.
  assert.ok(reactionMs <= 2 * INTERVAL_MS + 100, `stopped ${reactionMs.toFixed(0)} ms after crossing the limit`);
  assertNoLeftovers(result.tag);
});

// One test growing inside itself is no series of tests: the verdict is unknown, and the timeline,
// the second witness, says what it saw (test/integration/per-test-memory.test.ts judges series).
test('one test that keeps growing: the timeline witness says "leak", the verdict stays unknown; one that allocates and frees is "stable" on the timeline', async () => {
  const { dir } = makeSuiteProject({
    defaults: { sampleInterval: INTERVAL_MS },
    chunks: [
      { name: 'leaky', markers: 'leaky' },
      { name: 'plateau', markers: 'plateau' },
    ],
  });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const report = readReport(dir);
  const leaky = chunkOf(report, 'leaky').memory!;
  const plateau = chunkOf(report, 'plateau').memory!;
  assert.equal(leaky.verdictSource, 'test-series');
  assert.equal(leaky.verdict, 'unknown', leaky.verdictReason);
  assert.equal(leaky.timelineVerdict, 'leak', leaky.timelineVerdictReason);
  assert.match(leaky.verdictReason, /too few tests to judge.*the second witness, says leak/);
  assert.ok(leaky.slopeBytesPerSec! > 40 * MIB, `slope ${leaky.slopeBytesPerSec}`);
  assert.equal(plateau.timelineVerdict, 'stable', plateau.timelineVerdictReason);
  assert.equal(plateau.verdict, 'unknown', plateau.verdictReason);
  // No growth; a fall is fine (the test frees its 200 MB as it returns, before the session ends).
  assert.ok(plateau.growthPercent === null || plateau.growthPercent < 5, `growth ${plateau.growthPercent}`);
  assert.match(result.stdout, /leaky: memory not judged: .*says leak/);
  assert.doesNotMatch(result.stdout, /plateau: memory/);

  // --fail-on-leak needs a verdict of leak: a witness alone does not fail the run.
  const failing = await runCli(['--fail-on-leak', '--chunk', 'leaky'], { cwd: dir });
  assert.equal(failing.exitCode, 0, failing.stdout + failing.stderr);
  assert.equal(readReport(dir).status, 'passed');
  assertNoLeftovers(failing.tag);
});

test('--isolation cgroup uses a kernel limit where a cgroup is writable, else falls back to the watchdog with a clear notice', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first', memoryLimit: '1GiB' }] });
  const result = await runCli(['--isolation', 'cgroup'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const chunk = chunkOf(readReport(dir), 'first');
  assert.equal(chunk.isolationDecision?.requested, 'cgroup');
  assert.equal(chunk.isolation, chunk.isolationDecision?.used);
  if (chunk.isolation === 'watchdog') {
    assert.match(result.stderr, /--isolation cgroup: no kernel memory limit is possible here \(.+\), so run-chunks' sampling watchdog enforces memoryLimit/);
    assert.match(chunk.isolationDecision?.reason ?? '', /no kernel memory limit/);
  } else {
    assert.equal(chunk.isolationDecision?.reason, null);
    assert.equal(chunk.evidence?.cgroup?.memoryLimitBytes, 1024 ** 3);
  }
});

test('without /proc (macOS: ps and pidusage), the same peak is measured and memoryLimit still stops a runaway', async () => {
  const env = { RUN_CHUNKS_SAMPLER: 'pidusage' };
  const { dir, signalDir } = makeSuiteProject({
    chunks: [
      { name: 'alloc', markers: 'alloc300 or idle', workers: 2, sampleInterval: INTERVAL_MS, env: { FIXTURE_RECORD_HWM: '1' } },
      { name: 'runaway', markers: 'runaway', memoryLimit: '400MB', sampleInterval: INTERVAL_MS, retryOnOom: 0 },
    ],
  });
  const result = await runCli([], { cwd: dir, env });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const report = readReport(dir);
  const memory = chunkOf(report, 'alloc').memory!;
  const expectedPeak = recordedHighWaterMarks(signalDir).reduce((sum, mark) => sum + mark, 0);
  const error = Math.abs(memory.peakRssBytes - expectedPeak) / expectedPeak;
  assert.ok(error <= 0.1, `sampled peak ${memory.peakRssBytes} vs high-water marks ${expectedPeak}: off by ${(error * 100).toFixed(1)}%`);
  assert.equal(memory.metric, 'rss', 'no PSS without /proc');
  assert.equal(memory.threads, null);
  assert.ok(memory.peakProcesses >= 3, `peak processes ${memory.peakProcesses}`);
  const runaway = chunkOf(report, 'runaway');
  assert.equal(runaway.status, 'memory-limit');
  assert.match(runaway.message, /its process tree's memory \(RSS\) reached/);
  assertNoLeftovers(result.tag);
});

test('threads that only grow are reported; --sample-interval sets the interval; low memory at start is said', async () => {
  const { dir } = makeSuiteProject({
    chunks: [
      { name: 'threads', markers: 'threadleak' },
      // The whole machine's memory is never all available: this limit is always above what is.
      { name: 'greedy', markers: 'first', memoryLimit: '100%' },
    ],
  });
  const result = await runCli(['--sample-interval', '100ms'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const report = readReport(dir);
  const threads = chunkOf(report, 'threads').memory!;
  assert.equal(threads.intervalMs, 100);
  assert.equal(threads.threads?.onlyGrows, true, JSON.stringify(threads.threads));
  assert.ok(threads.threads!.end - threads.threads!.start >= 10, JSON.stringify(threads.threads));
  assert.match(result.stdout, /threads: threads only grew, \d+ → \d+ \(a thread leak\?\)/);
  const greedy = chunkOf(report, 'greedy');
  assert.equal(greedy.warnings.length, 1);
  assert.match(greedy.warnings[0]!, /^only .+ of memory is available to the (machine|cgroup) now, less than the chunk's memoryLimit of .+: it may be OOM-killed before reaching its limit\.$/);
  assert.match(result.stderr, /warning: greedy: only .+ of memory is available/);
  assert.ok(greedy.memory!.availableAtStartBytes! < greedy.memory!.limitBytes!);
});

test('a chunk over its memoryLimit that ignores SIGTERM is SIGKILLed after 1 s, not after its long gracePeriod', async () => {
  const { dir } = makeSuiteProject({
    chunks: [{ name: 'stubborn', markers: 'stubborn_runaway', memoryLimit: '300MB', sampleInterval: INTERVAL_MS, gracePeriod: '60s', retryOnOom: 0 }],
  });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const chunk = chunkOf(readReport(dir), 'stubborn');
  assert.equal(chunk.status, 'memory-limit');
  assert.equal(chunk.signal, 'SIGKILL');
  // Reaching 300 MB takes ~1.5 s; a 60 s grace would have shown here.
  assert.ok(chunk.durationMs < 20_000, `took ${chunk.durationMs} ms`);
  assertNoLeftovers(result.tag);
});
