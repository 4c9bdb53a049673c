import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findHistoryProblem } from '../../../src/history/validate-history.js';

test('a foreign schemaVersion is quoted, cut short: the problem stays one readable sentence', () => {
  // Found by the parser properties (test/faults): the whole value went into the warning, however big.
  const problem = findHistoryProblem({ schemaVersion: { notes: 'x'.repeat(10_000) }, testIds: [], runs: [] });
  assert.equal(problem, `has schemaVersion {"notes":"${'x'.repeat(30)}…, and this run-chunks reads only version 1`);
  assert.equal(findHistoryProblem({ testIds: [], runs: [] }), 'has schemaVersion missing, and this run-chunks reads only version 1');
  assert.equal(findHistoryProblem({ schemaVersion: 2, testIds: [], runs: [] }), 'has schemaVersion 2, and this run-chunks reads only version 1');
});
