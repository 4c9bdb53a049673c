import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { makeProject, runCli, writeConfig, type CliResult } from '../helpers/cli.js';
import { checkNoLeftovers, type FaultRecorder } from '../helpers/fault-case.js';

// What the bad-input and names cases share: a run that must be refused with exit 2 and one
// paragraph, before anything is started or written. "Started" is seen through the config's
// python, a script that leaves a file behind when anything runs it; "written" by listing the
// project before and after. Every project holds an earlier run's report, which must come through
// untouched.

/** File the fake python leaves in the project when anything runs it. */
export const SPAWN_MARKER = 'spawned';
const FAKE_PYTHON = `#!/bin/sh\ntouch "$(dirname "$0")/${SPAWN_MARKER}"\nexit 0\n`;
const EARLIER_REPORT = '{"earlier": "run"}\n';

const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/** A project whose chunks would run ./fake-python, with an earlier report; `config` as in writeConfig (undefined: none). */
export function projectWith(config: unknown): string {
  const dir = realpathSync(
    makeProject({ 'fake-python': FAKE_PYTHON, '.run-chunks/report/report.json': EARLIER_REPORT, '.run-chunks/report/a/output.log': 'old\n' }),
  );
  chmodSync(path.join(dir, 'fake-python'), 0o755);
  projects.push(dir);
  if (config !== undefined) writeConfig(dir, config);
  return dir;
}

/** The config of most cases: valid but for `chunk`'s fields, with the fake python. */
export function configWith(chunk: Record<string, unknown>, top: Record<string, unknown> = {}): Record<string, unknown> {
  return { python: './fake-python', ...top, chunks: [{ name: 'a', ...chunk }] };
}

/** Every file and folder under `dir` with its size and mtime, to compare before and after a run. */
export function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((entry) => {
      const stats = statSync(path.join(dir, entry));
      return `${entry} ${stats.isDirectory() ? 'dir' : stats.size} ${stats.mtimeMs}`;
    });
}

/** The first words of an error (of its first listed problem, if it lists some), for the "did" column. */
function quoteStart(stderr: string, projectDir: string, length = 70): string {
  const firstProblem = /^ {2}(\S.*)$/m.exec(stderr)?.[1];
  // The temp folder's name changes every run; the table should not.
  const flat = (firstProblem ?? stderr.replace(/^run-chunks: error: /, '')).replaceAll(projectDir, '<project>').replace(/\s*\n\s*/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

/**
 * Asserts the run was stopped as a usage error: exit 2, nothing on stdout, one paragraph on stderr
 * holding every one of `fragments`, no stack trace or error-class dump; records what it saw.
 */
export function assertUsageError(r: FaultRecorder, result: CliResult, projectDir: string, fragments: readonly string[]): void {
  r.outcomeOf(result.exitCode);
  r.did(`exit ${result.exitCode}: "${quoteStart(result.stderr, projectDir)}"`);
  assert.equal(result.exitCode, 2, `exit code; stderr was:\n${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^run-chunks: error: \S/);
  assert.doesNotMatch(result.stderr.trim(), /\n\s*\n/, 'more than one paragraph');
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'stack trace');
  assert.doesNotMatch(result.stderr, /\b(?:Type|Range|Syntax|Reference)?Error:|internal error/, 'error class dump');
  r.held('exit 2, stderr one paragraph, no stack trace');
  for (const fragment of fragments) assert.ok(result.stderr.includes(fragment), `stderr lacks ${JSON.stringify(fragment)}:\n${result.stderr}`);
  r.held('message names the problem and the fix');
}

/** Runs the CLI in a project with `config`; checks the usage error, that nothing started, and nothing was written. */
export async function expectRefused(r: FaultRecorder, config: unknown, args: string[], fragments: readonly string[]): Promise<CliResult> {
  const dir = projectWith(config);
  const before = snapshot(dir);
  const result = await runCli(args, { cwd: dir });
  assertUsageError(r, result, dir, fragments);
  checkNoLeftovers(r, result.tag);
  assert.deepEqual(snapshot(dir), before, 'the project changed (a file written, or the earlier report touched)');
  assert.equal(readFileSync(path.join(dir, '.run-chunks/report/report.json'), 'utf8'), EARLIER_REPORT);
  r.held('nothing spawned or written; earlier report.json untouched');
  return result;
}
