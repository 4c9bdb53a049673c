import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CUT_LINE_MARKER, LinePrefixer, MAX_PENDING_CHARS } from '../../../src/reporters/line-prefixer.js';

test('prefixes whole lines and holds a partial line until it ends', () => {
  const prefixer = new LinePrefixer('[a] ');
  assert.equal(prefixer.push('one\ntw'), '[a] one\n');
  assert.equal(prefixer.push('o\nthree\n'), '[a] two\n[a] three\n');
  assert.equal(prefixer.push('tail'), '');
  assert.equal(prefixer.flush(), '[a] tail\n');
  assert.equal(prefixer.flush(), '');
});

test('empty lines are prefixed too', () => {
  assert.equal(new LinePrefixer('> ').push('\n\n'), '> \n> \n');
});

test('a line longer than MAX_PENDING_CHARS is written in marked pieces, and nothing of it is lost', () => {
  const prefixer = new LinePrefixer('[a] ');
  const line = 'x'.repeat(MAX_PENDING_CHARS * 3 + 100);
  let out = '';
  for (let offset = 0; offset < line.length; offset += 1000) out += prefixer.push(line.slice(offset, offset + 1000));
  out += prefixer.push('y\nnext\n');
  const lines = out.split('\n').slice(0, -1);
  assert.deepEqual(
    lines.map((piece) => piece.length),
    [4 + MAX_PENDING_CHARS + 1, 4 + 1 + MAX_PENDING_CHARS + 1, 4 + 1 + MAX_PENDING_CHARS + 1, 4 + 1 + 100 + 1, 4 + 4],
  );
  assert.ok(lines[0]!.endsWith(`x${CUT_LINE_MARKER}`) && lines[1]!.startsWith(`[a] ${CUT_LINE_MARKER}x`));
  assert.ok(lines[3]!.endsWith('xy'), 'the end of the long line joins the piece before its newline');
  assert.equal(lines[4], '[a] next');
  assert.equal(lines.map((piece) => piece.replace(/^\[a\] …?/, '').replace(/…$/, '')).slice(0, 4).join(''), `${line}y`);
});

test('an overlong partial line left at the end is flushed with its marker', () => {
  const prefixer = new LinePrefixer('> ');
  const first = prefixer.push('z'.repeat(MAX_PENDING_CHARS + 5));
  assert.equal(first, `> ${'z'.repeat(MAX_PENDING_CHARS)}${CUT_LINE_MARKER}\n`);
  assert.equal(prefixer.flush(), `> ${CUT_LINE_MARKER}zzzzz\n`);
});

test('40 MB without a newline in 64 KiB reads: every byte comes out, held never past the cap', () => {
  const prefixer = new LinePrefixer('> ');
  const piece = 'q'.repeat(64 * 1024);
  let chars = 0;
  for (let index = 0; index < 640; index += 1) chars += prefixer.push(piece).replace(/^> …?|…$/gm, '').replaceAll('\n', '').length;
  chars += prefixer.flush().replace(/^> …?|…$/gm, '').replaceAll('\n', '').length;
  assert.equal(chars, 640 * 64 * 1024);
});

// Fault case (CI, 2026-12-02): a 40 MB line came out in 610 pieces, one of them past the cap: the
// line's end arrived in the same read as its newline, joined to what was held, and was not cut.
test('a line that ends in the read that takes it past the cap is cut too', () => {
  const prefixer = new LinePrefixer('> ');
  assert.equal(prefixer.push('a'.repeat(MAX_PENDING_CHARS - 10)), '');
  const out = prefixer.push(`${'b'.repeat(MAX_PENDING_CHARS + 20)}\n`);
  const lines = out.split('\n').slice(0, -1);
  assert.ok(lines.every((line) => line.length <= 2 + 1 + MAX_PENDING_CHARS + 1), lines.map((line) => line.length).join(', '));
  assert.deepEqual(lines.map((line) => line.length), [2 + MAX_PENDING_CHARS + 1, 2 + 1 + MAX_PENDING_CHARS + 1, 2 + 1 + 10]);
  assert.equal(lines.map((line) => line.replace(/^> …?/, '').replace(/…$/, '')).join(''), `${'a'.repeat(MAX_PENDING_CHARS - 10)}${'b'.repeat(MAX_PENDING_CHARS + 20)}`);
});

test('a line of exactly the cap that ends is one piece, without a marker', () => {
  const prefixer = new LinePrefixer('> ');
  assert.equal(prefixer.push(`${'c'.repeat(MAX_PENDING_CHARS)}\nnext\n`), `> ${'c'.repeat(MAX_PENDING_CHARS)}\n> next\n`);
});

test('one read holding several overlong lines cuts each at the cap', () => {
  const prefixer = new LinePrefixer('> ');
  const out = prefixer.push(`${'d'.repeat(3 * MAX_PENDING_CHARS)}\n${'e'.repeat(MAX_PENDING_CHARS + 1)}\n`);
  const lines = out.split('\n').slice(0, -1);
  assert.deepEqual(lines.map((line) => line.length), [
    2 + MAX_PENDING_CHARS + 1, 2 + 1 + MAX_PENDING_CHARS + 1, 2 + 1 + MAX_PENDING_CHARS,
    2 + MAX_PENDING_CHARS + 1, 2 + 1 + 1,
  ]);
});
