import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { MemorySample } from '../../src/monitor/sample-types.js';
import { assertNoLeftovers, makeSuiteProject, readReport, runCli } from '../helpers/cli.js';

const BUDGET_BYTES = 900_000_000;

test('--memory-budget runs the chunks that fit together and never exceeds the budget', async () => {
  const chunk = (name: string) => ({ name, markers: 'alloc300', memoryEstimate: '400MB', sampleInterval: '100ms', retryOnOom: 0 });
  const { dir } = makeSuiteProject({ chunks: [chunk('a'), chunk('b'), chunk('c')] });
  const result = await runCli(['--memory-budget', String(BUDGET_BYTES / 1_000_000) + 'MB'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const report = readReport(dir);
  const spans = report.chunks.map((c) => ({ name: c.name, start: Date.parse(c.startedAt!), end: Date.parse(c.startedAt!) + c.durationMs }));
  const overlapping = (x: (typeof spans)[number], y: (typeof spans)[number]): boolean => x.start < y.end && y.start < x.end;
  // Two 400 MB forecasts fit 900 MB; three do not.
  assert.ok(spans.some((x) => spans.some((y) => x !== y && overlapping(x, y))), 'some chunks ran together');
  assert.ok(!spans.every((x) => spans.every((y) => overlapping(x, y))), 'never all three at once');

  // What the samplers measured, put on one clock: the machine never held more than the budget for the chunks.
  const timeline = report.chunks.flatMap((c) =>
    readFileSync(path.join(dir, '.run-chunks/report', c.name, 'samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as MemorySample)
      .map((sample) => ({ chunk: c.name, at: Date.parse(c.startedAt!) + sample.t, rss: sample.rssBytes })),
  );
  timeline.sort((x, y) => x.at - y.at);
  const latest = new Map<string, number>();
  let peakTotal = 0;
  for (const point of timeline) {
    latest.set(point.chunk, point.rss);
    const running = spans.filter((span) => span.start <= point.at && point.at <= span.end).map((span) => span.name);
    peakTotal = Math.max(peakTotal, running.reduce((sum, name) => sum + (latest.get(name) ?? 0), 0));
  }
  assert.ok(peakTotal > 500_000_000, `the chunks did overlap in memory (${peakTotal})`);
  assert.ok(peakTotal <= BUDGET_BYTES, `sampled total ${peakTotal} over the budget`);
  assertNoLeftovers(result.tag);
});

test('--shard I/N: every collected test runs in exactly one shard; a shard with no tests passes', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'many', markers: 'first or last or workers' }] });
  const seen: string[] = [];
  for (const index of [1, 2, 3]) {
    const result = await runCli(['--chunk', 'many', '--shard', `${index}/3`, '--report-dir', `reports-${index}`], { cwd: dir });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const chunk = readReport(dir, `reports-${index}`).chunks[0]!;
    assert.equal(chunk.shard?.collected, 12);
    assert.equal(chunk.tests?.total, chunk.shard?.tests);
    const junit = readFileSync(path.join(dir, `reports-${index}`, 'junit.xml'), 'utf8');
    seen.push(...[...junit.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((match) => `${match[1]}::${match[2]}`));
  }
  assert.equal(seen.length, 12);
  assert.equal(new Set(seen).size, 12);

  const { dir: small } = makeSuiteProject({ chunks: [{ name: 'two', markers: 'last' }] });
  const empty = await runCli(['--chunk', 'two', '--shard', '3/3'], { cwd: small });
  assert.equal(empty.exitCode, 0, empty.stdout + empty.stderr);
  const chunk = readReport(small).chunks[0]!;
  assert.equal(chunk.shard?.tests, 0);
  assert.equal(chunk.status, 'no-tests');

  const many = await runCli(['--shard', '1/2'], { cwd: small });
  assert.equal(many.exitCode, 0, 'a single configured chunk is selected implicitly');
});

test('workers "auto" starts at 1 without history, then sizes the chunk from its per-worker peak', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'auto', markers: 'workers', workers: 'auto' }] });
  const first = await runCli([], { cwd: dir });
  assert.equal(first.exitCode, 0, first.stdout + first.stderr);
  const firstChunk = readReport(dir).chunks[0]!;
  assert.equal(firstChunk.workers, 1);
  assert.match(firstChunk.workersReason ?? '', /no history of this chunk yet/);
  const second = await runCli([], { cwd: dir });
  assert.equal(second.exitCode, 0, second.stdout + second.stderr);
  const secondChunk = readReport(dir).chunks[0]!;
  // This machine has plenty of memory for ~40 MB workers: the cores decide.
  assert.match(secondChunk.workersReason ?? '', /^workers "auto": \d+, limited by /);
  assert.ok(secondChunk.workers >= 1);
  const dryRun = await runCli(['--dry-run'], { cwd: dir });
  assert.match(dryRun.stdout, /workers "auto": \d+, limited by/);
});

test('--memory-budget with chunks whose workers fill the cores: the run says they go one after another, and report.json too', async () => {
  const cores = os.availableParallelism();
  const chunk = (name: string) => ({ name, markers: 'first', workers: cores, memoryEstimate: '100MB' });
  const { dir } = makeSuiteProject({ chunks: [chunk('one'), chunk('two')] });
  const said = /one and two run one after another: each uses (both|all \d+|the one) cores? \(its xdist workers\)\./;
  const dryRun = await runCli(['--memory-budget', '8GB', '--dry-run'], { cwd: dir });
  assert.equal(dryRun.exitCode, 0, dryRun.stderr);
  assert.match(dryRun.stdout, said);
  const result = await runCli(['--memory-budget', '8GB'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.match(result.stderr, new RegExp(`note: ${said.source}`));
  const report = readReport(dir);
  assert.match(report.schedule?.oneAfterAnother ?? '', said);
  assert.deepEqual(report.schedule?.chunks.map((entry) => entry.ranAlongside), [[], []]);
  assert.equal(report.maxConcurrentChunks, 1);
  assertNoLeftovers(result.tag);
});
