import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { chooseInterpreter } from '../../../src/init/choose-interpreter.js';
import { UserError } from '../../../src/util/user-error.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function project(executables: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-init-python-'));
  dirs.push(dir);
  for (const file of executables) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), '#!/bin/sh\n');
    chmodSync(path.join(dir, file), 0o755);
  }
  return dir;
}

function refused(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof UserError && error.exitCode === 2 && pattern.test(error.message));
}

test('the project\'s .venv first, then venv/, then python3 or python on PATH; each says where it came from', () => {
  const both = project(['.venv/bin/python', 'venv/bin/python']);
  assert.deepEqual(chooseInterpreter(undefined, both, ''), { python: path.join(both, '.venv/bin/python'), source: "the project's .venv" });
  const venv = project(['venv/bin/python']);
  assert.equal(chooseInterpreter(undefined, venv, '').python, path.join(venv, 'venv/bin/python'));
  const bin = project(['bin/python']);
  const onPath = chooseInterpreter(undefined, project([]), path.join(bin, 'bin'));
  assert.equal(onPath.python, 'python');
  assert.match(onPath.source, /^python on PATH \(.*\/bin\/python\), since the project has no \.venv or venv$/);
  refused(() => chooseInterpreter(undefined, project([]), ''), /^No Python to collect the tests with: .* has no \.venv\/bin\/python or venv\/bin\/python, and neither python3 nor python is on PATH\. .*--python PATH/);
});

test('--python: a path from the project folder, or a name on PATH; a missing one is a UserError naming it', () => {
  const dir = project(['tools/py']);
  assert.deepEqual(chooseInterpreter('tools/py', dir, ''), { python: path.join(dir, 'tools/py'), source: '--python' });
  refused(() => chooseInterpreter('missing/python', dir, ''), /^--python "missing\/python" does not exist \(.*missing\/python\)\. Point it at/);
  mkdirSync(path.join(dir, 'env'));
  refused(() => chooseInterpreter('./env', dir, ''), /is a folder\. Point it at the interpreter inside it/);
  refused(() => chooseInterpreter('no-such-python', dir, path.join(dir, 'tools')), /^--python "no-such-python" is not on PATH/);
  assert.equal(chooseInterpreter('py', dir, path.join(dir, 'tools')).python, 'py');
});
