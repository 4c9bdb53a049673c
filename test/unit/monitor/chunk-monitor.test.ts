import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimatePss } from '../../../src/monitor/chunk-monitor.js';
import type { MemorySample } from '../../../src/monitor/sample-types.js';
import { bucketMaxima } from '../../../src/util/bucket-maxima.js';

const sample = (rssBytes: number, pssBytes: number | null = null): MemorySample => ({
  t: 0, rssBytes, pssBytes, processes: 1, threads: 1, fds: null, cpuPercent: 0, gpuBytes: null,
});

test('PSS between detail reads: the last PSS moved by the change in RSS, never above RSS', () => {
  assert.equal(estimatePss(sample(500, 450), { pssBytes: 1, rssBytes: 1 }), 450, 'a measured PSS is used as is');
  assert.equal(estimatePss(sample(100), undefined), 100, 'no PSS yet: RSS');
  // 200 MB of shared pages counted once in PSS; 300 MB allocated since is private.
  assert.equal(estimatePss(sample(1_000), { pssBytes: 500, rssBytes: 700 }), 800);
  assert.equal(estimatePss(sample(300), { pssBytes: 500, rssBytes: 700 }), 100);
  assert.equal(estimatePss(sample(100), { pssBytes: 50, rssBytes: 700 }), 0);
  assert.equal(estimatePss(sample(100), { pssBytes: 100, rssBytes: 100 }), 100);
});

test('downsampling keeps every bucket\'s maximum', () => {
  assert.deepEqual(bucketMaxima([1, 2, 3], 5), [1, 2, 3]);
  assert.deepEqual(bucketMaxima([1, 9, 1, 1, 2, 1, 1, 1], 4), [9, 1, 2, 1]);
  assert.equal(bucketMaxima(Array.from({ length: 1000 }, (_, i) => (i === 777 ? 50 : 1)), 32).filter((v) => v === 50).length, 1);
});
