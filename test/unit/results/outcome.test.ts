import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHUNK_STATUSES, compareSeverity, decideRunOutcome, type ChunkStatus } from '../../../src/results/outcome.js';

const chunk = (status: ChunkStatus, required = true, allowEmpty = false, leaked = false) => ({ status, required, allowEmpty, leaked });

test('exit codes: 0 all required passed, 1 tests failed, 3 killed or broken, 130 interrupted', () => {
  assert.deepEqual(decideRunOutcome([chunk('passed'), chunk('passed')], false), { status: 'passed', exitCode: 0 });
  assert.deepEqual(decideRunOutcome([chunk('passed'), chunk('failed')], false), { status: 'failed', exitCode: 1 });
  for (const status of ['timeout', 'oom', 'crashed', 'error', 'no-tests', 'memory-limit', 'gpu-memory-limit'] as const)
    assert.deepEqual(decideRunOutcome([chunk('failed'), chunk(status)], false), { status: 'error', exitCode: 3 }, status);
  assert.deepEqual(decideRunOutcome([chunk('oom'), chunk('skipped')], true), { status: 'interrupted', exitCode: 130 });
});

test('non-required chunks and allowed empty chunks never fail the run', () => {
  assert.deepEqual(decideRunOutcome([chunk('passed'), chunk('oom', false), chunk('failed', false)], false), { status: 'passed', exitCode: 0 });
  assert.deepEqual(decideRunOutcome([chunk('no-tests', true, true)], false), { status: 'passed', exitCode: 0 });
});

test('--fail-on-leak turns a required chunk\'s leak verdict into a failed run; without it a leak passes', () => {
  assert.deepEqual(decideRunOutcome([chunk('passed', true, false, true)], false, true), { status: 'failed', exitCode: 1 });
  assert.deepEqual(decideRunOutcome([chunk('passed', true, false, true)], false, false), { status: 'passed', exitCode: 0 });
  assert.deepEqual(decideRunOutcome([chunk('passed', false, false, true)], false, true), { status: 'passed', exitCode: 0 });
  assert.deepEqual(decideRunOutcome([chunk('memory-limit'), chunk('passed', true, false, true)], false, true), { status: 'error', exitCode: 3 });
});

test('severity order is written once: passed is mildest, interrupted most severe', () => {
  assert.equal(CHUNK_STATUSES[0], 'passed');
  assert.equal(CHUNK_STATUSES.at(-1), 'interrupted');
  assert.ok(compareSeverity('failed', 'oom') < 0);
  assert.ok(compareSeverity('timeout', 'failed') > 0);
  assert.equal(compareSeverity('error', 'error'), 0);
});
