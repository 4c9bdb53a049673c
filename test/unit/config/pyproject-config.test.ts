import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.js';
import { UserError } from '../../../src/util/user-error.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-pyproject-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

async function loadError(cwd: string, configPath?: string): Promise<UserError> {
  try {
    await loadConfig(configPath, cwd);
  } catch (error) {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.equal(error.exitCode, 2);
    return error;
  }
  assert.fail('expected the config to be refused');
}

const VALID = `[project]
name = "demo"
dependencies = ["numpy"]

[tool.pytest.ini_options]
markers = ["unit: fast tests"]

[tool.run-chunks]
testPaths = ["tests"]

[tool.run-chunks.defaults]
timeout = "10m"
args = ["-p", "no:cacheprovider"]

[[tool.run-chunks.chunks]]
name = "unit"
markers = "unit"
workers = 2

[[tool.run-chunks.chunks]]
name = "rest"
rest = true
env = { SEED = "1" }
`;

describe('[tool.run-chunks] in pyproject.toml', () => {
  test('is found in the current folder and reads as the same config a JSON file would give', async () => {
    const cwd = project({ 'pyproject.toml': VALID });
    const loaded = await loadConfig(undefined, cwd);
    assert.equal(loaded.configPath, path.join(cwd, 'pyproject.toml'));
    assert.equal(loaded.configDir, cwd);
    assert.deepEqual(JSON.parse(JSON.stringify(loaded.config)), {
      testPaths: ['tests'],
      defaults: { timeout: '10m', args: ['-p', 'no:cacheprovider'] },
      chunks: [
        { name: 'unit', markers: 'unit', workers: 2 },
        { name: 'rest', rest: true, env: { SEED: '1' } },
      ],
    });
    assert.equal(Object.getPrototypeOf(loaded.config.chunks[1]!.env), Object.prototype, 'tables become plain objects');
  });

  test('--config pyproject.toml (or any .toml) reads the table too', async () => {
    const cwd = project({ 'pyproject.toml': VALID, 'chunks.config.json': '{"chunks": [{"name": "json"}]}' });
    assert.equal((await loadConfig('pyproject.toml', cwd)).config.chunks[0]!.name, 'unit');
    assert.equal((await loadConfig('chunks.config.json', cwd)).config.chunks[0]!.name, 'json');
  });

  test('both configs at once, with no --config, is an error that names both', async () => {
    const cwd = project({ 'pyproject.toml': VALID, 'chunks.config.json': '{"chunks": [{"name": "json"}]}' });
    const error = await loadError(cwd);
    assert.match(error.message, /^Two run-chunks configs in .*: chunks\.config\.json and the \[tool\.run-chunks\] table in pyproject\.toml\. /);
    assert.match(error.message, /--config chunks\.config\.json or --config pyproject\.toml/);
  });

  test('a pyproject.toml without the table is left alone, even when it names run-chunks elsewhere or is not TOML run-chunks can read', async () => {
    const cwd = project({ 'pyproject.toml': '[project]\nname = "x"\ndependencies = ["run-chunks==0.1.0"]\n', 'chunks.config.json': '{"chunks": [{"name": "json"}]}' });
    assert.equal((await loadConfig(undefined, cwd)).config.chunks[0]!.name, 'json');
    const broken = project({ 'pyproject.toml': '[project\nname = ', 'chunks.config.json': '{"chunks": [{"name": "json"}]}' });
    assert.equal((await loadConfig(undefined, broken)).config.chunks[0]!.name, 'json', 'a file that never mentions run-chunks is not parsed');
  });

  test('--config pointing at a TOML file without the table says so', async () => {
    const cwd = project({ 'pyproject.toml': '[project]\nname = "x"\n' });
    const error = await loadError(cwd, 'pyproject.toml');
    assert.equal(
      error.message,
      'pyproject.toml has no [tool.run-chunks] table. Add one with the fields of the README\'s config reference (chunks as [[tool.run-chunks.chunks]]), or run `run-chunks init` to write a starter config.',
    );
  });

  test('a TOML syntax error is located by line and column, in one paragraph', async () => {
    const cwd = project({ 'pyproject.toml': '[tool.run-chunks]\ntestPaths = ["tests"\n\n[[tool.run-chunks.chunks]]\nname = "a"\n' });
    const error = await loadError(cwd);
    assert.match(error.message, /^pyproject\.toml:\d+:\d+: the file is not valid TOML: [^\n]+\. Fix the file near that spot/);
    assert.ok(!error.message.includes('\n'), error.message);
  });

  test('a key given twice is refused by TOML itself, with its line', async () => {
    const cwd = project({ 'pyproject.toml': '[tool.run-chunks]\ntestPaths = ["a"]\ntestPaths = ["b"]\n[[tool.run-chunks.chunks]]\nname = "a"\n' });
    assert.match((await loadError(cwd)).message, /^pyproject\.toml:3:\d+: the file is not valid TOML/);
  });

  test('validation problems carry the TOML line of each field', async () => {
    const text = [
      '[tool.run-chunks]', // 1
      'collectTimout = "60s"', // 2
      '', // 3
      '[[tool.run-chunks.chunks]]', // 4
      'name = "unit"', // 5
      'workers = 0', // 6
      '', // 7
      '[[tool.run-chunks.chunks]]', // 8
      'name = "b"', // 9
      'env = { A = 1 }', // 10
      'leak.warmup = "x"', // 11
      'started = 1979-05-27', // 12
    ].join('\n');
    const cwd = project({ 'pyproject.toml': text });
    const lines = (await loadError(cwd)).message.split('\n');
    assert.deepEqual(lines, [
      'pyproject.toml [tool.run-chunks] is not a valid run-chunks config (5 problems):',
      '  pyproject.toml:2: collectTimout: is not a known field. Did you mean "collectTimeout"? Known fields: $schema, runner, python, cwd, testPaths, collectTimeout, defaults, chunks.',
      '  pyproject.toml:6: chunks[0].workers: must be from 1 to 512, got 0.',
      '  pyproject.toml:12: chunks[1].started: is not a known field. Known fields: name, description, markers, paths, keyword, args, workers, dist, timeout, gracePeriod, env, required, allowEmpty, cwd, command, junit, memoryLimit, gpuMemoryLimit, sampleInterval, rest, memoryEstimate, retryOnOom, leak.',
      '  pyproject.toml:10: chunks[1].env: variable A must be a string, got the number 1. Quote numbers and booleans, e.g. "1".',
      '  pyproject.toml:11: chunks[1].leak: warmup must be a duration such as "5s" or "1m", got the string "x".',
    ]);
  });

  test('a table that is not a table is named as [tool.run-chunks]', async () => {
    const cwd = project({ 'pyproject.toml': '[tool]\nrun-chunks = 5\n' });
    const lines = (await loadError(cwd)).message.split('\n');
    assert.equal(lines[1], '  pyproject.toml:2: [tool.run-chunks]: must be a JSON object with a "chunks" array, got the number 5.');
  });
});
