import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPercent, formatSignedPercent } from '../../../src/util/format-percent.js';

test('percentages carry as many digits as they can: two decimals below 10, one below 100, whole from 100', () => {
  const cases: [percent: number, text: string][] = [
    [0.4, '0.4%'],
    [6.25, '6.25%'],
    [6.2549, '6.25%'],
    [14.93, '14.9%'],
    [382.14159, '382%'],
    [99.96, '100%'],
    [0.001, '0%'],
    [-0.001, '0%'],
    [-12.34, '-12.3%'],
  ];
  for (const [percent, text] of cases) assert.equal(formatPercent(percent), text, String(percent));
});

test('a growth carries its sign; a figure that rounds to zero carries none', () => {
  assert.equal(formatSignedPercent(382.14159), '+382%');
  assert.equal(formatSignedPercent(4.2), '+4.2%');
  assert.equal(formatSignedPercent(-33.46), '-33.5%');
  assert.equal(formatSignedPercent(0.0001), '0%');
  assert.equal(formatSignedPercent(0), '0%');
});
