import assert from 'node:assert/strict';
import { test } from 'node:test';
import { areShardsOfOneChunk, combineShards } from '../../../src/merge/combine-shards.js';
import { mergeRunReports, type MergeOptions } from '../../../src/merge/merge-reports.js';
import type { ChunkReport } from '../../../src/results/report-types.js';
import { UserError } from '../../../src/util/user-error.js';
import { chunkReport, memory, runReport } from './report-fixtures.js';

const OPTIONS: MergeOptions = { reportDir: '/merged', runId: 'merged-run', version: '0.1.0', failOnLeak: false };

function shard(index: number, count: number, overrides: Partial<ChunkReport> = {}): ChunkReport {
  return chunkReport('unit', { shard: { index, count, tests: 2, collected: 2 * count }, allowEmpty: true, logFile: `/ci/${index}/unit/output.log`, ...overrides });
}

test('the shards of one chunk (--shard I/N on N machines) merge into one chunk entry, judged by its worst shard', () => {
  const first = shard(1, 2, { startedAt: '2026-05-01T10:00:05.000Z', durationMs: 3000, memory: memory(500), warnings: ['low memory at start'] });
  const second = shard(2, 2, {
    status: 'failed',
    message: '1 test failed',
    exitCode: 1,
    startedAt: '2026-05-01T10:00:01.000Z',
    durationMs: 2000,
    tests: { total: 2, passed: 1, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 },
    memory: memory(900),
    topRetainedTests: [{ nodeid: 't::big', rssDeltaBytes: 400, rssEndBytes: 900, gpuDeltaBytes: null, worker: 'gw1' }],
  });
  const merged = mergeRunReports([runReport([chunkReport('other'), second], { runId: 'job-2' }), runReport([first], { runId: 'job-1' })], OPTIONS);
  assert.deepEqual(
    merged.chunks.map((chunk) => chunk.name),
    ['other', 'unit'],
  );
  const unit = merged.chunks[1]!;
  assert.equal(unit.status, 'failed');
  assert.equal(unit.message, 'shard 2/2: 1 test failed (2 of 2 shards merged)');
  assert.equal(unit.exitCode, 1);
  assert.equal(unit.logFile, '/ci/2/unit/output.log');
  assert.deepEqual(unit.tests, { total: 4, passed: 3, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
  assert.equal(unit.startedAt, '2026-05-01T10:00:01.000Z');
  assert.equal(unit.durationMs, 3000, 'shards run side by side: the longest one');
  assert.equal(unit.memory?.peakRssBytes, 900);
  assert.equal(unit.topRetainedTests.length, 1);
  assert.equal(unit.shard, null);
  assert.deepEqual(unit.warnings, ['shard 1/2: low memory at start']);
  assert.deepEqual({ status: merged.status, exitCode: merged.exitCode }, { status: 'failed', exitCode: 1 });
});

test('an empty shard does not make the chunk no-tests; a leak in any shard still counts with --fail-on-leak', () => {
  const empty = shard(1, 2, { status: 'no-tests', exitCode: 5, tests: { total: 0, passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 }, memory: memory(100, { verdict: 'leak', verdictReason: 'grew 50%' }) });
  const full = shard(2, 2, { memory: memory(800) });
  const combined = combineShards([full, empty]);
  assert.equal(combined.status, 'passed');
  assert.equal(combined.memory?.peakRssBytes, 800);
  assert.equal(combined.memory?.verdict, 'leak');
  assert.equal(combined.memory?.verdictReason, 'shard 1/2: grew 50%');
  const merged = mergeRunReports([runReport([empty]), runReport([full], { runId: 'job-2' })], { ...OPTIONS, failOnLeak: true });
  assert.deepEqual({ status: merged.status, exitCode: merged.exitCode }, { status: 'failed', exitCode: 1 });
});

test('shards missing from the split are named in a warning; the same shard twice is an error', () => {
  const combined = combineShards([shard(1, 4), shard(3, 4)]);
  assert.match(combined.warnings[0]!, /Only 2 of 4 shards were merged: the tests of shard 2, 4 are missing\./);
  // Both merged shards passed, but the tests of two shards were never seen: not green.
  assert.equal(combined.status, 'error');
  assert.match(combined.message, /^only 2 of 4 shards were merged: shard 2, 4 has no report/);
  assert.equal(areShardsOfOneChunk([shard(1, 2), shard(1, 2)]), false);
  assert.equal(areShardsOfOneChunk([shard(1, 2), shard(2, 3)]), false);
  assert.equal(areShardsOfOneChunk([shard(1, 2), chunkReport('unit')]), false);
  assert.throws(() => mergeRunReports([runReport([shard(1, 2)]), runReport([shard(1, 2)], { runId: 'again' })], OPTIONS), UserError);
});

test('a combined entry lists each shard\'s own figures (start, duration, peak, log), as its machine recorded them', () => {
  const first = shard(1, 2, { startedAt: '2026-05-01T10:00:05.000Z', durationMs: 3000, memory: memory(500) });
  const second = shard(2, 2, { startedAt: '2026-05-01T10:00:01.000Z', durationMs: 2000, memory: memory(900) });
  const combined = combineShards([second, first]);
  assert.deepEqual(combined.mergedShards, [
    { index: 1, count: 2, status: 'passed', message: first.message, startedAt: '2026-05-01T10:00:05.000Z', durationMs: 3000, peakRssBytes: first.memory!.peakRssBytes, logFile: '/ci/1/unit/output.log' },
    { index: 2, count: 2, status: 'passed', message: second.message, startedAt: '2026-05-01T10:00:01.000Z', durationMs: 2000, peakRssBytes: second.memory!.peakRssBytes, logFile: '/ci/2/unit/output.log' },
  ]);
  assert.equal(combined.status, 'passed');
});
