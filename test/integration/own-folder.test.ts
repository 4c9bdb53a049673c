import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { makeSuiteProject, runCli } from '../helpers/cli.js';

/** Makes `dir` a git repository holding its files, as a project run-chunks is used in. */
function commitAll(dir: string): void {
  // A Python project's usual ignores: pytest's own leftovers are not run-chunks' to hide.
  writeFileSync(path.join(dir, '.gitignore'), '__pycache__/\n.pytest_cache/\n');
  const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: dir, encoding: 'utf8' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'project');
}

const gitStatus = (dir: string): string => execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, encoding: 'utf8' });

test('.run-chunks/ that run-chunks creates holds a .gitignore of *: a run and a merge leave `git status` empty', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first' }] });
  commitAll(dir);
  const run = await runCli([], { cwd: dir });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.ok(existsSync(path.join(dir, '.run-chunks', 'report', 'report.json')));
  assert.ok(existsSync(path.join(dir, '.run-chunks', 'history.json')));
  assert.match(readFileSync(path.join(dir, '.run-chunks', '.gitignore'), 'utf8'), /^\*$/m);
  assert.equal(gitStatus(dir), '');
  // A merge into the default report dir, history beside it, from a dir that is git-ignored too.
  const merged = await runCli(['merge', '.run-chunks/report', '--report-dir', '.run-chunks/merged'], { cwd: dir });
  assert.equal(merged.exitCode, 0, merged.stdout + merged.stderr);
  assert.equal(gitStatus(dir), '');
});

test('the history alone creates .run-chunks/ (--report-dir elsewhere): it gets the .gitignore too', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first' }] });
  const run = await runCli(['--report-dir', 'out/report'], { cwd: dir });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.ok(existsSync(path.join(dir, '.run-chunks', 'history.json')));
  assert.ok(existsSync(path.join(dir, '.run-chunks', '.gitignore')));
  // A folder the user named is the user's: nothing is written beside the report.
  assert.equal(existsSync(path.join(dir, 'out', '.gitignore')), false);
  assert.equal(existsSync(path.join(dir, 'out', 'report', '.gitignore')), false);
});

test('a .run-chunks/ folder that was already there gets no .gitignore', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first' }] });
  mkdirSync(path.join(dir, '.run-chunks'));
  const run = await runCli([], { cwd: dir });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.ok(existsSync(path.join(dir, '.run-chunks', 'report', 'report.json')));
  assert.equal(existsSync(path.join(dir, '.run-chunks', '.gitignore')), false);
});
