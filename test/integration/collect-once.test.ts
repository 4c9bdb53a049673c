import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { assertNoLeftovers, chunkOf, makeProject, readReport, runCli, VENV_PYTHON, writeConfig } from '../helpers/cli.js';

// A suite whose pytest.ini names an option of a plugin that is not installed (as xarray's does):
// pytest only starts with the config's `-o addopts=`, so every collection must pass the args.
const FILES: Record<string, string> = {
  'pytest.ini': '[pytest]\naddopts = --some-unknown-plugin-option\nmarkers =\n    unit: unit tests\n    slow: slow tests\n',
  'tests/conftest.py': 'import os, time\n\nif os.environ.get("SLOW_COLLECT"):\n    time.sleep(1.5)\n',
  'tests/test_a.py': [
    'import pytest',
    '',
    '@pytest.mark.unit',
    'def test_unit(): pass',
    '',
    '@pytest.mark.unit',
    '@pytest.mark.slow',
    'def test_unit_slow(): pass',
    '',
    '@pytest.mark.slow',
    'def test_slow(): pass',
    '',
    'def test_alpha(): pass',
    '',
    'def test_plain(): pass',
    '',
  ].join('\n'),
  'tests/paths/test_p.py': 'def test_p1(): pass\n\ndef test_p2(): pass\n\nclass TestK:\n    def test_k1(self): pass\n',
  // Registered by a conftest deep in the suite: `pytest --markers` without the paths misses it.
  'tests/deep/conftest.py': 'def pytest_configure(config):\n    config.addinivalue_line("markers", "deepmark: registered in a deep conftest")\n',
  'tests/deep/test_deep.py': 'import pytest\n\n@pytest.mark.deepmark\ndef test_deep1(): pass\n\ndef test_deep2(): pass\n',
};

const ARGS = ['-o', 'addopts=', '-p', 'no:cacheprovider'];
const CHUNKS = [
  { name: 'unit', markers: 'unit and not slow' },
  { name: 'slow', markers: 'slow' },
  { name: 'alpha', keyword: 'alpha' },
  { name: 'paths', paths: ['tests/paths/test_p.py::test_p1', 'tests/paths/test_p.py::TestK'] },
  { name: 'deep', markers: 'deepmark' },
];
const ORPHANS = ['tests/deep/test_deep.py::test_deep2', 'tests/paths/test_p.py::test_p2', 'tests/test_a.py::test_plain'];

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function project(config: Record<string, unknown>, extraFiles: Record<string, string> = {}): string {
  const dir = makeProject({ ...FILES, ...extraFiles });
  dirs.push(dir);
  writeConfig(dir, { python: VENV_PYTHON, testPaths: ['tests'], defaults: { args: ARGS }, ...config });
  return dir;
}

interface PlanJson {
  collected: number;
  collection: { durationMs: number; pytestRuns: number; separate: { name: string; reason: string }[] };
  chunks: { name: string; tests: number }[];
  orphans: string[];
  overlaps: { nodeid: string }[];
  unknownMarkers: unknown[];
}

async function planJson(dir: string, env?: Record<string, string>): Promise<{ plan: PlanJson; stderr: string }> {
  const result = await runCli(['plan', '--json', '--strict'], { cwd: dir, env });
  assert.ok(result.exitCode === 0 || result.exitCode === 1, result.stdout + result.stderr);
  return { plan: JSON.parse(result.stdout) as PlanJson, stderr: result.stderr };
}

/** The node ids a chunk's own session selected (the plugin's `.collected` file). */
function collectedBy(dir: string, chunk: string): string[] {
  const text = readFileSync(path.join(dir, '.run-chunks', 'report', chunk, 'events.jsonl.collected'), 'utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as string).sort();
}

test('plan collects once with the config\'s args, knows a conftest\'s marker, and counts each chunk', async () => {
  const dir = project({ chunks: CHUNKS });
  const { plan } = await planJson(dir);
  assert.equal(plan.collected, 10);
  assert.equal(plan.collection.pytestRuns, 1);
  assert.deepEqual(plan.collection.separate, []);
  assert.equal(typeof plan.collection.durationMs, 'number');
  assert.deepEqual(Object.fromEntries(plan.chunks.map((chunk) => [chunk.name, chunk.tests])), { unit: 1, slow: 2, alpha: 1, paths: 2, deep: 1 });
  assert.deepEqual([...plan.orphans].sort(), ORPHANS);
  assert.deepEqual(plan.unknownMarkers, [], 'deepmark is registered by tests/deep/conftest.py');
  assert.equal(plan.overlaps.length, 0);
  const text = await runCli(['plan'], { cwd: dir });
  assert.match(text.stdout, /^10 tests collected in the suite in \S+ \(one pytest --collect-only\); per chunk:$/m);
});

test('the rest chunk runs exactly plan\'s orphans, judged in its own session (xdist workers 2), with no collection before it', async () => {
  const dir = project({ chunks: [...CHUNKS, { name: 'rest', rest: true, workers: 2 }] });
  const { plan } = await planJson(dir);
  assert.equal(plan.chunks.find((chunk) => chunk.name === 'rest')?.tests, 3);
  assert.deepEqual(plan.orphans, []);

  const dry = await runCli(['--dry-run', '--chunk', 'rest'], { cwd: dir });
  assert.equal(dry.exitCode, 0, dry.stderr);
  assert.match(
    dry.stdout,
    /selects: every test not selected by chunks unit \(-m "unit and not slow"\), slow \(-m "slow"\), alpha \(-k "alpha"\), paths \(paths tests\/paths\/test_p\.py::test_p1 tests\/paths\/test_p\.py::TestK\), deep \(-m "deepmark"\)/,
  );

  const run = await runCli([], { cwd: dir });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.doesNotMatch(run.stderr, /notice/);
  const report = readReport(dir);
  assert.equal(chunkOf(report, 'rest').tests?.total, 3);
  assert.deepEqual(collectedBy(dir, 'rest'), ORPHANS);
  assert.deepEqual(collectedBy(dir, 'slow'), ['tests/test_a.py::test_slow', 'tests/test_a.py::test_unit_slow']);
  assertNoLeftovers(run.tag);
});

test('a chunk whose args change collection is collected on its own, with a notice, in plan and for the rest', async () => {
  const chunks = [...CHUNKS, { name: 'plain', keyword: 'plain or alpha', args: ['--deselect=tests/test_a.py::test_alpha'] }, { name: 'rest', rest: true }];
  const dir = project({ chunks });
  const { plan, stderr } = await planJson(dir);
  assert.equal(plan.collection.pytestRuns, 2);
  assert.deepEqual(plan.collection.separate.map((chunk) => chunk.name), ['plain']);
  assert.match(stderr, /notice: chunk "plain" has arguments that change collection \(--deselect=tests\/test_a\.py::test_alpha\): it is collected on its own/);
  assert.equal(plan.chunks.find((chunk) => chunk.name === 'plain')?.tests, 1);
  assert.equal(plan.chunks.find((chunk) => chunk.name === 'rest')?.tests, 2);

  const dry = await runCli(['--dry-run', '--chunk', 'rest'], { cwd: dir });
  assert.match(dry.stdout, /plain \(collected on its own first: it has arguments that change collection/);
  const run = await runCli(['--chunk', 'rest'], { cwd: dir });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.match(run.stderr, /notice: chunk "plain" has arguments that change collection .* before chunk "rest" starts/);
  assert.deepEqual(collectedBy(dir, 'rest'), ['tests/deep/test_deep.py::test_deep2', 'tests/paths/test_p.py::test_p2']);
  assertNoLeftovers(run.tag);
});

test('a collection that fails says what pytest said: a missing -o addopts=, a module that does not import', async () => {
  const noArgs = project({ defaults: { args: ['-p', 'no:cacheprovider'] }, chunks: [{ name: 'unit', markers: 'unit' }] });
  const usage = await runCli(['plan'], { cwd: noArgs });
  assert.equal(usage.exitCode, 2);
  assert.match(usage.stderr, /Collecting the tests of the whole suite failed \(pytest exit 4\); its last output: stderr ".*unrecognized arguments: --some-unknown-plugin-option/);

  const broken = project({ chunks: [{ name: 'unit', markers: 'unit' }] }, { 'tests/test_broken.py': 'def test_x(:\n' });
  const failed = await runCli(['plan'], { cwd: broken });
  assert.equal(failed.exitCode, 2);
  assert.match(failed.stderr, /Collecting the tests of the whole suite failed \(pytest exit 2\); its last output: stdout ".*ERROR tests\/test_broken\.py/);
});

test('a long collection says so on stderr now and then, and plan --json stays clean', async () => {
  const dir = project({ chunks: CHUNKS });
  const { plan, stderr } = await planJson(dir, { SLOW_COLLECT: '1', RUN_CHUNKS_COLLECT_PROGRESS_MS: '300' });
  assert.equal(plan.collected, 10);
  assert.match(stderr, /^run-chunks: collecting… \d+ s$/m);
});
