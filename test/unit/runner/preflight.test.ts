import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { ChunkPlan } from '../../../src/plan/types.js';
import { createPreflight } from '../../../src/runner/preflight.js';

/** A stand-in interpreter that counts its runs and reports pytest present, xdist as told. */
function fakePython(xdist: boolean): { python: string; runs: () => number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-preflight-'));
  const counter = path.join(dir, 'runs');
  writeFileSync(counter, '');
  const python = path.join(dir, 'python');
  writeFileSync(python, `#!/bin/sh\necho run >> ${counter}\necho '{"pytest": true, "xdist": ${xdist}}'\n`);
  chmodSync(python, 0o755);
  return { python, runs: () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
}

function plan(name: string, python: string, env: Record<string, string>, workers = 1): ChunkPlan {
  return { name, runner: 'pytest', python, cwd: tmpdir(), env, workers, needsXdist: workers > 1 } as ChunkPlan;
}

test('one probe serves every chunk whose environment differs only in run-chunks\' own variables', async () => {
  const { python, runs } = fakePython(true);
  const preflight = createPreflight();
  for (const name of ['a', 'b', 'c']) {
    assert.equal((await preflight(plan(name, python, { PYTHONPATH: '/plugin', RUN_CHUNKS_CHUNK: name, RUN_CHUNKS_EVENTS_FILE: `/r/${name}/events.jsonl` }))).kind, 'ready');
  }
  assert.equal(runs(), 1);
  // A variable of the user's own can change what imports: that is probed again.
  await preflight(plan('d', python, { PYTHONPATH: '/other' }));
  assert.equal(runs(), 2);
});

test('a chunk asking for workers without xdist gets the install hint', async () => {
  const { python } = fakePython(false);
  const verdict = await createPreflight()(plan('w', python, {}, 2));
  assert.equal(verdict.kind, 'problem');
  assert.match(verdict.kind === 'problem' ? verdict.message : '', /asks for 2 workers, but pytest-xdist is not installed .* -m pip install pytest-xdist/);
});

test('with xdist importable, a one-worker pytest chunk is given -n 0; without it, no -n at all', async () => {
  const pytest = { python: 'py', testPaths: ['tests'], markers: undefined, keyword: undefined, dist: undefined, args: [], passthroughArgs: [], withEventPlugin: false };
  for (const xdist of [true, false]) {
    const { python } = fakePython(xdist);
    const onePlan = { ...plan('one', python, {}), pytest: { ...pytest, python }, junitPath: '/r/one/junit.xml', argv: [python, '-m', 'pytest', 'tests'] };
    const verdict = await createPreflight()(onePlan);
    assert.equal(verdict.kind, 'ready');
    const argv = verdict.kind === 'ready' ? verdict.plan.argv : [];
    assert.equal(argv.join(' ').includes('-n 0'), xdist, argv.join(' '));
    // Rebuilt from the invocation when xdist is there; left as planned when it is not.
    assert.equal(argv.at(-1), xdist ? '--junitxml=/r/one/junit.xml' : 'tests');
  }
});

test('an interpreter that hangs at start-up is stopped with its group after the probe timeout, or at once when aborted', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-preflight-'));
  const python = path.join(dir, 'python');
  // The wrapper's child (sleep) is what would be orphaned if only the direct child were killed.
  writeFileSync(python, `#!/bin/sh\necho starting up\nsleep 600\n`);
  chmodSync(python, 0o755);
  const controller = new AbortController();
  const pending = createPreflight(controller.signal)(plan('h', python, {}));
  setTimeout(() => controller.abort(), 300);
  const started = Date.now();
  assert.deepEqual(await pending, { kind: 'interrupted' });
  assert.ok(Date.now() - started < 5_000, 'the abort stopped the probe promptly');
});
