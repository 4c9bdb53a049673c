import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  allowedGrowthPercent,
  analyzeLeak,
  DEFAULT_LEAK_THRESHOLDS,
  fitLine,
  onlyGrows,
  type LeakThresholds,
  type MemoryPoint,
} from '../../../src/monitor/leak-verdict.js';

const MB = 1_000_000;
const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;

/** Samples `bytesAt` every `stepMs` from 0 to `durationMs` inclusive, as a monitor would. */
function sampleTimeline(durationMs: number, stepMs: number, bytesAt: (tMs: number) => number): MemoryPoint[] {
  const points: MemoryPoint[] = [];
  for (let tMs = 0; tMs <= durationMs; tMs += stepMs) points.push({ tMs, bytes: bytesAt(tMs) });
  return points;
}

/** 0 before `fromMs`, 1 after `toMs`, linear in between: a rise that then stops. */
function rampShare(tMs: number, fromMs: number, toMs: number): number {
  return Math.min(1, Math.max(0, (tMs - fromMs) / (toMs - fromMs)));
}

function withThresholds(overrides: Partial<LeakThresholds>): LeakThresholds {
  return { ...DEFAULT_LEAK_THRESHOLDS, ...overrides };
}

describe('DEFAULT_LEAK_THRESHOLDS', () => {
  test('scale growth with duration, allow 1 MB/s and skip 5 s of warm-up', () => {
    assert.deepEqual(DEFAULT_LEAK_THRESHOLDS, { maxGrowthPercent: undefined, maxSlopeBytesPerSec: 1_000_000, warmupMs: 5000 });
  });
});

describe('allowedGrowthPercent', () => {
  const cases: [durationMs: number, percent: number][] = [
    [0, 5],
    [30 * SECOND_MS, 5],
    [1 * MINUTE_MS, 5],
    [3 * MINUTE_MS, 7.5],
    [5 * MINUTE_MS, 10],
    [7.5 * MINUTE_MS, 12.5],
    [10 * MINUTE_MS, 15],
    [60 * MINUTE_MS, 15],
  ];
  for (const [durationMs, percent] of cases) {
    test(`${durationMs / SECOND_MS} s allows ${percent}%`, () => {
      assert.ok(Math.abs(allowedGrowthPercent(durationMs) - percent) < 1e-9, `got ${allowedGrowthPercent(durationMs)}`);
    });
  }

  test('never decreases with duration', () => {
    let previous = 0;
    for (let durationMs = 0; durationMs <= 20 * MINUTE_MS; durationMs += 5 * SECOND_MS) {
      const percent = allowedGrowthPercent(durationMs);
      assert.ok(percent >= previous, `${durationMs} ms allows ${percent}% < ${previous}%`);
      previous = percent;
    }
  });
});

describe('fitLine', () => {
  test('recovers an exact line', () => {
    const points = sampleTimeline(10 * SECOND_MS, 100, (tMs) => 100 * MB + 20 * MB * (tMs / SECOND_MS));
    const line = fitLine(points);
    assert.ok(Math.abs(line.slopeBytesPerMs - 20_000) < 1e-6);
    assert.ok(Math.abs(line.interceptBytes - 100 * MB) < 1e-3);
  });

  test('stays exact with hour-long times and gigabyte values', () => {
    const points = sampleTimeline(60 * MINUTE_MS, SECOND_MS, (tMs) => 8_000 * MB + 0.25 * tMs);
    const line = fitLine(points);
    assert.ok(Math.abs(line.slopeBytesPerMs - 0.25) < 1e-9);
    assert.ok(Math.abs(line.interceptBytes - 8_000 * MB) < 1);
  });

  test('fits the least-squares line through scattered points', () => {
    // Points (0,1), (1,3), (2,2): slope 0.5, intercept 1.5.
    const line = fitLine([
      { tMs: 0, bytes: 1 },
      { tMs: 1, bytes: 3 },
      { tMs: 2, bytes: 2 },
    ]);
    assert.equal(line.slopeBytesPerMs, 0.5);
    assert.equal(line.interceptBytes, 1.5);
  });

  test('is flat through the mean when time does not vary', () => {
    assert.deepEqual(fitLine([{ tMs: 5, bytes: 10 }]), { slopeBytesPerMs: 0, interceptBytes: 10 });
    assert.deepEqual(
      fitLine([
        { tMs: 5, bytes: 10 },
        { tMs: 5, bytes: 30 },
      ]),
      { slopeBytesPerMs: 0, interceptBytes: 20 },
    );
    assert.deepEqual(fitLine([]), { slopeBytesPerMs: 0, interceptBytes: 0 });
  });
});

describe('analyzeLeak', () => {
  test('linear growth of 20 MB/s over 10 s from 100 MB is a leak', () => {
    const points = sampleTimeline(10 * SECOND_MS, 100, (tMs) => 100 * MB + 20 * MB * (tMs / SECOND_MS));
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.equal(analysis.verdict, 'leak');
    assert.ok(Math.abs(analysis.slopeBytesPerSec! - 20 * MB) < 1);
    // A 10 s run keeps its last 8 s (warm-up is capped at 20% of the span): 160 MB over 140 MB.
    assert.equal(analysis.analysedSamples, 81);
    assert.ok(Math.abs(analysis.growthPercent! - (160 / 140) * 100) < 1e-6);
    assert.equal(analysis.allowedGrowthPercent, 5);
    assert.equal(analysis.plateaued, false);
    assert.equal(analysis.reason, 'memory grew 114% (allowed 5%) at 19.1 MiB/s and was still growing at the end');
  });

  // 100 MB → 200 MB between 5 s and 20 s, then flat for the remaining 100 s of a 2-minute run.
  // Growth on the fitted line is ~21%, well over the 6.25% a 2-minute run may grow, but the last
  // third is flat: that is a cache filling up once, so it is worth a warning, not a leak verdict.
  test('a large rise that then stays flat is a warning, because it levelled off', () => {
    const points = sampleTimeline(2 * MINUTE_MS, 500, (tMs) => 100 * MB + 100 * MB * rampShare(tMs, 5_000, 20_000));
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.equal(analysis.verdict, 'warning');
    assert.equal(analysis.plateaued, true);
    assert.equal(analysis.allowedGrowthPercent, 6.25);
    assert.ok(analysis.growthPercent! > 15 && analysis.growthPercent! < 25, `growth ${analysis.growthPercent}`);
    assert.ok(analysis.slopeBytesPerSec! < DEFAULT_LEAK_THRESHOLDS.maxSlopeBytesPerSec);
    assert.equal(analysis.reason, 'memory grew 20.9% (allowed 6.25%) but levelled off');
  });

  test('a steep rise that levelled off is still a warning, not a leak', () => {
    // 300 MB in 15 s makes the whole slope 3.7 MB/s, but the last half is flat: not sustained.
    const points = sampleTimeline(MINUTE_MS, 500, (tMs) => 100 * MB + 300 * MB * rampShare(tMs, 5_000, 20_000));
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.ok(analysis.slopeBytesPerSec! > DEFAULT_LEAK_THRESHOLDS.maxSlopeBytesPerSec);
    assert.equal(analysis.plateaued, true);
    assert.equal(analysis.verdict, 'warning');
  });

  // The same shape with a 3 MB rise stays near 1% growth, inside the allowance: nothing to report.
  test('a small rise that then stays flat is stable, because growth is within the allowance', () => {
    const points = sampleTimeline(2 * MINUTE_MS, 500, (tMs) => 100 * MB + 3 * MB * rampShare(tMs, 5_000, 20_000));
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.equal(analysis.verdict, 'stable');
    assert.ok(analysis.growthPercent! < analysis.allowedGrowthPercent);
    assert.equal(analysis.reason, 'memory grew 1.07% over 115 s, within the 6.25% allowed');
  });

  test('a plateau seen through fewer than 6 samples cannot be trusted, so large growth is a leak', () => {
    // Sampled every 5 s, the last third of the window holds only 4 points.
    const points = sampleTimeline(MINUTE_MS, 5_000, (tMs) => 100 * MB + 100 * MB * rampShare(tMs, 5_000, 20_000));
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.equal(analysis.plateaued, false);
    assert.equal(analysis.verdict, 'leak');
  });

  test('an allocate-and-free sawtooth (100 MB base, +200 MB spikes every second) is stable', () => {
    // Whatever the spikes' phase and length, the fitted line stays flat where raw endpoints would not.
    for (const phaseMs of [0, 100, 250, 500, 700, 900]) {
      for (const spikeMs of [100, 300, 500]) {
        const points = sampleTimeline(MINUTE_MS, 100, (tMs) => 100 * MB + ((tMs + phaseMs) % 1000 < spikeMs ? 200 * MB : 0));
        const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
        const label = `phase ${phaseMs} ms, spike ${spikeMs} ms: ${analysis.reason}`;
        assert.equal(analysis.verdict, 'stable', label);
        assert.ok(Math.abs(analysis.growthPercent!) < 3, label);
        assert.ok(Math.abs(analysis.slopeBytesPerSec!) < 0.1 * MB, label);
      }
    }
  });

  test('a sawtooth whose last sample is a spike is still stable', () => {
    // Raw endpoints would read this as 200% growth.
    const points = sampleTimeline(MINUTE_MS, 100, (tMs) => 100 * MB + (tMs % 1000 === 0 ? 200 * MB : 0));
    assert.equal(points.at(-1)!.bytes, 300 * MB);
    assert.equal(analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS).verdict, 'stable');
  });

  // 0.5 MB/s on 2 GB for 10 minutes: under the 1 MB/s slope limit, and 14.9% growth on the fitted
  // line against the 15% a 10-minute run may grow. Close to the line, but below both thresholds.
  test('slow growth of 0.5 MB/s on 2 GB over 10 minutes is stable', () => {
    const points = sampleTimeline(10 * MINUTE_MS, SECOND_MS, (tMs) => 2_000 * MB + 0.5 * MB * (tMs / SECOND_MS));
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.equal(analysis.verdict, 'stable');
    assert.equal(analysis.allowedGrowthPercent, 15);
    assert.ok(Math.abs(analysis.slopeBytesPerSec! - 0.5 * MB) < 1e-3);
    assert.ok(analysis.growthPercent! > 14 && analysis.growthPercent! < 15, `growth ${analysis.growthPercent}`);
    assert.equal(analysis.reason, 'memory grew 14.9% over 595 s, within the 15% allowed');
  });

  test('an explicit maxGrowthPercent replaces the duration-based allowance', () => {
    const slowGrowth = sampleTimeline(10 * MINUTE_MS, SECOND_MS, (tMs) => 2_000 * MB + 0.5 * MB * (tMs / SECOND_MS));
    const strict = analyzeLeak(slowGrowth, withThresholds({ maxGrowthPercent: 10 }));
    assert.equal(strict.allowedGrowthPercent, 10);
    assert.equal(strict.verdict, 'leak');
    assert.equal(strict.reason, 'memory grew 14.9% (allowed 10%) at 488 KiB/s and was still growing at the end');

    const plateau = sampleTimeline(2 * MINUTE_MS, 500, (tMs) => 100 * MB + 100 * MB * rampShare(tMs, 5_000, 20_000));
    const lenient = analyzeLeak(plateau, withThresholds({ maxGrowthPercent: 25 }));
    assert.equal(lenient.allowedGrowthPercent, 25);
    assert.equal(lenient.verdict, 'stable');
  });

  test('a sustained slope over the limit is a leak even when growth is within the allowance', () => {
    // 2 MB/s on 10 GB is only 1.1% in a minute, but it never stops.
    const points = sampleTimeline(MINUTE_MS, 500, (tMs) => 10_000 * MB + 2 * MB * (tMs / SECOND_MS));
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.ok(analysis.growthPercent! < analysis.allowedGrowthPercent);
    assert.equal(analysis.verdict, 'leak');
    assert.equal(analysis.reason, 'memory kept growing at 1.91 MiB/s (limit 977 KiB/s) to the end: +1.1% over 55 s');
  });

  // Seen on attrs: an xdist controller gathering reports grew 4.4 MB in 2 s, "leak" by the slope rule.
  test('a steep slope that adds under 16 MiB in all is stable, and says why', () => {
    const points = sampleTimeline(3 * SECOND_MS, 100, (tMs) => 180 * MB + 2.2 * MB * (tMs / SECOND_MS));
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.ok(analysis.slopeBytesPerSec! > DEFAULT_LEAK_THRESHOLDS.maxSlopeBytesPerSec);
    assert.equal(analysis.verdict, 'stable');
    assert.match(analysis.reason, /^memory grew 5\.\d+ MiB \(\+\d\.\d+% over 2\.\d s, at 2\.\d+ MiB\/s\), under the 16 MiB that count$/);
  });

  test('a slope over the limit that stops before the last half is a warning', () => {
    const points = sampleTimeline(MINUTE_MS, 500, (tMs) => 10_000 * MB + 80 * MB * rampShare(tMs, 5_000, 25_000));
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.ok(analysis.slopeBytesPerSec! > DEFAULT_LEAK_THRESHOLDS.maxSlopeBytesPerSec);
    assert.ok(analysis.growthPercent! < analysis.allowedGrowthPercent);
    assert.equal(analysis.verdict, 'warning');
    assert.equal(analysis.reason, 'memory grew at 1.15 MiB/s (limit 977 KiB/s) but slowed down: +0.66% over 55 s');
  });

  test('a raised slope limit lets a steady climb pass when growth is within the allowance', () => {
    const points = sampleTimeline(MINUTE_MS, 500, (tMs) => 10_000 * MB + 2 * MB * (tMs / SECOND_MS));
    assert.equal(analyzeLeak(points, withThresholds({ maxSlopeBytesPerSec: 5 * MB })).verdict, 'stable');
  });

  test('flat memory is stable and says so', () => {
    const points = sampleTimeline(MINUTE_MS, 500, () => 300 * MB);
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.equal(analysis.verdict, 'stable');
    assert.equal(analysis.slopeBytesPerSec, 0);
    assert.equal(analysis.growthPercent, 0);
    assert.equal(analysis.plateaued, false);
    assert.equal(analysis.reason, 'flat: 0% over 55 s');
  });

  test('a tiny rise reads as flat with its percentage', () => {
    const points = sampleTimeline(MINUTE_MS, 500, (tMs) => 500 * MB + 0.04 * MB * (tMs / SECOND_MS));
    assert.equal(analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS).reason, 'flat: +0.44% over 55 s');
  });

  test('shrinking memory is stable', () => {
    const points = sampleTimeline(MINUTE_MS, 500, (tMs) => 500 * MB - 1 * MB * (tMs / SECOND_MS));
    const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
    assert.equal(analysis.verdict, 'stable');
    assert.equal(analysis.plateaued, false);
    assert.equal(analysis.reason, 'memory shrank 11.1% over 55 s');
  });

  describe('short runs', () => {
    const unknownCases: [name: string, points: MemoryPoint[], analysedSamples: number, reason: string][] = [
      ['no samples', [], 0, 'too short to judge (0 samples over 0 s)'],
      ['one sample', [{ tMs: 0, bytes: 100 * MB }], 1, 'too short to judge (1 sample over 0 s)'],
      // 0.9 s: warm-up takes 20% of it, leaving 8 samples over 0.7 s.
      ['a 0.9 s run', sampleTimeline(900, 100, () => 100 * MB), 8, 'too short to judge (8 samples over 0.7 s)'],
      // Exactly 1 s of run still leaves only 0.8 s once 20% is set aside as warm-up.
      ['a 1 s run', sampleTimeline(SECOND_MS, 100, () => 100 * MB), 9, 'too short to judge (9 samples over 0.8 s)'],
      // Long enough, but with 10 s between samples only 2 remain after warm-up.
      ['three samples over 20 s', sampleTimeline(20 * SECOND_MS, 10 * SECOND_MS, () => 100 * MB), 2, 'too short to judge (2 samples over 10 s)'],
      // Enough time, but the four samples left after warm-up make any slope a guess.
      ['five samples over 40 s', sampleTimeline(40 * SECOND_MS, 10 * SECOND_MS, () => 100 * MB), 4, 'too short to judge (4 samples over 30 s)'],
    ];
    for (const [name, points, analysedSamples, reason] of unknownCases) {
      test(`${name} is unknown`, () => {
        assert.deepEqual(analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS), {
          verdict: 'unknown',
          slopeBytesPerSec: null,
          growthPercent: null,
          allowedGrowthPercent: 5,
          plateaued: null,
          analysedSamples,
          reason,
        });
      });
    }

    test('even a steep climb is unknown when too short to judge', () => {
      const points = sampleTimeline(800, 100, (tMs) => 100 * MB + 100 * MB * (tMs / SECOND_MS));
      assert.equal(analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS).verdict, 'unknown');
    });

    test('a 2 s run is judged on its last 80%', () => {
      const points = sampleTimeline(2 * SECOND_MS, 100, () => 100 * MB);
      const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
      assert.equal(analysis.verdict, 'stable');
      assert.equal(analysis.analysedSamples, 17);
    });
  });

  describe('warm-up', () => {
    const loadThenFlat = (tMs: number): number => (tMs < 5_000 ? 100 * MB + 400 * MB * (tMs / 5_000) : 500 * MB);

    test('a big rise only in the first 5 s, then flat, is stable', () => {
      const points = sampleTimeline(MINUTE_MS, 500, loadThenFlat);
      const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
      assert.equal(analysis.verdict, 'stable');
      assert.equal(analysis.growthPercent, 0);
      // 121 samples, of which the 10 before 5 s are warm-up.
      assert.equal(analysis.analysedSamples, 111);
    });

    test('the same rise counts when warm-up is switched off', () => {
      const points = sampleTimeline(MINUTE_MS, 500, loadThenFlat);
      const analysis = analyzeLeak(points, withThresholds({ warmupMs: 0 }));
      assert.equal(analysis.analysedSamples, 121);
      assert.notEqual(analysis.verdict, 'stable');
    });

    test('in a 10 s run only 2 s are warm-up, so a rise until 5 s is judged', () => {
      const points = sampleTimeline(10 * SECOND_MS, 100, loadThenFlat);
      const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
      assert.equal(analysis.analysedSamples, 81);
      assert.equal(analysis.verdict, 'warning');
      assert.equal(analysis.plateaued, true);
    });

    test('warm-up counts from the chunk start, not from the first sample', () => {
      // Sampling began 3 s in: only the samples before 5 s are dropped.
      const points = sampleTimeline(MINUTE_MS, 500, () => 100 * MB).map((point) => ({ ...point, tMs: point.tMs + 3_000 }));
      const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
      assert.equal(analysis.analysedSamples, 117);
      // The allowance follows how long the chunk ran (63 s), not the window.
      assert.equal(analysis.allowedGrowthPercent, allowedGrowthPercent(63_000));
    });
  });

  test('points out of order give the same result as sorted ones', () => {
    const points = sampleTimeline(10 * SECOND_MS, 100, (tMs) => 100 * MB + 20 * MB * (tMs / SECOND_MS));
    const shuffled = [...points].reverse();
    assert.deepEqual(analyzeLeak(shuffled, DEFAULT_LEAK_THRESHOLDS), analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS));
    assert.equal(shuffled[0]!.tMs, 10 * SECOND_MS, 'the caller’s array is left alone');
  });
});

describe('onlyGrows', () => {
  const cases: [values: number[], grows: boolean][] = [
    [[12, 14, 16, 18, 20, 22], true],
    [[12, 12, 13, 13, 14], true],
    [[12, 13], true],
    [[12, 12, 12], false],
    [[12, 14, 13, 15], false],
    [[20, 18, 16], false],
    [[12, 14, 14, 12], false],
    [[12], false],
    [[], false],
  ];
  for (const [values, grows] of cases) {
    test(`[${values.join(', ')}] ${grows ? 'only grows' : 'does not only grow'}`, () => {
      assert.equal(onlyGrows(values), grows);
    });
  }
});

test('memory released in the last moments (a test returning, teardown) is not a plateau: still a leak', () => {
  // 100 MB growing 80 MB/s for 6 s, then everything freed in the last half second.
  const points = [];
  for (let tMs = 0; tMs <= 6000; tMs += 200) points.push({ tMs, bytes: 100e6 + 80e3 * tMs });
  points.push({ tMs: 6200, bytes: 110e6 }, { tMs: 6400, bytes: 105e6 });
  const analysis = analyzeLeak(points, DEFAULT_LEAK_THRESHOLDS);
  assert.equal(analysis.verdict, 'leak', analysis.reason);
});
