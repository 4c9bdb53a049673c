import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { findOnPath } from '../../../src/gpu/gpu-monitor.js';

function makeBinDirs(): { first: string; second: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'find-on-path-'));
  const first = path.join(root, 'first');
  const second = path.join(root, 'second');
  mkdirSync(first);
  mkdirSync(second);
  return { first, second };
}

test('finds the first executable of that name along PATH', () => {
  const { first, second } = makeBinDirs();
  writeFileSync(path.join(first, 'nvidia-smi'), 'not executable');
  writeFileSync(path.join(second, 'nvidia-smi'), '#!/bin/sh\n');
  chmodSync(path.join(second, 'nvidia-smi'), 0o755);
  assert.equal(findOnPath('nvidia-smi', `${first}${path.delimiter}${second}`), path.join(second, 'nvidia-smi'));
  assert.equal(findOnPath('nvidia-smi', first), undefined);
  assert.equal(findOnPath('nvidia-smi', undefined), undefined);
  assert.equal(findOnPath('nvidia-smi', ''), undefined);
});

test('skips folders named like the program and empty PATH entries', () => {
  const { first, second } = makeBinDirs();
  mkdirSync(path.join(first, 'nvidia-smi'));
  assert.equal(findOnPath('nvidia-smi', `${path.delimiter}${first}`), undefined);
  writeFileSync(path.join(second, 'nvidia-smi'), '#!/bin/sh\n', { mode: 0o755 });
  assert.equal(findOnPath('nvidia-smi', `${first}${path.delimiter}${second}`), path.join(second, 'nvidia-smi'));
});

test('a program given as a path is checked as is', () => {
  const { first } = makeBinDirs();
  const program = path.join(first, 'nvidia-smi');
  writeFileSync(program, '#!/bin/sh\n', { mode: 0o755 });
  assert.equal(findOnPath(program, ''), program);
  assert.equal(findOnPath(path.join(first, 'missing'), process.env.PATH), undefined);
});
