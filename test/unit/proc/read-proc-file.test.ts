import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readProcFile } from '../../../src/proc/read-proc-file.js';

test('reads /proc files whole, as readFileSync does', () => {
  assert.equal(readProcFile('/proc/self/stat').split(' ')[0], String(process.pid));
  assert.equal(readProcFile(`/proc/${process.pid}/cmdline`, 'latin1'), readFileSync(`/proc/${process.pid}/cmdline`, 'latin1'));
});

test('a file longer than the shared buffer comes back whole, multi-byte characters intact', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-procfile-')), 'long');
  const text = `${'é'.repeat(50_000)}|${'x'.repeat(70_000)}`;
  writeFileSync(file, text);
  assert.equal(readProcFile(file), text);
  assert.equal(readProcFile(file), text, 'the shared buffer is reused safely');
});

test('a missing file throws as readFileSync does', () => {
  assert.throws(() => readProcFile('/proc/0/stat'), { code: 'ENOENT' });
});
