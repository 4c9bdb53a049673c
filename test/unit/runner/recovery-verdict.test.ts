import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Outcome } from '../../../src/results/classify-outcome.js';
import { bareRecord, type BlamedTest, type TestRecord } from '../../../src/results/test-records.js';
import { judgeAlone, settleOutcome, type AttemptView, type SettleInput } from '../../../src/runner/recovery-verdict.js';

const ID = 'tests/t.py::test_hog';

function record(outcome: TestRecord['outcome'], message: string | null = null, attempt = 2, nodeid = ID): TestRecord {
  return { ...bareRecord(nodeid, outcome, message ?? '', attempt), message };
}

function alone(outcome: Outcome, records: TestRecord[], extra: Partial<AttemptView> = {}): AttemptView {
  return { outcome, records, collected: records.length, diedUnder: [], blamed: [], ...extra };
}

function blame(reason: BlamedTest['reason'], evidence: string): BlamedTest {
  return { nodeid: ID, reason, evidence, worker: null, chunkRssBytes: null, rssGrowthBytes: null, verdict: null };
}

test('judgeAlone: only a passed run alone is oom-flaky; every other ending has its own verdict and status', () => {
  const cases: [string, AttemptView, string, string | undefined][] = [
    ['passed', alone({ status: 'passed', message: 'ok' }, [record('passed')]), 'oom-flaky', undefined],
    ['skipped', alone({ status: 'passed', message: 'ok' }, [record('skipped', 'no gpu')]), 'skipped-alone', undefined],
    // Ended alone on its own, unkilled, with outcomes pytest counts as passing.
    ['xfailed', alone({ status: 'passed', message: 'ok' }, [record('xfailed', 'xfail: known bug')]), 'oom-flaky', undefined],
    ['xpassed', alone({ status: 'passed', message: 'ok' }, [record('xpassed', 'xfail: maybe fixed')]), 'oom-flaky', undefined],
    ['killed again', alone({ status: 'memory-limit', message: 'over' }, [record('killed')]), 'oom-deterministic', 'memory-limit'],
    ['SIGKILLed again', alone({ status: 'oom', message: 'sigkill' }, [record('killed')]), 'oom-deterministic', 'oom'],
    ['failed', alone({ status: 'failed', message: 'some tests failed' }, [record('failed', 'AssertionError')]), 'failed-alone', 'failed'],
    ['errored', alone({ status: 'failed', message: 'some tests failed' }, [record('error', 'error in setup')]), 'failed-alone', 'failed'],
    ['segfaulted', alone({ status: 'crashed', message: 'killed by signal SIGSEGV' }, [record('killed')]), 'crashed-alone', 'crashed'],
    ['timed out', alone({ status: 'timeout', message: 'stopped' }, [record('killed')]), 'timeout-alone', 'timeout'],
    ['interrupted', alone({ status: 'interrupted', message: 'stopped' }, [record('killed')]), 'interrupted-alone', 'interrupted'],
    [
      'exited',
      alone({ status: 'crashed', message: 'exit 0' }, [record('crashed', 'the process exited with code 0')], { blamed: [blame('exited', 'the process exited with code 0')], diedUnder: [ID] }),
      'exited-alone',
      'crashed',
    ],
    ['not selected', alone({ status: 'no-tests', message: 'no tests' }, [], { collected: 0 }), 'not-selected', 'error'],
    ['no result at all, exit 0', alone({ status: 'passed', message: 'ok' }, [], { collected: 1 }), 'crashed-alone', 'crashed'],
  ];
  for (const [what, view, verdict, status] of cases) {
    const judged = judgeAlone(view, ID);
    assert.equal(judged.verdict, verdict, what);
    assert.equal(judged.outcome?.status, status, what);
    if (judged.outcome) assert.ok(judged.outcome.message.startsWith(ID), `${what}: the message names the test`);
  }
});

function settle(input: Partial<SettleInput>): Outcome | undefined {
  return settleOutcome({
    attemptOutcomes: new Map([[1, { status: 'memory-limit', message: 'over' }], [2, { status: 'memory-limit', message: 'over' }], [3, { status: 'passed', message: 'ok' }]]),
    recovered: true,
    verdictOutcomes: [],
    lastRun: { status: 'passed', message: 'ok' },
    records: [],
    judged: new Set(),
    notRun: 0,
    cutShort: false,
    ...input,
  });
}

test('settleOutcome: green only when every test passed or was skipped', () => {
  assert.equal(settle({ records: [record('passed'), record('skipped', 'x', 3, 'b')] }), undefined);
  assert.equal(settle({ records: [record('xfailed', 'xfail: bug', 3, 'a'), record('xpassed', 'xfail: fixed', 3, 'b')] }), undefined, 'xfailed and xpassed are green');
  assert.equal(settle({ records: [record('passed'), record('failed', 'x', 3, 'b')] })?.status, 'failed');
  // A test left killed by attempt 2 (a kill for memory) and never re-run keeps that status.
  assert.equal(settle({ records: [record('killed', 'stopped', 2, 'b')] })?.status, 'memory-limit');
  // A crashed record from an attempt that exited 0 is still not green.
  assert.equal(settle({ records: [record('crashed', 'exited', 3, 'b')] })?.status, 'crashed');
  assert.equal(settle({ records: [record('passed')], notRun: 2 })?.status, 'error');
  assert.equal(settle({ records: [record('passed')], cutShort: true })?.status, 'interrupted');
  assert.equal(settle({ lastRun: { status: 'error', message: 'pytest hit an internal error (exit 3)' } })?.status, 'error');
});

test('settleOutcome: a judged test counts through its verdict only, and the worst verdict wins', () => {
  const verdictOutcomes: Outcome[] = [
    { status: 'failed', message: 'a failed when run alone' },
    { status: 'memory-limit', message: 'b was killed again when run alone' },
  ];
  const settled = settle({ verdictOutcomes, records: [record('killed', 'x', 2, ID)], judged: new Set([ID]) });
  assert.deepEqual(settled, verdictOutcomes[1]);
  assert.equal(settle({ records: [record('killed', 'x', 2, ID)], judged: new Set([ID]) }), undefined, 'a cleared test (no verdict outcome) leaves it green');
});

test('settleOutcome without recovery keeps the first run\'s outcome, and never calls exited tests green', () => {
  const first: Outcome = { status: 'failed', message: 'some tests failed' };
  assert.deepEqual(settle({ recovered: false, lastRun: first, records: [record('failed', 'x', 1)] }), first);
  assert.equal(settle({ recovered: false, lastRun: { status: 'passed', message: 'all passed' }, records: [record('passed', null, 1)] }), undefined, 'green');
  const exitedZero = new Map([[1, { status: 'passed' as const, message: 'all selected tests passed' }]]);
  assert.equal(settle({ recovered: false, attemptOutcomes: exitedZero, lastRun: exitedZero.get(1)!, records: [record('crashed', 'exited', 1)] })?.status, 'crashed');
});
