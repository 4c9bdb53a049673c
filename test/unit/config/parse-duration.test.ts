import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDurationMs, MAX_DURATION_MS, parseDurationMs } from '../../../src/config/parse-duration.js';

describe('parseDurationMs', () => {
  const valid: [text: string, durationMs: number][] = [
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5s', 1_500],
    ['2d', 172_800_000],
    ['1h2m3s4ms', 3_723_004],
    // People type "90S" or leave spaces around the value; neither changes its meaning.
    [' 90S ', 90_000],
    // Zero parses; it is the validator that rejects a zero timeout.
    ['0s', 0],
  ];
  for (const [text, durationMs] of valid) {
    test(`${JSON.stringify(text)} is ${durationMs}ms`, () => {
      assert.equal(parseDurationMs(text), durationMs);
    });
  }

  const invalid = ['', '10', '10 minutes', '-5s', 's', '1x', '1.5', '5.s', '1 h', '1h 30m', 'ms'];
  for (const text of invalid) {
    test(`${JSON.stringify(text)} is not a duration`, () => {
      assert.equal(parseDurationMs(text), undefined);
    });
  }

  test('the maximum is seven days, and "7d" is exactly it', () => {
    assert.equal(MAX_DURATION_MS, 7 * 24 * 3_600_000);
    assert.equal(parseDurationMs('7d'), MAX_DURATION_MS);
  });
});

describe('formatDurationMs', () => {
  const cases: [durationMs: number, text: string][] = [
    [0, '0ms'],
    [850, '850ms'],
    [1_000, '1.0s'],
    [12_300, '12.3s'],
    [60_000, '1m'],
    [600_000, '10m'],
    [245_000, '4m05s'],
    [3_600_000, '1h'],
    [3_720_000, '1h02m'],
    // Seconds are dropped once a duration reaches an hour.
    [3_725_000, '1h02m'],
    [90_000_000, '25h'],
  ];
  for (const [durationMs, text] of cases) {
    test(`${durationMs}ms is "${text}"`, () => {
      assert.equal(formatDurationMs(durationMs), text);
    });
  }

  // Known bug (reported): the unit is chosen before rounding, so values just under a unit
  // boundary round up to a figure the next unit should show.
  test('values just under a unit boundary use the larger unit', () => {
    assert.equal(formatDurationMs(999.6), '1.0s');
    assert.equal(formatDurationMs(59_999), '1m');
  });
});
