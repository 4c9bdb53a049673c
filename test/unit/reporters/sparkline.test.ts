import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderSparkline } from '../../../src/reporters/sparkline.js';

describe('renderSparkline', () => {
  test('an empty series renders nothing', () => {
    assert.equal(renderSparkline([]), '');
  });

  test('a flat series renders the lowest bar throughout', () => {
    assert.equal(renderSparkline([5, 5, 5, 5]), '▁▁▁▁');
    assert.equal(renderSparkline(Array<number>(100).fill(7)), '▁'.repeat(16));
  });

  test('a single value is one lowest bar', () => {
    assert.equal(renderSparkline([42]), '▁');
  });

  test('a rising series climbs from the lowest to the highest bar', () => {
    assert.equal(renderSparkline([0, 1, 2, 3, 4, 5, 6, 7]), '▁▂▃▄▅▆▇█');
    assert.equal(renderSparkline([10, 20]), '▁█');
  });

  test('bars are scaled between the series minimum and maximum, not from zero', () => {
    assert.equal(renderSparkline([1000, 1007, 1000]), '▁█▁');
  });

  test('fewer values than the width render one bar each', () => {
    assert.equal([...renderSparkline([1, 2, 3])].length, 3);
    assert.equal([...renderSparkline([1, 2, 3], 10)].length, 3);
  });

  test('a long series is downsampled to the default width of 16', () => {
    const rising = Array.from({ length: 160 }, (_, index) => index);
    const line = renderSparkline(rising);
    assert.equal([...line].length, 16);
    assert.equal(line[0], '▁');
    assert.equal(line.at(-1), '█');
  });

  test('a custom width is honoured', () => {
    const rising = Array.from({ length: 100 }, (_, index) => index);
    assert.equal([...renderSparkline(rising, 8)].length, 8);
    assert.equal(renderSparkline(rising, 0), '');
  });

  test('a one-sample peak survives downsampling', () => {
    // 1000 samples into 16 buckets: an average would flatten this spike to nothing.
    const values = Array<number>(1000).fill(100);
    values[400] = 900;
    const line = renderSparkline(values);
    assert.equal([...line].length, 16);
    assert.equal([...line].filter((bar) => bar === '█').length, 1);
    assert.equal(line.replace('█', ''), '▁'.repeat(15));
    // Buckets hold 62 or 63 samples; sample 400 falls in the 7th (samples 375 to 436).
    assert.equal(line.indexOf('█'), 6);
  });

  test('a series too long for a spread argument list still renders', () => {
    const values = Array.from({ length: 500_000 }, (_, index) => index % 1000);
    assert.equal([...renderSparkline(values)].length, 16);
  });
});
