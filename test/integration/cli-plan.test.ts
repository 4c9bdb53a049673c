import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { makeSuiteProject, runCli, VENV_PYTHON } from '../helpers/cli.js';

const CHUNKS = [
  { name: 'first', description: 'Three quick tests', markers: 'first and not slow', workers: 2, timeout: '90s', env: { API_TOKEN: 'hunter2', MODE: 'fast' } },
  { name: 'victim', markers: 'victim', paths: ['tests/test_victim.py'] },
  { name: 'last', markers: 'last', keyword: 'quick', required: false },
];

test('--dry-run prints each chunk\'s exact command, cwd, env, workers and timeout, and spawns nothing', async () => {
  const { dir, signalDir } = makeSuiteProject({ chunks: CHUNKS });
  const result = await runCli(['--dry-run', '--', '-x', '--tb=short'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  const out = result.stdout;
  const junit = (name: string): string => path.join(dir, '.run-chunks', 'report', name, 'junit.xml');
  assert.ok(
    out.includes(` ${VENV_PYTHON} -m pytest -m 'first and not slow' -n 2 -p run_chunks_events --junitxml=${junit('first')} -x --tb=short\n`),
    out,
  );
  assert.ok(out.includes(` ${VENV_PYTHON} -m pytest tests/test_victim.py -m victim -p run_chunks_events --junitxml=${junit('victim')} -x --tb=short\n`), out);
  assert.ok(out.includes(` ${VENV_PYTHON} -m pytest -m last -k quick -p run_chunks_events --junitxml=${junit('last')} -x --tb=short\n`), out);
  // The command line starts with the chunk's variables, the plugin's folder on PYTHONPATH among them.
  assert.match(out, /\n {2}\$ env [^\n]*PYTHONPATH=[^\n]*python -m pytest -m 'first/);
  assert.ok(out.includes(`  cwd: ${dir}\n`), out);
  assert.match(out, /first: Three quick tests\n {2}workers\/limits: 2 workers, timeout 1m30s, grace 5\.0s\n/);
  assert.match(out, /last\n {2}workers\/limits: 1 worker, no timeout, grace 5\.0s, optional/);
  // Secret-looking values are masked; others are shown.
  assert.match(out, /\$ env .*API_TOKEN='\*\*\*'/);
  assert.match(out, /\$ env .*MODE=fast/);
  assert.match(out, /API_TOKEN is masked as \*\*\* below: put in the real value before pasting\./);
  assert.doesNotMatch(out, /hunter2/);
  // Nothing ran: no test announced itself, no report dir was made.
  assert.deepEqual(readdirSync(signalDir), []);
  assert.equal(existsSync(path.join(dir, '.run-chunks')), false);
});

test('--dry-run\'s command line runs when pasted into sh -c: pytest loads the plugin, and the limits are shown', async () => {
  const chunks = [{ name: 'first', markers: 'first and not slow', memoryLimit: '3GB', gpuMemoryLimit: '50%', env: { MODE: 'fast' } }];
  const { dir } = makeSuiteProject({ chunks });
  const result = await runCli(['--dry-run'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /workers\/limits: 1 worker, no timeout, grace 5\.0s, memoryLimit 3 GB, gpuMemoryLimit 50%\n/);
  const line = /\n {2}\$ (.*)\n/.exec(result.stdout)?.[1];
  assert.ok(line, result.stdout);
  // As from a newcomer's shell: no PYTHONPATH of run-chunks' own.
  const { PYTHONPATH: _unused, ...env } = process.env;
  // The chunk's folder, as an earlier run leaves it: the plugin writes its events there.
  mkdirSync(path.join(dir, '.run-chunks', 'report', 'first'), { recursive: true });
  const shell = spawnSync('sh', ['-c', line], { cwd: dir, encoding: 'utf8', env });
  assert.equal(shell.status, 0, `${shell.stdout}\n${shell.stderr}`);
  assert.doesNotMatch(shell.stderr, /ImportError|test events disabled/);
  assert.match(shell.stdout, /3 passed/);
  // The plugin ran: it wrote the chunk's test events where the run would have.
  const events = readFileSync(path.join(dir, '.run-chunks', 'report', 'first', 'events.jsonl'), 'utf8');
  assert.match(events, /test_quick/);
});

test('--dry-run of a chunk with its own cwd: the pasted line runs there, in a subshell', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first and not slow', cwd: 'tests' }] });
  const result = await runCli(['--dry-run'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  const line = /\n {2}\$ (.*)\n/.exec(result.stdout)?.[1] ?? '';
  assert.ok(line.startsWith(`(cd ${path.join(dir, 'tests')} && env `) && line.endsWith(')'), line);
  const { PYTHONPATH: _unused, ...env } = process.env;
  mkdirSync(path.join(dir, '.run-chunks', 'report', 'first'), { recursive: true });
  const shell = spawnSync('sh', ['-c', `${line} && pwd`], { cwd: dir, encoding: 'utf8', env });
  assert.equal(shell.status, 0, `${shell.stdout}\n${shell.stderr}`);
  assert.match(shell.stdout, /3 passed/);
  // The shell that pasted it stays where it was.
  assert.equal(shell.stdout.trimEnd().split('\n').at(-1), dir);
});

test('--chunk selects chunks (repeatable and comma-separated), in config order', async () => {
  const { dir } = makeSuiteProject({ chunks: CHUNKS });
  const result = await runCli(['--dry-run', '--chunk', 'last,first'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  const names = [...result.stdout.matchAll(/^(\w+)(?::.*)?\n {2}workers/gm)].map((match) => match[1]);
  assert.deepEqual(names, ['first', 'last']);
  const repeated = await runCli(['--dry-run', '--chunk', 'victim', '--chunk', 'last'], { cwd: dir });
  assert.deepEqual([...repeated.stdout.matchAll(/^(\w+)(?::.*)?\n {2}workers/gm)].map((match) => match[1]), ['victim', 'last']);
});

test('--chunk with unknown names fails with exit 2, listing the known ones', async () => {
  const { dir } = makeSuiteProject({ chunks: CHUNKS });
  const result = await runCli(['--chunk', 'frist,nope'], { cwd: dir });
  assert.equal(result.exitCode, 2);
  assert.equal(result.stdout, '');
  assert.equal(
    result.stderr,
    'run-chunks: error: Unknown chunks "frist" (did you mean "first"?), "nope" given to --chunk. Known chunks: first, victim, last. ' +
      'Run `run-chunks --list` to see them with their descriptions.\n',
  );
  assert.equal(existsSync(path.join(dir, '.run-chunks')), false);
});

test('--no-parallel drops -n and --dist from the planned commands', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'many', markers: 'workers', workers: 4, dist: 'loadscope' }] });
  const result = await runCli(['--dry-run', '--no-parallel'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /workers\/limits: 1 worker,/);
  assert.doesNotMatch(result.stdout, / -n |--dist/);
});

test('--list prints names, workers and descriptions', async () => {
  const { dir } = makeSuiteProject({ defaults: { workers: 3 }, chunks: CHUNKS });
  const result = await runCli(['--list'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(
    result.stdout,
    'Chunks in chunks.config.json:\nfirst   [2 workers] Three quick tests\nvictim  [3 workers]\nlast    [3 workers]\n',
  );
});

test('--help shows examples and exit codes; --version prints the package version', async () => {
  const { dir } = makeSuiteProject({ chunks: CHUNKS });
  const help = await runCli(['--help'], { cwd: dir });
  assert.equal(help.exitCode, 0);
  assert.match(help.stdout, /Examples:/);
  assert.match(help.stdout, /130 {2}interrupted/);
  // Defaults as a user would write them, not as stored (30000).
  assert.match(help.stdout, /--progress-interval <duration>[\s\S]*?\(default: 30s\)/);
  assert.match(help.stdout, /--chunk <names>[\s\S]*?\(default: every chunk\)/);
  assert.doesNotMatch(help.stdout, /30000|default: \[\]/);
  const version = await runCli(['--version'], { cwd: dir });
  assert.equal(version.exitCode, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});
