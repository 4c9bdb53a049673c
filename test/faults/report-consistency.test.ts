// The fault suite, one set of numbers per chunk after a kill: the memory figures, the chart and
// the counts cover every attempt, tests that never ran are shown as such (not as skipped), and a
// killed run is marked in the history so that its peak reads as a lower bound.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chunkOf, makeSuiteProject, readReport, runCli } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase } from '../helpers/fault-case.js';
import type { History } from '../../src/history/history-types.js';

const TEN = { name: 'ten', markers: 'ten', workers: 1, memoryLimit: '400MB', sampleInterval: '100ms' };

faultCase('report', 'a chunk killed at its memoryLimit, then recovered: peaks, samples and the timeline cover every attempt', async (r) => {
  const { dir } = makeSuiteProject({ chunks: [TEN] });
  const result = await runCli(['--history', 'history.json'], { cwd: dir });
  const chunk = chunkOf(readReport(dir), 'ten');
  r.outcomeOf(result.exitCode, chunk.status);
  assert.equal(chunk.status, 'memory-limit', chunk.message);
  assert.equal(chunk.attempts.length, 3);
  const peaks = chunk.attempts.map((attempt) => attempt.peakRssBytes);
  assert.ok(peaks.every((peak) => typeof peak === 'number' && peak > 0), `every attempt has its own peak: ${peaks.join(', ')}`);
  r.held('each attempt in report.json carries its own sampled peak and start time');
  assert.equal(chunk.memory!.peakRssBytes, Math.max(...(peaks as number[])));
  // The blamed test alone (attempt 2) runs away again, so a later attempt's peak is what the chunk reached.
  r.did(`attempt peaks ${peaks.map((peak) => `${Math.round(peak! / 2 ** 20)} MiB`).join(', ')}; chunk peak ${Math.round(chunk.memory!.peakRssBytes / 2 ** 20)} MiB`);
  r.held('the chunk\'s peak is the highest of any attempt');
  const samplesOf = (file: string): number => readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  const chunkDir = path.dirname(chunk.logFile);
  const onDisk = samplesOf(path.join(chunkDir, 'samples.jsonl')) + samplesOf(path.join(chunkDir, 'attempt-2', 'samples.jsonl')) + samplesOf(path.join(chunkDir, 'attempt-3', 'samples.jsonl'));
  assert.ok(chunk.memory!.samples >= onDisk - 3 && chunk.memory!.samples <= onDisk, `samples ${chunk.memory!.samples} cover the ${onDisk} lines of all three timelines`);
  assert.match(chunk.memory!.verdictReason, /^first attempt: /);
  r.held('the sample count covers all three timelines; the verdict says it judges the first attempt');
  const html = readFileSync(path.join(dir, '.run-chunks/report/report.html'), 'utf8');
  // The chart itself: the All tests table further down names every test too.
  const chart = /<svg class="chart memory-chart"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
  assert.ok(chart.includes('test_05_after'), 'the HTML chart marks tests of the recovery attempt');
  r.held('report.html shows the recovery attempt\'s tests on the chunk\'s chart');

  const history = JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8')) as History;
  assert.equal(history.runs.at(-1)!.chunks[0]!.stopped, true);
  const table = await runCli(['history', '--history', 'history.json'], { cwd: dir });
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, /≥ \d/);
  assert.match(table.stdout, /Stopped runs .* lower bounds: ten 1/);
  r.did('history marks the run stopped; `run-chunks history` shows its p95 peak as "≥ …"');
  r.held('a killed run is marked in the history and reads as a lower bound');
  checkNoLeftovers(r, result.tag);
});

faultCase('report', 'a chunk killed at its memoryLimit with recovery off: tests that never ran are counted as not run, not as skipped', async (r) => {
  const { dir } = makeSuiteProject({ chunks: [{ ...TEN, retryOnOom: 0 }] });
  const result = await runCli([], { cwd: dir });
  const chunk = chunkOf(readReport(dir), 'ten');
  r.outcomeOf(result.exitCode, chunk.status);
  assert.equal(chunk.status, 'memory-limit', chunk.message);
  assert.equal(result.exitCode, 3);
  assert.deepEqual(chunk.tests, { total: 4, passed: 3, failed: 0, skipped: 0, errors: 1, xfailed: 0, xpassed: 0 });
  assert.equal(chunk.notRun, 6);
  r.held('report.json: 3 passed, 1 error (the runaway), 6 not run');
  const header = result.stdout.split('\n').find((line) => line.includes('Chunk') && line.includes('Skipped'));
  assert.ok(header?.includes('Not run'), `the summary table has a Not run column: ${header}`);
  const row = result.stdout.split('\n').find((line) => line.startsWith('│') && /\bten\b/.test(line) && line.includes('memory-limit'));
  assert.ok(row, result.stdout);
  const cells = row.split(/[│|]/).map((cell) => cell.trim()).filter(Boolean);
  const heads = header!.split(/[│|]/).map((cell) => cell.trim()).filter(Boolean);
  assert.equal(cells[heads.indexOf('Skipped')], '0');
  assert.equal(cells[heads.indexOf('Not run')], '6');
  r.did('terminal table: Skipped 0, Not run 6');
  r.held('the table and report.json agree on what never ran');
  const junit = readFileSync(path.join(dir, '.run-chunks/report/junit.xml'), 'utf8');
  assert.equal((junit.match(/never started/g) ?? []).length, 6);
  r.held('junit.xml lists the same 6 tests as never started');
  checkNoLeftovers(r, result.tag);
});

faultCase('report', 'the launcher leads the chunk\'s group: its own process never counts in the chunk\'s memory figures', async (r) => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first', workers: 1, sampleInterval: '50ms' }] });
  const result = await runCli([], { cwd: dir });
  const chunk = chunkOf(readReport(dir), 'first');
  r.outcomeOf(result.exitCode, chunk.status);
  assert.equal(chunk.status, 'passed', chunk.message);
  assert.ok(chunk.evidence?.containment.includes('subreaper'), 'the chunk ran under the launcher');
  // The plugin's events carry pytest's own pid; the chunk's pid (its group leader) is the launcher's.
  const pytestPids = new Set(
    readFileSync(path.join(path.dirname(chunk.logFile), 'events.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { pid: number }).pid),
  );
  assert.equal(pytestPids.size, 1);
  assert.equal(pytestPids.has(chunk.pid!), false, 'pytest is the launcher\'s child, not the group leader');
  r.held('pytest runs as the launcher\'s child (the chunk\'s pid is the launcher\'s)');
  const samples = readFileSync(path.join(path.dirname(chunk.logFile), 'samples.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { processes: number });
  assert.ok(samples.length > 0);
  assert.ok(samples.every((sample) => sample.processes <= 1), `processes per sample: ${samples.map((sample) => sample.processes).join(',')}`);
  assert.equal(chunk.memory!.peakProcesses, 1);
  r.did(`${samples.length} samples, at most 1 process each (pytest); peak processes 1`);
  r.held('no sample counts the launcher: before pytest starts and after it ends a sample holds no process, so start and end figures are pytest\'s');
  checkNoLeftovers(r, result.tag);
});
