import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { assertNoLeftovers, chunkOf, makeProject, readReport, REPO_ROOT, runCli, VENV_PYTHON, writeConfig } from '../helpers/cli.js';

// "dist": "memory" with real allocations: three tests that each hold 300 MiB, interleaved with
// light ones so that xdist's load distribution starts all three at once on three workers. Under a
// 900 MiB memoryLimit that is a memory-limit kill; scheduled by the forecasts one run of history
// gives, the same chunk passes with at most two of them at a time.

const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

const SUITE = `import json
import os
import time

import pytest

KINDS = ["heavy0", "light0", "heavy1", "light1", "heavy2", "light2"]


@pytest.mark.parametrize("kind", KINDS)
def test_mixed(kind):
    start = time.time()
    held = b"x" * (300 * 1024 * 1024) if kind.startswith("heavy") else b""
    time.sleep(1.5)
    with open(os.path.join(os.environ["SPANS_DIR"], kind), "w") as handle:
        json.dump([start, time.time(), len(held)], handle)
`;

function project(): string {
  const dir = makeProject({ 'tests/test_mixed.py': SUITE, 'pytest.ini': '[pytest]\n', 'spans/.keep': '' });
  projects.push(dir);
  return dir;
}

function configure(dir: string, chunk: Record<string, unknown>): void {
  writeConfig(dir, {
    python: VENV_PYTHON,
    defaults: { env: { SPANS_DIR: path.join(dir, 'spans') } },
    chunks: [{ name: 'mixed', paths: ['tests'], sampleInterval: '50ms', timeout: '2m', ...chunk }],
  });
}

/** The most heavy tests whose spans overlap at one moment. */
function mostHeavyAtOnce(dir: string): number {
  const spans = readdirSync(path.join(dir, 'spans'))
    .filter((name) => name.startsWith('heavy'))
    .map((name) => JSON.parse(readFileSync(path.join(dir, 'spans', name), 'utf8')) as [number, number, number]);
  return Math.max(...spans.map(([start]) => spans.filter(([otherStart, otherEnd]) => otherStart <= start && start < otherEnd).length));
}

test('"dist": "memory": after one run of history the heavy tests never all run at once, and a chunk that load scheduling gets killed passes', async () => {
  const dir = project();
  // One worker, no limit: the history learns each test's exact peak (VmHWM).
  configure(dir, { workers: 1 });
  const learn = await runCli([], { cwd: dir });
  assert.equal(learn.exitCode, 0, learn.stdout + learn.stderr);
  assertNoLeftovers(learn.tag);

  // xdist's load distribution under the limit: all three heavy tests start together.
  configure(dir, { workers: 3, memoryLimit: '900MiB', dist: 'load', retryOnOom: 0 });
  const load = await runCli([], { cwd: dir });
  const loaded = chunkOf(readReport(dir), 'mixed');
  assert.equal(loaded.status, 'memory-limit', load.stdout + load.stderr);
  assert.equal(loaded.memorySchedule, null);
  assertNoLeftovers(load.tag);
  for (const name of readdirSync(path.join(dir, 'spans'))) if (name !== '.keep') rmSync(path.join(dir, 'spans', name));

  configure(dir, { workers: 3, memoryLimit: '900MiB', dist: 'memory', retryOnOom: 0 });
  const scheduled = await runCli([], { cwd: dir });
  assert.equal(scheduled.exitCode, 0, scheduled.stdout + scheduled.stderr);
  const chunk = chunkOf(readReport(dir), 'mixed');
  assert.equal(chunk.status, 'passed');
  assert.equal(chunk.tests?.passed, 6);
  assert.ok(chunk.command.includes('--dist') && chunk.command[chunk.command.indexOf('--dist') + 1] === 'load', chunk.commandLine);
  const schedule = chunk.memorySchedule;
  assert.ok(schedule, 'the report says what the scheduler did');
  assert.equal(schedule.scheduler, 'memory');
  assert.equal(schedule.budgetSource, 'memoryLimit');
  assert.equal(schedule.budgetBytes, 900 * 1024 * 1024);
  assert.deepEqual(schedule.forecastSources, { history: 6 });
  // The third heavy test queues behind another on its worker (it fits nowhere beside two): that is
  // no wait with a worker free, so nothing need wait here; the figure is the scheduler's count.
  assert.ok(Number.isInteger(schedule.waited.tests) && schedule.waited.totalMs >= 0, JSON.stringify(schedule));
  assert.deepEqual(schedule.oversize, []);
  assert.equal(schedule.forced, 0);
  assert.ok(mostHeavyAtOnce(dir) <= 2, 'at most two heavy tests at once');
  const validate = new Ajv2020({ allErrors: true, strict: true, validateFormats: false }).compile(JSON.parse(readFileSync(path.join(REPO_ROOT, 'schema', 'report.schema.json'), 'utf8')) as object);
  assert.ok(validate(readReport(dir)), JSON.stringify(validate.errors, null, 2));
  assert.match(scheduled.stdout + scheduled.stderr, /mixed: memory scheduling within 810 MiB of a 900 MiB budget \(memoryLimit\); forecasts: 6 from history; (no test waited for memory|\d+ waited for memory)/);
  assertNoLeftovers(scheduled.tag);
});

test('"dist": "memory" without history forecasts every test at its share of the room, and says so', async () => {
  const dir = project();
  configure(dir, { workers: 2, dist: 'memory' });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const schedule = chunkOf(readReport(dir), 'mixed').memorySchedule;
  assert.equal(schedule?.scheduler, 'memory');
  assert.equal(schedule?.budgetSource, 'available');
  assert.deepEqual(schedule?.forecastSources, { default: 6 });
  assertNoLeftovers(result.tag);
});

test('"dist": "memory" with one worker has nothing to schedule: the chunk runs, and a notice says so', async () => {
  const dir = project();
  configure(dir, { workers: 1, dist: 'memory' });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.match(result.stdout + result.stderr, /"dist": "memory" with one worker: there is nothing to schedule/);
  assert.equal(chunkOf(readReport(dir), 'mixed').memorySchedule, null);
  assertNoLeftovers(result.tag);
});

const WRONG_FORECAST_SUITE = `import time

import pytest

SIZES = {"big": 500, "medium0": 150, "medium1": 150, "light0": 0, "light1": 0, "light2": 0}


@pytest.mark.parametrize("kind", list(SIZES))
def test_sized(kind):
    held = b"x" * (SIZES[kind] * 1024 * 1024)
    time.sleep(2.0 if SIZES[kind] else 0.5)
    assert len(held) == SIZES[kind] * 1024 * 1024
`;

test('"dist": "memory" with a forecast badly wrong (no history): only the worker of the test that grew is stopped, the rest completes, and that test passes alone', async () => {
  const dir = makeProject({ 'tests/test_sized.py': WRONG_FORECAST_SUITE, 'pytest.ini': '[pytest]\n' });
  projects.push(dir);
  writeConfig(dir, { python: VENV_PYTHON, chunks: [{ name: 'sized', paths: ['tests'], workers: 3, dist: 'memory', memoryLimit: '700MiB', sampleInterval: '50ms', timeout: '2m' }] });
  const result = await runCli([], { cwd: dir });
  const output = result.stdout + result.stderr;
  const chunk = chunkOf(readReport(dir), 'sized');
  assert.match(output, /sized: its process tree's memory \(\w+\) reached .*; stopped xdist worker gw\d \(pid \d+\), running tests\/test_sized\.py::test_sized\[big\] \(its process grew \d+(\.\d+)? MiB\); the chunk goes on/, output);
  assert.doesNotMatch(output, /stopping the chunk/);
  // Blamed with the evidence, run again alone, where it passed: the chunk is green.
  const blamed = chunk.blamedTests.find((test) => test.nodeid.endsWith('[big]'));
  assert.ok(blamed, JSON.stringify(chunk.blamedTests));
  assert.equal(blamed.reason, 'memory-limit');
  assert.match(blamed.evidence, /^run-chunks stopped its xdist worker gw\d \(pid \d+\) when the chunk's memory reached .* this test's process had grown/);
  assert.ok(blamed.rssGrowthBytes !== null && blamed.rssGrowthBytes >= 400 * 1024 * 1024, String(blamed.rssGrowthBytes));
  assert.equal(blamed.verdict, 'oom-flaky');
  assert.deepEqual(chunk.blamedTests.map((test) => test.nodeid), ['tests/test_sized.py::test_sized[big]']);
  assert.deepEqual(chunk.attempts.map((attempt) => attempt.kind), ['initial', 'blamed-alone']);
  // Every other test completed in the first attempt.
  assert.equal(chunk.attempts[0]!.tests?.passed, 5, JSON.stringify(chunk.attempts[0]));
  assert.equal(chunk.status, 'passed', `${chunk.status}: ${chunk.message}`);
  assert.equal(result.exitCode, 0, output);
  assertNoLeftovers(result.tag);
});
