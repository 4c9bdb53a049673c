import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesMarkerExpression } from '../../../src/init/match-marker-expression.js';

const has = (...names: string[]): Set<string> => new Set(names);

test('pytest -m precedence: not binds tighter than and, and tighter than or', () => {
  // "a or b and not c" is "a or (b and (not c))".
  assert.equal(matchesMarkerExpression('a or b and not c', has('a', 'c')), true);
  assert.equal(matchesMarkerExpression('a or b and not c', has('b', 'c')), false);
  assert.equal(matchesMarkerExpression('a or b and not c', has('b')), true);
  assert.equal(matchesMarkerExpression('not not a', has('a')), true);
});

test('parentheses group; a name matches when the test carries that marker', () => {
  const expression = 'unit and not (memory_intensive or integration or slow)';
  assert.equal(matchesMarkerExpression(expression, has('unit')), true);
  assert.equal(matchesMarkerExpression(expression, has('unit', 'slow')), false);
  assert.equal(matchesMarkerExpression(expression, has('memory_intensive')), false);
  assert.equal(matchesMarkerExpression('(a or b) and c', has('b', 'c')), true);
  assert.equal(matchesMarkerExpression('(a or b) and c', has('a')), false);
  assert.equal(matchesMarkerExpression('unit', has('Unit')), false, 'names are compared exactly, as pytest does');
});

test('a malformed expression is an error, never a silent answer', () => {
  for (const expression of ['', 'a and', '(a or b', 'a b', 'and a', 'a or )', 'a $ b'])
    assert.throws(() => matchesMarkerExpression(expression, has('a')), Error, expression);
});
