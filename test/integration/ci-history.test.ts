import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseJunitCounts } from '../../src/results/parse-junit.js';
import { makeSuiteProject, readReport, runCli } from '../helpers/cli.js';

test('history: every run is recorded; `run-chunks history` summarises it; a corrupt file is replaced with a warning', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first' }] });
  writeFileSync(path.join(dir, 'history.json'), '{ not json');
  const corrupt = await runCli(['--history', 'history.json'], { cwd: dir });
  assert.equal(corrupt.exitCode, 0, corrupt.stdout + corrupt.stderr);
  assert.match(corrupt.stderr, /Ignoring the run history .*history\.json: it .+ A new history is started/);
  await runCli(['--history', 'history.json'], { cwd: dir });
  const history = JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8')) as { runs: unknown[] };
  assert.equal(history.runs.length, 2);
  const printed = await runCli(['history', '--history', 'history.json'], { cwd: dir });
  assert.equal(printed.exitCode, 0, printed.stderr);
  assert.match(printed.stdout, /│ first +│ +2 │ passed/);
});

test('merge of two report dirs equals one run of both chunks; a required failure fails the merged run', async () => {
  const { dir } = makeSuiteProject({
    chunks: [
      { name: 'first', markers: 'first' },
      { name: 'failing', markers: 'failing' },
    ],
  });
  await runCli(['--chunk', 'first', '--report-dir', 'r1'], { cwd: dir });
  await runCli(['--chunk', 'failing', '--report-dir', 'r2'], { cwd: dir });
  const both = await runCli(['--report-dir', 'both'], { cwd: dir });
  const merged = await runCli(['merge', 'r1', 'r2', '--report-dir', 'merged'], { cwd: dir });
  assert.equal(merged.exitCode, both.exitCode, merged.stdout + merged.stderr);
  assert.equal(merged.exitCode, 1);
  const one = readReport(dir, 'both');
  const two = readReport(dir, 'merged');
  assert.equal(two.status, one.status);
  assert.deepEqual(
    two.chunks.map((chunk) => [chunk.name, chunk.status, chunk.tests]),
    one.chunks.map((chunk) => [chunk.name, chunk.status, chunk.tests]),
  );
  assert.deepEqual(parseJunitCounts(readFileSync(path.join(dir, 'merged', 'junit.xml'), 'utf8')), parseJunitCounts(readFileSync(path.join(dir, 'both', 'junit.xml'), 'utf8')));
  assert.match(merged.stdout, /Run failed/);
  // Every run, and every merge, leaves a self-contained HTML report beside report.json.
  assert.match(readFileSync(path.join(dir, 'both', 'report.html'), 'utf8'), /<svg/);
  assert.match(readFileSync(path.join(dir, 'merged', 'report.html'), 'utf8'), /failing/);
  const missing = await runCli(['merge', 'r1', 'nowhere'], { cwd: dir });
  assert.equal(missing.exitCode, 2);
  assert.doesNotMatch(missing.stderr, /\n +at /);
});

test('matrix prints JSON for a CI matrix; init writes a workflow that parses and uses real commands', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first', timeout: '5m' }, { name: 'last', markers: 'last', required: false }] });
  const matrix = await runCli(['matrix'], { cwd: dir });
  assert.equal(matrix.exitCode, 0, matrix.stderr);
  const parsed = JSON.parse(matrix.stdout) as { include: { name: string; required: boolean; timeoutMinutes: number }[] };
  assert.deepEqual(parsed.include.map((entry) => [entry.name, entry.required]), [['first', true], ['last', false]]);
  assert.ok(parsed.include[0]!.timeoutMinutes >= 5);

  for (const ci of ['github', 'gitlab']) {
    const init = await runCli(['init', '--ci', ci], { cwd: dir });
    assert.equal(init.exitCode, 0, init.stderr);
    const file = ci === 'github' ? '.github/workflows/run-chunks.yml' : '.gitlab-ci.yml';
    const text = readFileSync(path.join(dir, file), 'utf8');
    assert.ok(parseYaml(text));
    // Every run-chunks invocation in the file is one of its real commands.
    const invocations = [...text.matchAll(/run-chunks (\S+)/g)].map((match) => match[1]);
    for (const word of invocations) assert.ok(['matrix', 'merge', '--chunk', 'init', '--config'].some((real) => word!.startsWith(real)), `${file}: run-chunks ${word}`);
    assert.ok(invocations.includes('merge'), `${file} merges the chunk reports`);
    const again = await runCli(['init', '--ci', ci], { cwd: dir });
    assert.equal(again.exitCode, 2, 'init does not overwrite without --force');
  }
});

test('on GitHub Actions: a Markdown job summary is appended and failed tests become ::error annotations', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'failing', markers: 'failing' }, { name: 'selfkill', markers: 'selfkill', retryOnOom: 0 }] });
  const summaryFile = path.join(dir, 'step-summary.md');
  writeFileSync(summaryFile, '# earlier step\n');
  const result = await runCli([], { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile } });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const summary = readFileSync(summaryFile, 'utf8');
  assert.ok(summary.startsWith('# earlier step\n'), 'appended, not overwritten');
  assert.match(summary, /\| *Chunk *\|/);
  assert.match(summary, /test_b_kills_its_own_process/);
  assert.match(result.stdout, /^::error file=tests\/test_failing\.py,line=\d+,title=[^:]*::/m);
  assert.match(result.stdout, /^::error .*selfkill/m);
});

test('`run-chunks report` prints an earlier run\'s summary without running anything, with its exit code', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'failing', markers: 'failing' }] });
  const run = await runCli([], { cwd: dir });
  assert.equal(run.exitCode, 1);
  const report = await runCli(['report'], { cwd: dir });
  assert.equal(report.exitCode, 1);
  assert.match(report.stdout, /│ failing +│ ✖ failed/);
  assert.match(report.stdout, /Run failed: 1 chunk failed/);
  assert.doesNotMatch(report.stdout, /test session starts/, 'nothing ran');
  const missing = await runCli(['report', 'nowhere'], { cwd: dir });
  assert.equal(missing.exitCode, 2);
  assert.equal(missing.stderr, 'run-chunks: error: There is no run-chunks report in nowhere (no report.json). Run run-chunks first, or pass the --report-dir of an earlier run.\n');
});
