import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'smol-toml';
import { checkNoLeftovers, faultCase } from '../helpers/fault-case.js';
import { assertNoLeftovers, FIXTURES_DIR, REPO_ROOT, runCli, startCli, VENV_PYTHON, waitUntil, type CliResult } from '../helpers/cli.js';

// `run-chunks init` on test/fixtures/init-project: markers of four categories registered in
// pytest.ini (unit, memory_intensive, integration, slow), one with no category (smoke), one not
// registered (benchmark), tests with two category markers, and unmarked tests. The config it
// writes must leave `run-chunks plan` with no orphan, no overlap and no unknown marker.

const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/** A temp copy of the fixture project; with `venv`, a .venv linking to the test venv (so run-chunks finds it by itself). */
function fixtureCopy(options: { venv: boolean }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-init-'));
  projects.push(dir);
  cpSync(path.join(FIXTURES_DIR, 'init-project'), dir, { recursive: true });
  if (options.venv) symlinkSync(path.join(REPO_ROOT, '.venv'), path.join(dir, '.venv'));
  return dir;
}

async function cli(args: string[], cwd: string): Promise<CliResult> {
  const result = await runCli(args, { cwd, env: { PYTHONDONTWRITEBYTECODE: '1' } });
  assertNoLeftovers(result.tag);
  return result;
}

/** pytest's own count of the suite, to check init and plan against. */
function pytestCount(dir: string): number {
  const output = execFileSync(VENV_PYTHON, ['-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  return Number(/(\d+) tests? collected/.exec(output)?.[1]);
}

interface PlanJson {
  collected: number;
  chunks: { name: string; tests: number; workers: number; rest: boolean }[];
  orphans: string[];
  overlaps: unknown[];
  unknownMarkers: unknown[];
}

/** `run-chunks plan --json --strict` in `dir`: must pass, with every test in exactly one chunk. */
async function assertCleanPlan(dir: string, initOutput: string): Promise<PlanJson> {
  const result = await cli(['plan', '--json', '--strict'], dir);
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const plan = JSON.parse(result.stdout) as PlanJson;
  assert.equal(plan.collected, pytestCount(dir));
  assert.deepEqual(plan.orphans, []);
  assert.deepEqual(plan.overlaps, []);
  assert.deepEqual(plan.unknownMarkers, []);
  assert.equal(plan.chunks.reduce((sum, chunk) => sum + chunk.tests, 0), plan.collected);
  // What init printed for each chunk is what plan collects for it.
  for (const chunk of plan.chunks) assert.match(initOutput, new RegExp(`^  ${chunk.name} +${chunk.tests} tests?, ${chunk.workers} workers?, `, 'm'), chunk.name);
  return plan;
}

const EXPECTED_CHUNKS = [
  ['unit_fast', 'unit and not (memory_intensive or integration or slow)'],
  ['unit_memory', 'memory_intensive and not (integration or slow)'],
  ['integration', 'integration and not slow'],
  ['stress', 'slow'],
  ['rest', undefined],
];

test('without pyproject.toml: writes chunks.config.json, says what and why, and plan then finds every test exactly once', async () => {
  const dir = fixtureCopy({ venv: true });
  const init = await cli(['init'], dir);
  assert.equal(init.exitCode, 0, init.stdout + init.stderr);
  assert.equal(init.stderr, '');
  assert.match(init.stdout, /^Interpreter: .*\/\.venv\/bin\/python \(the project's \.venv\): Python 3\.\d+\.\d+, with pytest-xdist\.$/m);
  assert.match(init.stdout, /^Collected 18 tests \(pytest rootdir .*, pytest\.ini\)/m);
  assert.match(init.stdout, /^Wrote chunks\.config\.json \(5 chunks\):$/m);
  assert.match(init.stdout, /^ +3 tests marked memory_intensive; \d+ workers? /m);
  assert.match(init.stdout, /tests\/test_memory\.py::test_big_list {2}\(unit, memory_intensive\) → unit_memory/);
  assert.match(init.stdout, /^ {2}benchmark \(1 test\): would make a performance chunk$/m);
  assert.match(init.stdout, /^"python" is left out: run-chunks finds \.venv\/bin\/python by itself\.$/m);
  assert.match(init.stdout, /^Next: run-chunks plan /m);
  const config = JSON.parse(readFileSync(path.join(dir, 'chunks.config.json'), 'utf8')) as { python?: string; testPaths: string[]; chunks: { name: string; markers?: string; rest?: boolean }[] };
  assert.equal(config.python, undefined);
  assert.deepEqual(config.testPaths, ['tests']);
  assert.deepEqual(config.chunks.map((chunk) => [chunk.name, chunk.markers]), EXPECTED_CHUNKS);
  assert.equal(config.chunks.at(-1)?.rest, true);
  assert.ok(!existsSync(path.join(dir, '.pytest_cache')), 'init writes its config and nothing else (no .pytest_cache)');
  const plan = await assertCleanPlan(dir, init.stdout);
  assert.deepEqual(plan.chunks.map((chunk) => chunk.tests), [5, 3, 2, 3, 5]);
});

// A team's pyproject.toml: comments, odd spacing, tables of arrays, and no newline at the end.
const PYPROJECT = `# The project's own file: init must keep every byte of it.
[project]
name   = "init-demo"   # odd spacing, inline comment
version = "0.1.0"

[[tool.mypy.overrides]]
module = "tests.*"
ignore_errors = true
# the last line, with no newline after it`;

test('with pyproject.toml: appends [tool.run-chunks], keeps the file byte for byte before it, plan reads it; a second init is refused', async () => {
  const dir = fixtureCopy({ venv: true });
  const file = path.join(dir, 'pyproject.toml');
  writeFileSync(file, PYPROJECT);
  const init = await cli(['init'], dir);
  assert.equal(init.exitCode, 0, init.stdout + init.stderr);
  assert.match(init.stdout, /^Appended a \[tool\.run-chunks\] table to pyproject\.toml \(5 chunks\); the rest of the file is as it was:$/m);
  const written = readFileSync(file);
  assert.ok(written.subarray(0, Buffer.byteLength(PYPROJECT)).equals(Buffer.from(PYPROJECT)), 'the old text is a prefix of the new');
  const document = parse(written.toString('utf8')) as { project: { name: string }; tool: { 'run-chunks': { chunks: { name: string; markers?: string }[] }; mypy: unknown } };
  assert.equal(document.project.name, 'init-demo');
  assert.deepEqual(document.tool['run-chunks'].chunks.map((chunk) => [chunk.name, chunk.markers]), EXPECTED_CHUNKS);
  assert.equal(existsSync(path.join(dir, 'chunks.config.json')), false);
  await assertCleanPlan(dir, init.stdout);

  for (const args of [['init'], ['init', '--force']]) {
    const again = await cli(args, dir);
    assert.equal(again.exitCode, 2, args.join(' '));
    assert.match(again.stderr, /^run-chunks: error: pyproject\.toml already has a \[tool\.run-chunks\] table: run-chunks init never overwrites a config/);
    if (args.includes('--force')) assert.match(again.stderr, /--force replaces only a chunks\.config\.json/);
    assert.ok(readFileSync(file).equals(written), 'the refused init left the file as it was');
  }
});

test('an existing chunks.config.json is refused (exit 2) and kept; --force replaces it; --python outside the project goes into the config', async () => {
  const dir = fixtureCopy({ venv: false });
  const file = path.join(dir, 'chunks.config.json');
  const mine = '{ "chunks": [ { "name": "mine", "markers": "unit" } ] }\n';
  writeFileSync(file, mine);
  const refused = await cli(['init', '--python', VENV_PYTHON], dir);
  assert.equal(refused.exitCode, 2);
  assert.match(refused.stderr, /^run-chunks: error: chunks\.config\.json already exists: run-chunks init never overwrites a config\. .*pass --force\.\n$/);
  assert.equal(readFileSync(file, 'utf8'), mine);

  const forced = await cli(['init', '--python', VENV_PYTHON, '--force'], dir);
  assert.equal(forced.exitCode, 0, forced.stdout + forced.stderr);
  assert.match(forced.stdout, /^Replaced chunks\.config\.json \(5 chunks\):$/m);
  const config = JSON.parse(readFileSync(file, 'utf8')) as { python?: string };
  assert.equal(config.python, VENV_PYTHON, 'run-chunks would not find that interpreter by itself');
  await assertCleanPlan(dir, forced.stdout);
});

test('refusals that write nothing: --python missing, an interpreter without pytest, a suite that does not collect, a misplaced flag', async () => {
  const dir = fixtureCopy({ venv: false });
  const missing = await cli(['init', '--python', 'no/such/python'], dir);
  assert.equal(missing.exitCode, 2);
  assert.match(missing.stderr, /^run-chunks: error: --python "no\/such\/python" does not exist \(.*\/no\/such\/python\)\. Point it at the project's interpreter/);

  // The test venv's Python without its site-packages (-S) or PYTHONPATH (-I): no pytest there.
  const bare = path.join(dir, 'bare-python');
  writeFileSync(bare, `#!/bin/sh\nexec ${VENV_PYTHON} -I -S "$@"\n`);
  chmodSync(bare, 0o755);
  const noPytest = await cli(['init', '--python', './bare-python'], dir);
  assert.equal(noPytest.exitCode, 2);
  assert.match(noPytest.stderr, /^run-chunks: error: pytest is not installed for .*\/bare-python \(--python\), so init cannot collect the tests\. Install it there: .* -m pip install pytest pytest-xdist, or pass the interpreter that has it with --python PATH\.\n$/);

  writeFileSync(path.join(dir, 'tests', 'test_broken.py'), 'import no_such_module_for_init\n\n\ndef test_never():\n    pass\n');
  const broken = await cli(['init', '--python', VENV_PYTHON], dir);
  assert.equal(broken.exitCode, 2);
  assert.match(broken.stderr, /^run-chunks: error: pytest could not collect the whole suite in .* \(pytest exit 2: collection errors, or an interrupt\); it said: "E +ModuleNotFoundError: No module named 'no_such_module_for_init' \/ ERROR tests\/test_broken\.py \/ .*1 error.*"\. init writes a config only from a suite that collects cleanly/s);
  assert.doesNotMatch(broken.stderr, /\n {4}at /, 'no stack trace');

  const misplaced = await cli(['init', '--setup', 'pip install .'], dir);
  assert.equal(misplaced.exitCode, 2);
  assert.match(misplaced.stderr, /--setup applies only with --ci/);
  assert.equal(existsSync(path.join(dir, 'chunks.config.json')), false, 'nothing was written');
});

// A conftest that starts a grandchild and then hangs: what a conftest waiting on a network looks like.
const HANGING_CONFTEST = `import os, subprocess, time
subprocess.Popen(["sleep", "600"])
open(os.path.join(os.path.dirname(__file__), "started-" + str(os.getpid())), "w").close()
time.sleep(600)
`;

test('a collection that hangs: stopped at --collect-timeout, or by Ctrl-C (exit 130), with its whole process group; nothing written', async () => {
  const dir = fixtureCopy({ venv: true });
  writeFileSync(path.join(dir, 'tests', 'conftest.py'), HANGING_CONFTEST);
  const timedOut = await cli(['init', '--collect-timeout', '2s'], dir);
  assert.equal(timedOut.exitCode, 2);
  assert.match(timedOut.stderr, /^run-chunks: error: Collecting the tests with .* took more than 2 s, so it was stopped with its whole process group; .*pass --collect-timeout with more\. Nothing was written\.\n$/);

  const started = (): string[] => readdirSync(path.join(dir, 'tests')).filter((name) => name.startsWith('started-'));
  for (const name of started()) rmSync(path.join(dir, 'tests', name));
  const run = startCli(['init'], { cwd: dir, env: { PYTHONDONTWRITEBYTECODE: '1' } });
  // One pytest run: the collection (which also lists the markers pytest knows).
  await waitUntil(() => started().length >= 1, 60_000, 'the conftest to start in init\'s collection');
  run.child.kill('SIGINT');
  const interrupted = await run.result;
  assertNoLeftovers(interrupted.tag);
  assert.equal(interrupted.exitCode, 130, interrupted.stderr);
  assert.match(interrupted.stderr, /Interrupted by SIGINT while .*: Python was stopped with its whole process group, and nothing was written\./);
  assert.equal(existsSync(path.join(dir, 'chunks.config.json')), false);
});

// The fault (networkx 3.4.2): its `slow` marker is registered by networkx/conftest.py, which a bare
// `pytest --markers` in the project folder never loads, so init called it unregistered and sent
// the slow tests to rest. The markers now come from the collection's own session.
faultCase('input', 'run-chunks init on a suite whose marker is registered by a conftest below the project folder (networkx)', async (r) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-init-conftest-'));
  projects.push(dir);
  symlinkSync(path.join(REPO_ROOT, '.venv'), path.join(dir, '.venv'));
  mkdirSync(path.join(dir, 'pkg'));
  // No testpaths (as networkx has none): a bare `pytest --markers` then loads no conftest below the folder.
  writeFileSync(path.join(dir, 'pytest.ini'), '[pytest]\n');
  writeFileSync(path.join(dir, 'pkg', '__init__.py'), '');
  writeFileSync(path.join(dir, 'pkg', 'conftest.py'), 'def pytest_configure(config):\n    config.addinivalue_line("markers", "slow: mark test as slow to run")\n');
  writeFileSync(path.join(dir, 'pkg', 'test_things.py'), 'import pytest\n\n@pytest.mark.slow\ndef test_slow():\n    pass\n\ndef test_quick():\n    pass\n');
  const init = await cli(['init'], dir);
  r.outcomeOf(init.exitCode);
  r.did('the markers come from the collection\'s own session, with every conftest it loaded');
  assert.equal(init.exitCode, 0, init.stdout + init.stderr);
  assert.doesNotMatch(init.stdout, /not registered/);
  r.held('slow is not called unregistered');
  const config = JSON.parse(readFileSync(path.join(dir, 'chunks.config.json'), 'utf8')) as { chunks: { name: string; markers?: string }[] };
  assert.deepEqual(config.chunks.map((chunk) => [chunk.name, chunk.markers]), [['stress', 'slow'], ['rest', undefined]]);
  r.held('its test gets the stress chunk (-m slow), the other goes to rest');
  checkNoLeftovers(r, init.tag);
});
