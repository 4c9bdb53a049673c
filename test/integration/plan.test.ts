import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { chunkOf, makeSuiteProject, readReport, runCli, VENV_PYTHON } from '../helpers/cli.js';

const SMALL_SUITE = ['tests/test_first.py', 'tests/test_last.py', 'tests/test_failing.py'];

/** pytest's own count for a selection, to check run-chunks' collection against. */
function pytestCount(dir: string, args: string[]): number {
  const output = execFileSync(VENV_PYTHON, ['-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider', ...args], { cwd: dir, encoding: 'utf8' });
  // "7 tests collected", or "3/7 tests collected (4 deselected)".
  return Number(/(\d+)(?:\/\d+)? tests? collected/.exec(output)?.[1]);
}

test('plan finds orphans, overlaps and unknown markers; counts match pytest; --strict fails; --json', async () => {
  const { dir } = makeSuiteProject({
    testPaths: SMALL_SUITE,
    chunks: [
      { name: 'first', markers: 'first' },
      { name: 'firstlast', markers: 'first or lsat' },
    ],
  });
  const text = await runCli(['plan'], { cwd: dir });
  assert.equal(text.exitCode, 0, text.stdout + text.stderr);
  assert.match(text.stdout, /^7 tests collected in the suite in \S+ \(one pytest --collect-only\); per chunk:$/m);
  assert.match(text.stdout, /Orphans: tests no chunk selects \(they never run\) \(4\):\n {2}tests\/test_last\.py::test_quick_a/);
  assert.match(text.stdout, /Overlaps: tests several chunks select \(they run more than once\) \(3\):\n {2}tests\/test_first\.py::test_quick\[1\] {2}\(first, firstlast\)/);
  assert.match(text.stdout, /"lsat" in chunk firstlast/);

  const json = await runCli(['plan', '--json', '--strict'], { cwd: dir });
  assert.equal(json.exitCode, 1, 'strict: problems are an error');
  const plan = JSON.parse(json.stdout) as { collected: number; chunks: { name: string; tests: number }[]; orphans: string[]; unknownMarkers: unknown[] };
  assert.equal(plan.collected, pytestCount(dir, SMALL_SUITE));
  assert.equal(plan.chunks.find((chunk) => chunk.name === 'first')?.tests, pytestCount(dir, [...SMALL_SUITE, '-m', 'first']));
  assert.equal(plan.orphans.length, 4);
  assert.deepEqual(plan.unknownMarkers, [{ chunk: 'firstlast', marker: 'lsat' }]);
});

test('a "rest" chunk leaves no orphans by construction, and runs exactly what the others leave', async () => {
  const { dir } = makeSuiteProject({
    testPaths: SMALL_SUITE,
    chunks: [
      { name: 'first', markers: 'first' },
      { name: 'rest', rest: true },
    ],
  });
  const plan = await runCli(['plan', '--strict'], { cwd: dir });
  assert.equal(plan.exitCode, 0, plan.stdout + plan.stderr);
  assert.match(plan.stdout, /rest +4 tests, 1 worker, takes the rest/);
  assert.match(plan.stdout, /Every test runs exactly once\./);
  const run = await runCli([], { cwd: dir });
  assert.equal(run.exitCode, 1, 'the rest holds a failing test');
  const report = readReport(dir);
  assert.equal(chunkOf(report, 'first').tests?.total, 3);
  assert.deepEqual(chunkOf(report, 'rest').tests, { total: 4, passed: 3, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
});
