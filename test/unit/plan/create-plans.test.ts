import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadedConfig, RunChunksConfig } from '../../../src/config/types.js';
import { createPlans, mergeChunkDefaults } from '../../../src/plan/create-plans.js';
import type { PlanOptions } from '../../../src/plan/types.js';
import { UserError } from '../../../src/util/user-error.js';

const OPTIONS: PlanOptions = { selectedChunks: [], noParallel: false, reportDir: '/reports', passthroughArgs: [], python: '/venv/bin/python' };

function loaded(config: RunChunksConfig): LoadedConfig {
  return { config, configPath: '/project/chunks.config.json', configDir: '/project' };
}

test('a pytest chunk becomes python -m pytest [paths] -m -k -n --dist --junitxml [args] [passthrough]', () => {
  const [plan] = createPlans(
    loaded({
      testPaths: ['tests'],
      chunks: [{ name: 'unit', markers: 'unit and not slow', keyword: 'fast', workers: 4, dist: 'loadfile', args: ['-q'], timeout: '90s' }],
    }),
    { ...OPTIONS, passthroughArgs: ['-x'] },
  );
  assert.deepEqual(plan!.argv, [
    '/venv/bin/python', '-m', 'pytest', 'tests', '-m', 'unit and not slow', '-k', 'fast', '-n', '4', '--dist', 'loadfile',
    '--junitxml=/reports/unit/junit.xml', '-q', '-x',
  ]);
  assert.equal(plan!.cwd, '/project');
  assert.equal(plan!.timeoutMs, 90_000);
  assert.equal(plan!.gracePeriodMs, 5_000);
  assert.equal(plan!.logFile, '/reports/unit/output.log');
  assert.equal(plan!.needsXdist, true);
  assert.deepEqual(plan!.env, { PYTHONUNBUFFERED: '1', RUN_CHUNKS_CHUNK: 'unit' });
});

test('"dist": "memory" runs xdist\'s load distribution (the plugin schedules it)', () => {
  const [plan] = createPlans(loaded({ chunks: [{ name: 'm', workers: 3, dist: 'memory' }] }), OPTIONS);
  const at = plan!.argv.indexOf('--dist');
  assert.deepEqual(plan!.argv.slice(at, at + 2), ['--dist', 'load']);
  assert.equal(plan!.pytest?.dist, 'memory');
});

test('workers 1 and --no-parallel leave out -n and --dist', () => {
  const config = loaded({ chunks: [{ name: 'a', workers: 1, dist: 'load' }, { name: 'b', workers: 8, dist: 'load' }] });
  const [single] = createPlans(config, OPTIONS);
  assert.ok(!single!.argv.includes('-n') && !single!.argv.includes('--dist'));
  for (const plan of createPlans(config, { ...OPTIONS, noParallel: true })) {
    assert.equal(plan.workers, 1);
    assert.equal(plan.needsXdist, false);
    assert.ok(!plan.argv.includes('-n'), plan.argv.join(' '));
  }
});

test('defaults apply under each chunk; the chunk wins and env maps merge', () => {
  assert.deepEqual(mergeChunkDefaults({ workers: 2, timeout: '5m', env: { A: '1', B: '2' } }, { name: 'x', workers: 4, env: { B: '3' } }), {
    name: 'x',
    workers: 4,
    timeout: '5m',
    env: { A: '1', B: '3' },
  });
  const [plan] = createPlans(loaded({ cwd: 'sub', defaults: { required: false, cwd: 'tests' }, chunks: [{ name: 'x' }] }), OPTIONS);
  assert.equal(plan!.required, false);
  assert.equal(plan!.cwd, '/project/sub/tests');
});

test("a chunk's args add to the defaults' args (defaults first); either alone is kept as it is", () => {
  const defaults = { args: ['-p', 'no:cacheprovider', '--strict-markers'] };
  assert.deepEqual(mergeChunkDefaults(defaults, { name: 'x', args: ['-x'] }).args, ['-p', 'no:cacheprovider', '--strict-markers', '-x']);
  assert.deepEqual(mergeChunkDefaults(defaults, { name: 'y' }).args, defaults.args);
  assert.deepEqual(mergeChunkDefaults(undefined, { name: 'z', args: ['-x'] }).args, ['-x']);
  const [plan] = createPlans(loaded({ defaults, chunks: [{ name: 'x', args: ['-x'] }] }), OPTIONS);
  const argv = plan!.argv.join(' ');
  assert.ok(argv.includes('-p no:cacheprovider --strict-markers -x'), argv);
});

test('runner command: {workers} is replaced, junit resolves against cwd', () => {
  const [plan] = createPlans(
    loaded({ runner: 'command', chunks: [{ name: 'c', command: ['make', 'test', 'JOBS={workers}'], workers: 3, junit: 'out/j.xml' }] }),
    OPTIONS,
  );
  assert.deepEqual(plan!.argv, ['make', 'test', 'JOBS=3']);
  assert.equal(plan!.junitPath, '/project/out/j.xml');
  assert.equal(plan!.python, undefined);
  assert.equal(plan!.needsXdist, false);
});

test('runner command: {junit} becomes <report-dir>/<chunk>/junit.xml, in the command only, and is the junit path', () => {
  const [placeholder, plain] = createPlans(
    loaded({
      runner: 'command',
      chunks: [
        { name: 'p', command: ['pytest-like', '--junitxml={junit}', '{junit}'], args: ['{junit}'] },
        { name: 'q', command: ['make', 'test'] },
      ],
    }),
    { ...OPTIONS, passthroughArgs: ['{junit}'] },
  );
  // args and passthrough arguments are the user's as given: only the command's argv has placeholders.
  assert.deepEqual(placeholder!.argv, ['pytest-like', '--junitxml=/reports/p/junit.xml', '/reports/p/junit.xml', '{junit}', '{junit}']);
  assert.equal(placeholder!.junitPath, '/reports/p/junit.xml');
  assert.deepEqual(plain!.argv, ['make', 'test', '{junit}']);
  assert.equal(plain!.junitPath, undefined);
  const [fromDefaults] = createPlans(loaded({ runner: 'command', defaults: { command: ['run', '{junit}'] }, chunks: [{ name: 'd' }] }), OPTIONS);
  assert.deepEqual(fromDefaults!.argv, ['run', '/reports/d/junit.xml']);
});

test('glob patterns in paths are expanded by the injected matcher; one matching nothing is a UserError', () => {
  const config = loaded({ chunks: [{ name: 'g', paths: ['tests/unit', 'tests/**/test_*.py'] }] });
  const [plan] = createPlans(config, { ...OPTIONS, expandGlob: () => ['tests/a/test_x.py', 'tests/b/test_y.py'] });
  assert.deepEqual(plan!.argv.slice(3, 6), ['tests/unit', 'tests/a/test_x.py', 'tests/b/test_y.py']);
  assert.throws(() => createPlans(config, { ...OPTIONS, expandGlob: () => [] }), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /Chunk "g": the path pattern "tests\/\*\*\/test_\*\.py" matches nothing under \/project/);
    return true;
  });
});

test('a file two patterns match, under the same name or another (a symlink), is passed once; a plain path as written', () => {
  const config = loaded({ chunks: [{ name: 'g', paths: ['tests/x.py', 'tests/*.py', 'tests/**/*.py'] }] });
  const matches: Record<string, string[]> = { 'tests/*.py': ['tests/x.py', 'tests/alias.py'], 'tests/**/*.py': ['tests/alias.py', 'tests/sub/y.py', 'tests/x.py'] };
  // alias.py is a second name of sub/y.py.
  const realPath = (file: string): string => `/real/${file === 'tests/alias.py' ? 'tests/sub/y.py' : file}`;
  const [plan] = createPlans(config, { ...OPTIONS, expandGlob: (pattern) => matches[pattern]!, realPath });
  assert.deepEqual(plan!.pytest!.testPaths, ['tests/x.py', 'tests/alias.py']);
});

test('--chunk keeps config order; unknown names are a UserError with suggestions', () => {
  const config = loaded({ chunks: [{ name: 'unit_fast' }, { name: 'integration' }, { name: 'stress' }] });
  assert.deepEqual(createPlans(config, { ...OPTIONS, selectedChunks: ['stress', 'unit_fast'] }).map((plan) => plan.name), ['unit_fast', 'stress']);
  assert.throws(() => createPlans(config, { ...OPTIONS, selectedChunks: ['unit_fats'] }), /Unknown chunk "unit_fats" \(did you mean "unit_fast"\?\) given to --chunk\. Known chunks: unit_fast, integration, stress\./);
});
