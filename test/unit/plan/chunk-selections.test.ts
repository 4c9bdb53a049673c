import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectionArgs, describeSelection, splitSelections } from '../../../src/plan/chunk-selections.js';
import type { PytestInvocation } from '../../../src/plan/pytest-invocation.js';
import type { ChunkPlan } from '../../../src/plan/types.js';

const EXISTING = new Set(['/p/tests', '/p/tests/test_a.py', '/p/extra']);
const exists = (file: string): boolean => EXISTING.has(file);

function plan(name: string, pytest: Partial<PytestInvocation>, cwd = '/p'): ChunkPlan {
  const invocation: PytestInvocation = { python: 'python', testPaths: ['tests'], markers: undefined, keyword: undefined, dist: undefined, args: [], passthroughArgs: [], withEventPlugin: true, ...pytest };
  return { name, cwd, pytest: invocation, rest: false } as unknown as ChunkPlan;
}

test('the arguments that shape collection: options with their values, and existing paths', () => {
  assert.deepEqual(collectionArgs(['-x', '--tb', 'short', '-p', 'no:cacheprovider', '-o', 'addopts=', '--ignore=tests/x', '-vv'], '/p', exists), ['-p', 'no:cacheprovider', '-o', 'addopts=', '--ignore=tests/x']);
  assert.deepEqual(collectionArgs(['-pxdist', '-n', '2', 'extra', 'tests/test_a.py::test_b', 'short'], '/p', exists), ['-pxdist', 'extra', 'tests/test_a.py::test_b']);
  assert.deepEqual(collectionArgs(['--pyargs', '--noconftest', '--deselect', 'tests/test_a.py::t'], '/p', exists), ['--pyargs', '--noconftest', '--deselect', 'tests/test_a.py::t']);
});

test('chunks sharing the base session\'s collection are judged in it; their paths made absolute', () => {
  const base = plan('rest', { args: ['-o', 'addopts=', '-x'] });
  const split = splitSelections(
    base,
    [
      plan('unit', { markers: 'unit and not slow', args: ['-o', 'addopts=', '--tb=short'] }),
      plan('alpha', { keyword: 'alpha', args: ['-o', 'addopts='] }),
      plan('some', { testPaths: ['tests/test_a.py::TestK', 'extra'], args: ['-o', 'addopts='] }),
    ],
    exists,
  );
  assert.deepEqual(split.separate, []);
  assert.deepEqual(split.judged, [
    { name: 'unit', markers: 'unit and not slow', keyword: null, paths: null },
    { name: 'alpha', markers: null, keyword: 'alpha', paths: null },
    { name: 'some', markers: null, keyword: null, paths: ['/p/tests/test_a.py::TestK', '/p/extra'] },
  ]);
  assert.equal(describeSelection(split.judged[2]!, '/p'), 'some (paths tests/test_a.py::TestK extra)');
  assert.equal(describeSelection(split.judged[0]!, '/p'), 'unit (-m "unit and not slow")');
});

test('a chunk in another folder, or with its own collection arguments, is collected on its own', () => {
  const base = plan('rest', { args: ['-o', 'addopts='] });
  const split = splitSelections(
    base,
    [
      plan('elsewhere', {}, '/q'),
      plan('deselects', { args: ['-o', 'addopts=', '--deselect', 'tests/test_a.py::t'] }),
      plan('fewer', { args: [] }),
      plan('ok', { args: ['-o', 'addopts=', '-x'] }),
    ],
    exists,
  );
  assert.deepEqual(
    split.separate.map(({ plan: chunk, reason }) => [chunk.name, reason]),
    [
      ['elsewhere', 'runs in another folder (/q)'],
      ['deselects', 'has arguments that change collection (--deselect tests/test_a.py::t)'],
      ['fewer', 'lacks arguments that change collection (-o addopts=, which "rest" has)'],
    ],
  );
  assert.deepEqual(split.judged.map((spec) => spec.name), ['ok']);
});
