import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBesideLimit, formatBytes, formatDecimalBytes, formatLimit, isDecimalSize, parseSizeBytes, parseSizeMagnitude, parseSizeSpec, resolveSizeBytes } from '../../../src/config/parse-size.js';

const KIB = 1024;
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

describe('parseSizeBytes', () => {
  const valid: [text: string, bytes: number][] = [
    ['4GB', 4e9],
    ['512MiB', 512 * MIB],
    ['1.5GiB', 1.5 * GIB],
    ['300MB', 300e6],
    ['300 MB', 300e6],
    ['2TB', 2e12],
    ['64kB', 64_000],
    ['64KB', 64_000],
    ['64KiB', 64 * KIB],
    ['1024B', 1024],
    ['3TiB', 3 * 1024 ** 4],
    // Kubernetes spellings: bare letters are decimal, "i" makes them binary.
    ['500M', 500e6],
    ['2G', 2e9],
    ['64K', 64_000],
    ['1T', 1e12],
    ['128Mi', 128 * MIB],
    ['2Gi', 2 * GIB],
    ['8Ki', 8 * KIB],
    ['1Ti', 1024 ** 4],
    // Units are case-insensitive, and "b" is always bytes (nobody sizes RAM in bits).
    ['4gb', 4e9],
    ['512mib', 512 * MIB],
    ['1024b', 1024],
    ['4Gb', 4e9],
    [' 4GB ', 4e9],
    // Rounded to whole bytes.
    ['1.5B', 2],
    ['0.1KiB', 102],
    // Zero parses; whether zero makes sense is for the caller to say.
    ['0MB', 0],
  ];
  for (const [text, bytes] of valid) {
    test(`${JSON.stringify(text)} is ${bytes} bytes`, () => {
      assert.equal(parseSizeBytes(text), bytes);
    });
  }

  const invalid = [
    '',
    // A bare number is ambiguous (bytes? megabytes?), so it is refused rather than guessed.
    '4096',
    '1.5',
    '-1GB',
    '-0MB',
    'GB',
    '4 G B',
    '4GBs',
    '4XB',
    '4iB',
    '4 gigabytes',
    '.5GB',
    '5.GB',
    '1,000MB',
    '1e3MB',
    '60%',
    // Beyond 2^53 bytes whole bytes are no longer exact; such a figure is a typo.
    '99999TB',
    '10PB',
  ];
  for (const text of invalid) {
    test(`${JSON.stringify(text)} is not a size`, () => {
      assert.equal(parseSizeBytes(text), undefined);
    });
  }
});

describe('parseSizeSpec', () => {
  const valid: [text: string, spec: ReturnType<typeof parseSizeSpec>][] = [
    ['60%', { kind: 'percent', percent: 60 }],
    ['12.5%', { kind: 'percent', percent: 12.5 }],
    ['100%', { kind: 'percent', percent: 100 }],
    [' 60 % ', { kind: 'percent', percent: 60 }],
    ['0.5%', { kind: 'percent', percent: 0.5 }],
    ['4GB', { kind: 'bytes', bytes: 4e9 }],
    ['2Gi', { kind: 'bytes', bytes: 2 * GIB }],
    ['0MB', { kind: 'bytes', bytes: 0 }],
  ];
  for (const [text, spec] of valid) {
    test(`${JSON.stringify(text)} parses`, () => {
      assert.deepEqual(parseSizeSpec(text), spec);
    });
  }

  const invalid = ['0%', '100.5%', '150%', '-10%', '%', '60', '60%%', '%60', 'sixty%', '4096'];
  for (const text of invalid) {
    test(`${JSON.stringify(text)} is not a size spec`, () => {
      assert.equal(parseSizeSpec(text), undefined);
    });
  }
});

describe('resolveSizeBytes', () => {
  test('an absolute size ignores the total', () => {
    assert.equal(resolveSizeBytes({ kind: 'bytes', bytes: 4e9 }, 64 * GIB), 4e9);
  });

  test('a percentage is taken of the total, in whole bytes', () => {
    assert.equal(resolveSizeBytes({ kind: 'percent', percent: 50 }, 64 * GIB), 32 * GIB);
    assert.equal(resolveSizeBytes({ kind: 'percent', percent: 100 }, 1000), 1000);
    assert.equal(resolveSizeBytes({ kind: 'percent', percent: 33.3 }, 1000), 333);
    assert.equal(resolveSizeBytes({ kind: 'percent', percent: 60 }, 1001), 601);
  });
});

describe('formatBytes', () => {
  const cases: [bytes: number, text: string][] = [
    [0, '0 B'],
    [900, '900 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [512 * MIB, '512 MiB'],
    [1.5 * GIB, '1.5 GiB'],
    [1.2345 * GIB, '1.23 GiB'],
    [12.345 * MIB, '12.3 MiB'],
    [123.45 * MIB, '123 MiB'],
    [4e9, '3.73 GiB'],
    [2 * 1024 ** 4, '2 TiB'],
    // Rounding that reaches 1024 moves up a unit instead of printing "1024 KiB".
    [1023.9 * KIB, '1 MiB'],
    [1023.6, '1 KiB'],
    // Fractions of a byte (averages, slopes) are rounded.
    [12.4, '12 B'],
    [-12 * MIB, '-12 MiB'],
    [-1.5 * KIB, '-1.5 KiB'],
    // A value that rounds to zero does not keep a lone minus sign.
    [-0.3, '0 B'],
  ];
  for (const [bytes, text] of cases) {
    test(`${bytes} bytes is "${text}"`, () => {
      assert.equal(formatBytes(bytes), text);
    });
  }
});

describe('parseSizeMagnitude', () => {
  test('names the amount even where whole bytes are no longer exact, so "too large" can be told apart', () => {
    assert.equal(parseSizeMagnitude('10PB'), 1e16);
    assert.equal(parseSizeMagnitude('1PiB'), 1024 ** 5);
    assert.equal(parseSizeMagnitude(`${'9'.repeat(400)}GB`), Infinity);
  });

  test('is undefined for text that is not written as a size', () => {
    for (const text of ['1e400GB', '-1GB', '4 gigs', '60%']) assert.equal(parseSizeMagnitude(text), undefined);
  });
});

describe('limits shown in the units they were written in', () => {
  const shown: [written: string, text: string][] = [
    ['3GB', '3 GB'],
    ['1.5GB', '1.5 GB'],
    ['2G', '2 GB'],
    ['500M', '500 MB'],
    ['400MB', '400 MB'],
    ['8000MB', '8 GB'],
    ['64kB', '64 kB'],
    ['2.5TB', '2.5 TB'],
    ['4GiB', '4 GiB'],
    ['512MiB', '512 MiB'],
    ['1.5GiB', '1.5 GiB'],
    ['2Gi', '2 GiB'],
    // A multiple of both: the larger unit decides (1000 MiB is no multiple of 1 MB; 1024kB is 1000 KiB exactly).
    ['1000MiB', '1000 MiB'],
    ['1024kB', '1000 KiB'],
    ['999B', '999 B'],
  ];
  for (const [written, text] of shown) {
    test(`a limit of ${JSON.stringify(written)} shows as ${JSON.stringify(text)}`, () => {
      assert.equal(formatLimit(parseSizeBytes(written)!), text);
    });
  }

  test('isDecimalSize: only exact multiples of a decimal unit larger than any binary unit they are a multiple of', () => {
    assert.equal(isDecimalSize(3e9), true);
    assert.equal(isDecimalSize(2e9), true, '2e9 is a multiple of 1 KiB too, but of 1 GB, the larger unit');
    assert.equal(isDecimalSize(4 * GIB), false);
    assert.equal(isDecimalSize(3e9 + 1), false);
    assert.equal(isDecimalSize(0), false);
    assert.equal(isDecimalSize(-3e9), false);
    assert.equal(isDecimalSize(1.5), false);
  });

  test('formatDecimalBytes keeps three significant digits, like formatBytes', () => {
    assert.equal(formatDecimalBytes(2_794_000_000), '2.79 GB');
    assert.equal(formatDecimalBytes(999), '999 B');
    assert.equal(formatDecimalBytes(999_600), '1 MB');
    assert.equal(formatDecimalBytes(-12e6), '-12 MB');
    assert.equal(formatDecimalBytes(0), '0 B');
  });

  test('a figure beside a limit takes the limit\'s units, so the two compare at a glance', () => {
    assert.equal(formatBesideLimit(2.9e9, 3e9), '2.9 GB');
    assert.equal(formatBesideLimit(2.9e9, 4 * GIB), '2.7 GiB');
    assert.equal(formatBesideLimit(2.9e9, null), '2.7 GiB');
  });
});
