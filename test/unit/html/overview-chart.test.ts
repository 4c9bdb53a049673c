import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunksOverlap, machineTotalSeries, renderOverview, spansOf } from '../../../src/html/overview-chart.js';
import { runReport } from '../ci/ci-fixtures.js';
import { chunkData, MIB, samples } from './html-fixtures.js';

test('chunksOverlap: only chunks that ran at the same time overlap', () => {
  assert.equal(chunksOverlap([{ startMs: 0, endMs: 10 }, { startMs: 10, endMs: 20 }]), false);
  assert.equal(chunksOverlap([{ startMs: 30, endMs: 40 }, { startMs: 0, endMs: 35 }]), true);
  assert.equal(chunksOverlap([]), false);
});

test('the machine total adds the memory of chunks that ran at the same time, on the run clock', () => {
  const report = runReport([], { startedAt: '2026-05-01T10:00:00.000Z', durationMs: 10_000 });
  const flat = (rssMib: number) => samples(11, 500, () => rssMib * MIB);
  const chunks = [
    chunkData('a', { startedAt: '2026-05-01T10:00:00.000Z', durationMs: 5000 }, { samples: flat(100) }),
    chunkData('b', { startedAt: '2026-05-01T10:00:03.000Z', durationMs: 5000 }, { samples: flat(200) }),
  ];
  const spans = spansOf(report, chunks);
  assert.deepEqual(spans.map((span) => [span.startMs, span.endMs]), [[0, 5000], [3000, 8000]]);
  const series = machineTotalSeries(spans, 10_000, 100);
  const at = (ms: number) => series.find((point) => Math.abs(point.t - ms) < 50)!.value / MIB;
  assert.equal(at(1050), 100);
  assert.equal(at(4050), 300);
  assert.equal(at(6050), 200);
  assert.equal(at(9050), 0);
  const svg = renderOverview(report, chunks).text;
  assert.match(svg, /<svg class="chart machine-total"/);
  assert.match(svg, /\(sum of the chunks' sampled RSS; highest 300 MiB\)/);
  // Merged CI jobs overlap in time on separate machines: nothing to add up.
  const merged = renderOverview(report, chunks, true).text;
  assert.doesNotMatch(merged, /machine-total/);
  assert.match(merged, /The chunks ran on separate machines \(a merged run\): their memory did not add up\./);
});

test('chunks run one after another get no machine total; a chunk that never started gets a row saying so', () => {
  const report = runReport([], { durationMs: 10_000 });
  const chunks = [chunkData('a', { durationMs: 1000 }), chunkData('never', { startedAt: null, status: 'skipped' }, { samples: [] })];
  const svg = renderOverview(report, chunks).text;
  assert.doesNotMatch(svg, /machine-total/);
  assert.match(svg, /never started \(skipped\)/);
  assert.equal((svg.match(/<g class="bar status-/g) ?? []).length, 1);
});
