import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { assertNoLeftovers, chunkOf, makeProject, readReport, runCli, VENV_PYTHON } from '../helpers/cli.js';

// A pytest team's project configured only in pyproject.toml: run-chunks finds [tool.run-chunks]
// there, runs the chunks with real pytest, and a chunk's args add to the defaults' args.

const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

const PYPROJECT = `# The project's own settings come first and are never touched.
[project]
name = "tiny"
version = "0.1.0"

[tool.pytest.ini_options]
markers = ["unit: fast", "slow: slow"]

[tool.run-chunks]
python = ${JSON.stringify(VENV_PYTHON)}
testPaths = ["tests"]

[tool.run-chunks.defaults]
timeout = "2m"
args = ["-p", "no:cacheprovider", "--strict-markers"]

[[tool.run-chunks.chunks]]
name = "unit"
markers = "unit"
args = ["-x"]

[[tool.run-chunks.chunks]]
name = "rest"
rest = true
`;

const TESTS = `import pytest

@pytest.mark.unit
def test_one():
    assert 1 + 1 == 2

@pytest.mark.unit
def test_two():
    assert "a".upper() == "A"

@pytest.mark.slow
def test_slow():
    assert sum(range(10)) == 45

def test_unmarked():
    assert True
`;

test('a config in [tool.run-chunks] runs every chunk with real pytest, and chunk args add to the defaults', async () => {
  const cwd = makeProject({ 'pyproject.toml': PYPROJECT, 'tests/test_tiny.py': TESTS });
  projects.push(cwd);
  const dry = await runCli(['--dry-run', '--chunk', 'unit'], { cwd });
  assert.equal(dry.exitCode, 0, dry.stderr);
  assert.match(dry.stdout, /-p no:cacheprovider --strict-markers -x/, 'the defaults\' args, then the chunk\'s');

  const run = await runCli([], { cwd });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  const report = readReport(cwd);
  assert.equal(report.configFile, path.join(cwd, 'pyproject.toml'));
  assert.equal(chunkOf(report, 'unit').tests?.passed, 2);
  assert.equal(chunkOf(report, 'rest').tests?.passed, 2, 'the slow and the unmarked test');
  assertNoLeftovers(run.tag);

  const plan = await runCli(['plan', '--json'], { cwd });
  assert.equal(plan.exitCode, 0, plan.stderr);
  const shown = JSON.parse(plan.stdout) as { collected: number; orphans: unknown[] };
  assert.equal(shown.collected, 4);
  assert.deepEqual(shown.orphans, []);
  assert.ok(readFileSync(path.join(cwd, 'pyproject.toml'), 'utf8') === PYPROJECT, 'run-chunks never writes the config');
});

test('a bad value in [tool.run-chunks] stops the run with its TOML line and exit 2; nothing runs', async () => {
  const cwd = makeProject({ 'pyproject.toml': PYPROJECT.replace('markers = "unit"', 'markers = "unit"\nworkers = "many"'), 'tests/test_tiny.py': TESTS });
  projects.push(cwd);
  const run = await runCli([], { cwd });
  assert.equal(run.exitCode, 2);
  assert.equal(run.stdout, '');
  assert.equal(
    run.stderr,
    'run-chunks: error: pyproject.toml [tool.run-chunks] is not a valid run-chunks config (1 problem):\n  pyproject.toml:20: chunks[0].workers: must be a whole number from 1 to 512, got the string "many".\n',
  );
});
