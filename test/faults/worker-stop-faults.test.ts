// The fault suite, memory scheduling: under "dist": "memory" a chunk over its memoryLimit loses
// only the worker whose test grew; these are the cases where that is not enough, or not possible,
// and the chunk must be stopped whole as before, with the reason said.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { chunkOf, makeProject, readReport, runCli, VENV_PYTHON, writeConfig } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase } from '../helpers/fault-case.js';

const CASE_TIMEOUT_MS = 120_000;
const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/** A project whose tests each hold `sizes[kind]` MiB for 2 s, in one "dist": "memory" chunk of `workers` workers. */
function project(sizes: Record<string, number>, workers: number, memoryLimit: string, retryOnOom = 0): string {
  const suite = `import time

import pytest

SIZES = ${JSON.stringify(sizes)}


@pytest.mark.parametrize("kind", list(SIZES))
def test_sized(kind):
    held = b"x" * (SIZES[kind] * 1024 * 1024)
    time.sleep(2.0)
    assert len(held) == SIZES[kind] * 1024 * 1024
`;
  const dir = makeProject({ 'tests/test_sized.py': suite, 'pytest.ini': '[pytest]\n' });
  projects.push(dir);
  writeConfig(dir, { python: VENV_PYTHON, chunks: [{ name: 'sized', paths: ['tests'], workers, dist: 'memory', memoryLimit, sampleInterval: '50ms', timeout: '2m', retryOnOom }] });
  return dir;
}

const CHILD_SUITE = `import subprocess
import sys
import time

# The child grows 40 MiB every 0.1 s, to 1 GiB: memory no test's own process holds.
GROW = "import time\\nheld = []\\nfor _ in range(25):\\n    held.append(b'x' * (40 * 1024 * 1024))\\n    time.sleep(0.1)\\ntime.sleep(30)"


def test_a_child_holds_the_memory():
    child = subprocess.Popen([sys.executable, "-c", GROW])
    try:
        time.sleep(4)
    finally:
        child.kill()
        child.wait()


def test_b_light():
    pass


def test_c_grows_a_little():
    held = b"x" * (100 * 1024 * 1024)
    time.sleep(4)
    assert held


def test_d_light():
    pass
`;

faultCase(
  'memory',
  '"dist": "memory": the chunk crosses its memoryLimit, the worker whose test grew is stopped, and the memory keeps growing where no test\'s own process holds it (a child process): the chunk is stopped whole',
  async (r) => {
    const dir = makeProject({ 'tests/test_child.py': CHILD_SUITE, 'pytest.ini': '[pytest]\n' });
    projects.push(dir);
    writeConfig(dir, { python: VENV_PYTHON, chunks: [{ name: 'sized', paths: ['tests'], workers: 2, dist: 'memory', memoryLimit: '450MiB', sampleInterval: '50ms', timeout: '2m', retryOnOom: 0 }] });
    const result = await runCli([], { cwd: dir });
    const chunk = chunkOf(readReport(dir), 'sized');
    const output = result.stdout + result.stderr;
    r.outcomeOf(result.exitCode, chunk.status);
    r.did(`stopped one worker, then the chunk: ${chunk.message}`);
    assert.match(output, /stopped xdist worker gw\d \(pid \d+\), running tests\/test_child\.py::test_c_grows_a_little/);
    r.held('first only the worker of the test whose own process grew was stopped');
    assert.equal(chunk.status, 'memory-limit', output);
    // Whether the worker's stop brought it under for a sample or two (then the next crossing has no
    // grown test to stop) or not at all (then the message says so) depends on timing; either way the chunk is stopped.
    assert.match(chunk.message, /^stopped by run-chunks: its process tree's memory \(\w+\) reached .* over its memoryLimit of 450 MiB/);
    assert.equal(result.exitCode, 3);
    r.held('then the whole chunk: status memory-limit, exit 3');
    checkNoLeftovers(r, result.tag);
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCase(
  'memory',
  '"dist": "memory": the chunk is over its memoryLimit but no running test\'s process grew (the memory is elsewhere): the chunk is stopped whole',
  async (r) => {
    // The memory is taken at import, in every process (controller and workers), before any test
    // starts: no test's own growth is evidence, so no worker is singled out.
    const dir = project({ a: 0, b: 0 }, 2, '300MiB');
    writeFileSync(path.join(dir, 'tests', 'conftest.py'), 'BALLAST = b"x" * (120 * 1024 * 1024)\n');
    const result = await runCli([], { cwd: dir });
    const chunk = chunkOf(readReport(dir), 'sized');
    const output = result.stdout + result.stderr;
    r.outcomeOf(result.exitCode, chunk.status);
    r.did(chunk.message);
    assert.doesNotMatch(output, /stopped xdist worker/);
    assert.equal(chunk.status, 'memory-limit', output);
    assert.equal(result.exitCode, 3);
    r.held('no worker was singled out without evidence; the chunk was stopped: memory-limit, exit 3');
    checkNoLeftovers(r, result.tag);
  },
  { timeout: CASE_TIMEOUT_MS },
);
