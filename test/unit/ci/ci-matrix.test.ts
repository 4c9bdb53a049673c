import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { buildMatrix, DEFAULT_JOB_TIMEOUT_MINUTES, formatMatrix, SETUP_MARGIN_MINUTES, type MatrixEntry } from '../../../src/ci/ci-matrix.js';
import type { RunChunksConfig } from '../../../src/config/types.js';
import { createPlans } from '../../../src/plan/create-plans.js';
import type { PlanOptions } from '../../../src/plan/types.js';
import { UserError } from '../../../src/util/user-error.js';

const OPTIONS: PlanOptions = { selectedChunks: [], noParallel: false, reportDir: '/reports', passthroughArgs: [], python: '/venv/bin/python' };

function plansOf(config: RunChunksConfig) {
  return createPlans({ config, configPath: '/project/chunks.config.json', configDir: '/project' }, OPTIONS);
}

test('the job timeout is the chunk timeout (and its grace period) rounded up, plus the setup margin', () => {
  const [entry] = buildMatrix(plansOf({ chunks: [{ name: 'unit', timeout: '20m', gracePeriod: '30s', retryOnOom: 0, workers: 4, description: 'Fast ones' }] }));
  assert.deepEqual(entry, { name: 'unit', required: true, timeoutMinutes: 21 + SETUP_MARGIN_MINUTES, workers: 4, description: 'Fast ones' });
});

test('OOM recovery rounds count: each runs the blamed test alone and then the rest, each under the timeout', () => {
  const [entry] = buildMatrix(plansOf({ chunks: [{ name: 'stress', timeout: '10m', gracePeriod: '0s', retryOnOom: 1 }] }));
  assert.equal(entry!.timeoutMinutes, 3 * 10 + SETUP_MARGIN_MINUTES);
  const [command] = buildMatrix(plansOf({ runner: 'command', chunks: [{ name: 'c', command: ['make'], timeout: '10m', gracePeriod: '0s', retryOnOom: 2 }] }));
  assert.equal(command!.timeoutMinutes, 10 + SETUP_MARGIN_MINUTES, 'command chunks are never re-run');
});

test('without a timeout: twice the p95 from history plus the margin, else the default; the config timeout wins over history', () => {
  const plans = plansOf({ chunks: [{ name: 'known' }, { name: 'new', required: false }, { name: 'timed', timeout: '5m', gracePeriod: '0s', retryOnOom: 0 }] });
  const entries = buildMatrix(plans, new Map([['known', 7.5 * 60_000], ['timed', 60 * 60_000]]));
  assert.deepEqual(
    entries.map((entry) => [entry.name, entry.required, entry.timeoutMinutes, entry.description]),
    [
      ['known', true, 15 + SETUP_MARGIN_MINUTES, null],
      ['new', false, DEFAULT_JOB_TIMEOUT_MINUTES, null],
      ['timed', true, 5 + SETUP_MARGIN_MINUTES, null],
    ],
  );
});

const ENTRIES: MatrixEntry[] = [
  { name: 'unit_fast', required: true, timeoutMinutes: 25, workers: 4, description: 'Quick "unit" tests: no GPU' },
  { name: 'true', required: false, timeoutMinutes: 60, workers: 1, description: null },
  { name: '1.0', required: true, timeoutMinutes: 12, workers: 2, description: null },
];

test('github: one line of JSON with an include list; a null description is left out', () => {
  const text = formatMatrix(ENTRIES, 'github');
  assert.ok(!text.includes('\n'), 'a $GITHUB_OUTPUT value must be one line');
  assert.deepEqual(JSON.parse(text), {
    include: [
      { name: 'unit_fast', required: true, timeoutMinutes: 25, workers: 4, description: 'Quick "unit" tests: no GPU' },
      { name: 'true', required: false, timeoutMinutes: 60, workers: 1 },
      { name: '1.0', required: true, timeoutMinutes: 12, workers: 2 },
    ],
  });
});

test('gitlab: a parallel:matrix block whose values all read back as strings, even names like "true" and "1.0"', () => {
  const parsed: unknown = parse(formatMatrix(ENTRIES, 'gitlab'));
  assert.deepEqual(parsed, {
    parallel: {
      matrix: [
        { RUN_CHUNKS_CHUNK: 'unit_fast', RUN_CHUNKS_REQUIRED: 'true', RUN_CHUNKS_TIMEOUT_MINUTES: '25', RUN_CHUNKS_WORKERS: '4' },
        { RUN_CHUNKS_CHUNK: 'true', RUN_CHUNKS_REQUIRED: 'false', RUN_CHUNKS_TIMEOUT_MINUTES: '60', RUN_CHUNKS_WORKERS: '1' },
        { RUN_CHUNKS_CHUNK: '1.0', RUN_CHUNKS_REQUIRED: 'true', RUN_CHUNKS_TIMEOUT_MINUTES: '12', RUN_CHUNKS_WORKERS: '2' },
      ],
    },
  });
  // GitLab reads YAML 1.1, where a bare `true` or `yes` would be a boolean.
  const parsed11: unknown = parse(formatMatrix(ENTRIES, 'gitlab'), { version: '1.1' });
  assert.equal((parsed11 as { parallel: { matrix: { RUN_CHUNKS_CHUNK: unknown }[] } }).parallel.matrix[1]!.RUN_CHUNKS_CHUNK, 'true');
});

test('a matrix past the CI job limit is a UserError that names the limit', () => {
  const many = Array.from({ length: 257 }, (_, index): MatrixEntry => ({ name: `c${index}`, required: true, timeoutMinutes: 10, workers: 1, description: null }));
  assert.throws(() => formatMatrix(many, 'github'), (error: unknown) => error instanceof UserError && /at most 256 jobs/.test(error.message));
  assert.throws(() => formatMatrix(many.slice(0, 201), 'gitlab'), (error: unknown) => error instanceof UserError && /at most 200 jobs/.test(error.message));
  assert.doesNotThrow(() => formatMatrix(many.slice(0, 200), 'gitlab'));
});
