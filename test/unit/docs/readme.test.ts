import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CHUNK_FIELDS, TOP_LEVEL_FIELDS } from '../../../src/config/config-fields.js';
import { CHUNK_STATUSES, EXIT_CODES } from '../../../src/results/outcome.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

test('the README starts with the two newcomer commands, and .ci/run calls its test command', () => {
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  assert.match(firstBlock, /^npm ci && npm run demo\b/m);
  assert.match(firstBlock, /^npm ci && npm test\b/m);
  assert.match(readFileSync(path.join(REPO_ROOT, '.ci', 'run'), 'utf8'), /^npm test$/m);
});

test('the README documents every config field, status and exit code', () => {
  for (const field of [...Object.keys(TOP_LEVEL_FIELDS).filter((name) => name !== '$schema'), 'defaults', 'chunks', ...Object.keys(CHUNK_FIELDS)])
    assert.ok(readme.includes(`| \`${field}\` |`), `README lacks a table row for "${field}"`);
  for (const status of CHUNK_STATUSES) assert.ok(readme.includes(`| \`${status}\` |`), `README lacks status "${status}"`);
  for (const code of Object.values(EXIT_CODES)) assert.ok(readme.includes(`| ${code} |`), `README lacks exit code ${code}`);
});
