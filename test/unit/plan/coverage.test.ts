import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeCoverage, markerNames, restSelection } from '../../../src/plan/coverage.js';

test('marker names in -m expressions', () => {
  assert.deepEqual(markerNames('unit and not (slow or gpu)'), ['unit', 'slow', 'gpu']);
  assert.deepEqual(markerNames('device(kind="cuda") and not flaky'), ['device', 'flaky']);
  assert.deepEqual(markerNames('not slow and not slow'), ['slow']);
});

test('orphans, overlaps and unknown markers', () => {
  const universe = ['a::1', 'a::2', 'b::1', 'c::1'];
  const report = analyzeCoverage(
    universe,
    new Map([
      ['unit', ['a::1', 'a::2']],
      ['integration', ['a::2', 'b::1']],
    ]),
    new Map([
      ['unit', 'unit and not slow'],
      ['integration', 'integraton'],
    ]),
    new Set(['unit', 'slow', 'integration']),
  );
  assert.deepEqual(report.orphans, ['c::1']);
  assert.deepEqual(report.overlaps, [{ nodeid: 'a::2', chunks: ['unit', 'integration'] }]);
  assert.deepEqual(report.unknownMarkers, [{ chunk: 'integration', marker: 'integraton' }]);
});

test('a rest chunk takes every test no other chunk selects', () => {
  assert.deepEqual(restSelection(['a', 'b', 'c', 'd'], [['a'], ['c', 'a']]), ['b', 'd']);
});
