import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordToJunitCase } from '../../../src/results/records-to-junit.js';
import { bareRecord, type TestRecord } from '../../../src/results/test-records.js';

function passed(nodeid: string, overrides: Partial<TestRecord>): TestRecord {
  return { ...bareRecord(nodeid, 'passed', '', 1), message: null, durationMs: 40, worker: 'gw0', ...overrides };
}

test('a test case carries its peak with its source, its children\'s peak and its GPU peak as properties', () => {
  const exact = recordToJunitCase(
    passed('t.py::exact', { rssStartBytes: 100, rssEndBytes: 150, peakRssBytes: 900, peakRssSource: 'hwm', childPeakRssBytes: 4000, gpuPeakBytes: 7000 }),
  );
  assert.deepEqual(exact.properties, {
    rssDeltaBytes: 50,
    rssEndBytes: 150,
    peakRssBytes: 900,
    peakRssSource: 'hwm',
    childPeakRssBytes: 4000,
    gpuPeakBytes: 7000,
    worker: 'gw0',
  });
  const bound = recordToJunitCase(passed('t.py::bound', { rssStartBytes: 100, rssEndBytes: 150, peakRssBytes: 150, peakRssSource: 'start-end' }));
  assert.equal(bound.properties.peakRssSource, 'start-end');
  assert.equal(bound.properties.peakRssBytes, 150);
  assert.equal('childPeakRssBytes' in bound.properties, false);
  assert.equal('gpuPeakBytes' in bound.properties, false);
});

test('a peak without a source is left out: a reader could take it for exact', () => {
  const properties = recordToJunitCase(passed('t.py::odd', { peakRssBytes: 900, peakRssSource: null })).properties;
  assert.equal('peakRssBytes' in properties, false);
  assert.equal('peakRssSource' in properties, false);
  assert.deepEqual(recordToJunitCase(bareRecord('t.py::killed', 'killed', 'killed with its chunk', 1)).properties, {});
});
