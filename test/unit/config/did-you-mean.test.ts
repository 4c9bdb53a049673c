import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { didYouMean, findClosestName } from '../../../src/config/did-you-mean.js';

const CHUNK_KEYS = ['name', 'description', 'markers', 'paths', 'keyword', 'args', 'workers', 'dist', 'timeout'];
const DIST_MODES = ['load', 'loadscope', 'loadfile', 'loadgroup', 'worksteal', 'each', 'no'];

describe('findClosestName', () => {
  test('finds the name a one-letter typo was meant to be', () => {
    assert.equal(findClosestName('marker', CHUNK_KEYS), 'markers');
    assert.equal(findClosestName('wokers', CHUNK_KEYS), 'workers');
    assert.equal(findClosestName('loadscop', DIST_MODES), 'loadscope');
  });

  test('ignores case, and returns the known spelling', () => {
    assert.equal(findClosestName('Workers', CHUNK_KEYS), 'workers');
    assert.equal(findClosestName('unit', ['Unit_Fast', 'UNIT']), 'UNIT');
  });

  test('tolerates more typos in longer names', () => {
    // Tolerance is a third of the input's length, rounded up: 3 edits for 7 to 9 letters, 2 for 4 to 6.
    assert.equal(findClosestName('descrptn', CHUNK_KEYS), 'description');
    assert.equal(findClosestName('dscrptn', CHUNK_KEYS), undefined);
    assert.equal(findClosestName('wrkrs', CHUNK_KEYS), 'workers');
    assert.equal(findClosestName('ab', ['abc']), 'abc');
  });

  test('returns undefined when nothing is close', () => {
    assert.equal(findClosestName('frobnicate', CHUNK_KEYS), undefined);
    assert.equal(findClosestName('fast', DIST_MODES), undefined);
    assert.equal(findClosestName('xyz', ['abc']), undefined);
  });

  test('returns undefined when there are no names to choose from', () => {
    assert.equal(findClosestName('anything', []), undefined);
  });

  test('on a tie, the first known name wins', () => {
    assert.equal(findClosestName('ab', ['ac', 'ad']), 'ac');
  });
});

describe('didYouMean', () => {
  test('gives a sentence, with a leading space, naming the closest name', () => {
    assert.equal(didYouMean('marker', CHUNK_KEYS), ' Did you mean "markers"?');
  });

  test('gives an empty string when nothing is close', () => {
    assert.equal(didYouMean('frobnicate', CHUNK_KEYS), '');
  });
});
