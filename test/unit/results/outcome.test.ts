import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHUNK_STATUSES, compareSeverity, decideRunOutcome, type ChunkStatus } from '../../../src/results/outcome.js';

const chunk = (status: ChunkStatus, required = true, allowEmpty = false) => ({ status, required, allowEmpty });

test('exit codes: 0 all required passed, 1 tests failed, 3 killed or broken, 130 interrupted', () => {
  assert.deepEqual(decideRunOutcome([chunk('passed'), chunk('passed')], false), { status: 'passed', exitCode: 0 });
  assert.deepEqual(decideRunOutcome([chunk('passed'), chunk('failed')], false), { status: 'failed', exitCode: 1 });
  for (const status of ['timeout', 'oom', 'crashed', 'error', 'no-tests'] as const)
    assert.deepEqual(decideRunOutcome([chunk('failed'), chunk(status)], false), { status: 'error', exitCode: 3 }, status);
  assert.deepEqual(decideRunOutcome([chunk('oom'), chunk('skipped')], true), { status: 'interrupted', exitCode: 130 });
});

test('non-required chunks and allowed empty chunks never fail the run', () => {
  assert.deepEqual(decideRunOutcome([chunk('passed'), chunk('oom', false), chunk('failed', false)], false), { status: 'passed', exitCode: 0 });
  assert.deepEqual(decideRunOutcome([chunk('no-tests', true, true)], false), { status: 'passed', exitCode: 0 });
});

test('severity order is written once: passed is mildest, interrupted most severe', () => {
  assert.equal(CHUNK_STATUSES[0], 'passed');
  assert.equal(CHUNK_STATUSES.at(-1), 'interrupted');
  assert.ok(compareSeverity('failed', 'oom') < 0);
  assert.ok(compareSeverity('timeout', 'failed') > 0);
  assert.equal(compareSeverity('error', 'error'), 0);
});
