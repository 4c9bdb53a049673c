import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Outcome } from '../../../src/results/classify-outcome.js';
import { judgeMissingJunit } from '../../../src/results/missing-junit.js';

const PASSED: Outcome = { status: 'passed', message: 'all selected tests passed' };
const PROBLEM = '/r/c/junit.xml does not exist';

test('exit 0 without the JUnit file: a required chunk is an error naming the file (its message is the evidence, no warning besides)', () => {
  const { outcome, warning } = judgeMissingJunit(PASSED, PROBLEM, true, 'junit');
  assert.equal(outcome.status, 'error');
  assert.match(outcome.message, /^the command exited 0, but its JUnit file \/r\/c\/junit\.xml does not exist: without it there is no evidence that its tests ran; make the command write it there/);
  assert.equal(warning, undefined);
  // The fix fits how the path was given.
  assert.match(judgeMissingJunit(PASSED, PROBLEM, true, 'placeholder').outcome.message, /write its JUnit XML to the path it is given for "\{junit\}", or take "\{junit\}" out of its command$/);
});

test('exit 0 without the JUnit file: a chunk that is not required keeps "passed" and gets the warning', () => {
  const { outcome, warning } = judgeMissingJunit(PASSED, PROBLEM, false, 'junit');
  assert.deepEqual(outcome, PASSED);
  assert.match(warning!, /does not exist, so its tests are not in junit\.xml/);
});

test('a file that was read, or any status but passed, is left as it is', () => {
  assert.deepEqual(judgeMissingJunit(PASSED, undefined, true, 'junit'), { outcome: PASSED, warning: undefined });
  for (const status of ['failed', 'timeout', 'killed', 'error'] as const) {
    const outcome: Outcome = { status, message: 'as it was' };
    assert.deepEqual(judgeMissingJunit(outcome, PROBLEM, true, 'placeholder'), { outcome, warning: undefined });
  }
});
