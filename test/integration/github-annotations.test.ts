import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { makeProject, runCli, VENV_PYTHON, writeConfig } from '../helpers/cli.js';
import { annotationsByTest, FAILURE_SUITE_EXPECTED, FAILURE_SUITE_FILES } from '../helpers/failure-suite.js';

// On GitHub Actions each failed test becomes an annotation on the line where it failed, read from
// the real plugin's events (a pytest chunk) or from pytest's own JUnit text (a command chunk).

const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

function failureProject(config: Record<string, unknown>): string {
  const dir = makeProject(FAILURE_SUITE_FILES);
  projects.push(dir);
  writeConfig(dir, { python: VENV_PYTHON, ...config });
  return dir;
}

const FILE = 'tests/test_where.py';

/** Checks each expected test's annotation: file, line of the failure, and the start of its message. */
function assertPointsAtFailures(stdout: string, chunk: string): void {
  const annotations = annotationsByTest(stdout);
  for (const expected of FAILURE_SUITE_EXPECTED) {
    const nodeid = `${FILE}::${expected.name}`;
    const annotation = annotations.get(nodeid);
    assert.ok(annotation, `no annotation for ${nodeid} in:\n${stdout}`);
    assert.equal(annotation.properties.title, `${chunk}: ${expected.outcome}: ${nodeid}`);
    assert.equal(annotation.properties.file, FILE, nodeid);
    assert.equal(annotation.properties.line, String(expected.failed), `${nodeid}: the line it failed on, not its def (line ${expected.defined})`);
    assert.ok(annotation.message.length <= 2_000, nodeid);
    if (chunk === 'pytest-chunk') assert.ok(annotation.message.startsWith(expected.messageStart), `${nodeid}: ${annotation.message.slice(0, 200)}`);
  }
}

test('a pytest chunk: annotations point at the failing line (in the body, at the helper\'s call, in the fixture) and start with the message', async () => {
  const dir = failureProject({ chunks: [{ name: 'pytest-chunk', paths: ['tests'] }] });
  const summaryFile = path.join(dir, 'step-summary.md');
  const result = await runCli([], { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile } });
  assert.equal(result.exitCode, 1, result.stdout + result.stderr);
  assertPointsAtFailures(result.stdout, 'pytest-chunk');
  // The message begins with the whole assertion, its explanation included, not with a cut traceback.
  const deep = annotationsByTest(result.stdout).get(`${FILE}::test_deep_in_the_library`)!;
  assert.ok(deep.message.includes('\n\n…'), 'the traceback after it is clipped from its start');
  assert.match(readFileSync(summaryFile, 'utf8'), /pytest-chunk \| ❌ failed \| 0 \| 3 \| 0 \| 1 \|/);
});

test('a command chunk running pytest: without events, the line comes from the JUnit failure text', async () => {
  const command = [VENV_PYTHON, '-m', 'pytest', 'tests', '-p', 'no:cacheprovider', '--junitxml={junit}'];
  const dir = failureProject({ runner: 'command', chunks: [{ name: 'command-chunk', command }] });
  const result = await runCli([], { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md') } });
  assert.equal(result.exitCode, 1, result.stdout + result.stderr);
  assertPointsAtFailures(result.stdout, 'command-chunk');
});
