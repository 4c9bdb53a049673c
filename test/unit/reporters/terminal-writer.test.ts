import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { LiveFooter } from '../../../src/reporters/live-footer.js';
import { CUT_LINE_MARKER, MAX_PENDING_CHARS } from '../../../src/reporters/line-prefixer.js';
import { TerminalWriter } from '../../../src/reporters/terminal-writer.js';

/** A writable stream that keeps what is written to it. */
function capture(): { stream: Writable; text: () => string } {
  let written = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => written };
}

const ERASE_TWO_LINES = '\r\u001b[2A\u001b[J';

test('the live footer is erased before output and drawn again after it', () => {
  const out = capture();
  const footer = new LiveFooter(out.stream);
  footer.write('', ['a', 'b']);
  footer.write('line\n', ['a2', 'b2']);
  footer.clear();
  assert.equal(out.text(), `a\nb\n${ERASE_TWO_LINES}line\na2\nb2\n${ERASE_TWO_LINES}`);
});

test('on a TTY, partial output lines wait for their end; the footer always sits below whole lines', () => {
  const out = capture();
  const err = capture();
  const writer = new TerminalWriter(out.stream, err.stream, true, () => ['status']);
  writer.out('tests/a.py ..');
  assert.equal(out.text(), '', 'a partial line is held back');
  writer.out('.  [100%]\nnext');
  assert.equal(out.text(), 'tests/a.py ...  [100%]\nstatus\n');
  writer.endPartialLine();
  assert.equal(out.text(), `tests/a.py ...  [100%]\nstatus\n\r\u001b[1A\u001b[Jnext\nstatus\n`);
  writer.err('warning\n');
  assert.equal(err.text(), 'warning\n');
  writer.close();
  assert.ok(out.text().endsWith('\r\u001b[1A\u001b[J'), 'the footer is gone at the end');
});

test('without a TTY, output goes straight through and a partial line is ended on request', () => {
  const out = capture();
  const writer = new TerminalWriter(out.stream, capture().stream, false, () => ['never shown']);
  writer.out('tests/a.py ..');
  writer.endPartialLine();
  writer.endPartialLine();
  writer.out('done\n');
  writer.close();
  assert.equal(out.text(), 'tests/a.py ..\ndone\n');
});

test('on a TTY, a line without a newline is drawn in marked pieces once it passes 64 KiB, every byte of it', () => {
  const out = capture();
  const writer = new TerminalWriter(out.stream, capture().stream, true, () => []);
  const piece = 'Z'.repeat(64 * 1024);
  // 40 MB in 64 KiB reads, as a pipe delivers it.
  for (let index = 0; index < 640; index += 1) writer.out(piece);
  writer.out('\n');
  writer.close();
  const text = out.text();
  assert.equal(text.length - text.replaceAll('Z', '').length, 640 * 64 * 1024);
  const lines = text.split('\n').filter((line) => line.includes('Z'));
  assert.ok(lines.length >= 600 && lines.every((line) => line.length <= MAX_PENDING_CHARS + 64 * 1024 + 2), String(lines.length));
  assert.ok(lines[0]!.endsWith(CUT_LINE_MARKER) && lines[1]!.startsWith(CUT_LINE_MARKER));
});
