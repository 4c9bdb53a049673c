import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { makeSuiteProject, runCli } from '../helpers/cli.js';

/** The last line of a run's output, without colour (stdout is no terminal here). */
const lastLine = (stdout: string): string => stdout.trimEnd().split('\n').at(-1)!;

test('the run\'s last line counts chunks, not tests, and names report.html and report.json', async () => {
  const { dir } = makeSuiteProject({
    chunks: [
      { name: 'first', markers: 'first' },
      { name: 'last', markers: 'last' },
      { name: 'failing', markers: 'failing', required: false },
    ],
  });
  const run = await runCli([], { cwd: dir });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.match(
    lastLine(run.stdout),
    /^Run passed: 2 chunks passed, 1 failed in \S+ \(exit code 0\)\. Report: \.run-chunks\/report\/report\.html and report\.json$/,
  );
  // `run-chunks report` names the files the dir holds: without report.html, only report.json.
  rmSync(path.join(dir, '.run-chunks', 'report', 'report.html'));
  const report = await runCli(['report'], { cwd: dir });
  assert.equal(report.exitCode, 0, report.stderr);
  assert.match(lastLine(report.stdout), /^Run passed: 2 chunks passed, 1 failed in \S+ \(exit code 0\)\. Report: \.run-chunks\/report\/report\.json$/);
});

test('one chunk is "1 chunk"', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'failing', markers: 'failing' }] });
  const run = await runCli([], { cwd: dir });
  assert.equal(run.exitCode, 1, run.stdout + run.stderr);
  assert.match(lastLine(run.stdout), /^Run failed: 1 chunk failed in \S+ \(exit code 1\)\. Report: \S+report\.html and report\.json$/);
});

test('COLUMNS=80: the summary is the compact table, every line of it within 80 columns; the default width keeps the full table', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first' }, { name: 'failing', markers: 'failing', required: false }] });
  const narrow = await runCli([], { cwd: dir, env: { COLUMNS: '80' } });
  assert.equal(narrow.exitCode, 0, narrow.stdout + narrow.stderr);
  const table = narrow.stdout.slice(narrow.stdout.lastIndexOf('\nChunk ') + 1).split('\n').slice(0, 3);
  assert.match(table[0]!, /^Chunk +Status +Tests +Time +Peak$/);
  assert.match(table[1]!, /^first +✔ passed +3 passed +\S+ +\S+ \S+$/);
  assert.match(table[2]!, /^failing \(optional\) +✖ failed +1 passed, 1 failed +\S+ +\S+ \S+$/);
  for (const line of table) assert.ok(line.length <= 80, line);
  assert.doesNotMatch(narrow.stdout, /│/);
  const report = await runCli(['report'], { cwd: dir, env: { COLUMNS: '80' } });
  assert.match(report.stdout, /^Chunk +Status +Tests +Time +Peak$/m);
  const wide = await runCli(['report'], { cwd: dir });
  assert.match(wide.stdout, /│ first +│ ✔ passed │/);
});
