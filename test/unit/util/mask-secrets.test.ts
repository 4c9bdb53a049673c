import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskSecretArgs } from '../../../src/util/mask-secrets.js';

test('secret-looking options given as --name=value or NAME=value are masked, others shown', () => {
  assert.deepEqual(
    maskSecretArgs(['python', '-m', 'pytest', '--api-token=abc', '--junitxml=/r/keys/junit.xml', '-o', 'api_key=def', 'env', 'DB_PASSWORD=ghi', 'MODE=fast', '--maxfail=2']),
    ['python', '-m', 'pytest', '--api-token=***', '--junitxml=/r/keys/junit.xml', '-o', 'api_key=***', 'env', 'DB_PASSWORD=***', 'MODE=fast', '--maxfail=2'],
  );
});

test('the argument after a secret-looking option alone is masked, unless it is an option itself', () => {
  assert.deepEqual(maskSecretArgs(['pytest', '--token', 'abc', '-k', 'token and not slow', '--secret', '--verbose', 'tests']), [
    'pytest',
    '--token',
    '***',
    '-k',
    'token and not slow',
    '--secret',
    '--verbose',
    'tests',
  ]);
});

test('the program, test paths and node ids are never taken for secrets', () => {
  const argv = ['/venv/bin/python-token', 'tests/test_auth.py::test_login[token=abc]', '-m', 'auth', '-p', 'run_chunks_events'];
  assert.deepEqual(maskSecretArgs(argv), argv);
});
