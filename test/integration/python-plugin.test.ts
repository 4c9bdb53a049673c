// The bundled pytest plugin's own tests (test/python/, with pytest and its pytester), run with
// the project's virtualenv: the Python side is tested in Python.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { REPO_ROOT, VENV_PYTHON } from '../helpers/cli.js';

test('the plugin\'s pytest tests pass', { timeout: 120_000 }, async () => {
  const result = await execa(VENV_PYTHON, ['-m', 'pytest', path.join('test', 'python'), '-q', '-p', 'no:cacheprovider', '-p', 'no:randomly'], {
    cwd: REPO_ROOT,
    // No __pycache__ or .pytest_cache in the tree: `git status` stays empty after npm test.
    env: { PYTHONDONTWRITEBYTECODE: '1' },
    reject: false,
    all: true,
  });
  assert.equal(result.exitCode, 0, result.all);
  assert.match(result.all ?? '', /^\d+ passed in /m);
  assert.doesNotMatch(result.all ?? '', /failed|error/i);
});
