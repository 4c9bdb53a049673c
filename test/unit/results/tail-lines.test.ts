import assert from 'node:assert/strict';
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { LineTail } from '../../../src/results/tail-lines.js';

function tailOf(): { file: string; tail: LineTail } {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-tail-')), 'events.jsonl');
  return { file, tail: new LineTail(file) };
}

test('a file that does not exist yet is empty; lines come as they are completed', () => {
  const { file, tail } = tailOf();
  assert.deepEqual(tail.readNewLines(), []);
  appendFileSync(file, 'one\ntw');
  assert.deepEqual(tail.readNewLines(), ['one']);
  appendFileSync(file, 'o\n\nthree\n');
  assert.deepEqual(tail.readNewLines(), ['two', 'three']);
  appendFileSync(file, 'cut');
  assert.deepEqual(tail.readNewLines(), []);
  assert.equal(tail.takePartial(), 'cut');
});

test('a UTF-8 character split across reads stays whole', () => {
  const { file, tail } = tailOf();
  const line = `${'x'.repeat(64 * 1024 - 1)}é`;
  appendFileSync(file, `${line}\n`);
  assert.deepEqual(tail.readNewLines(), [line]);
});

test('an endless line is dropped and counted, and the lines after it still come', () => {
  const { file, tail } = tailOf();
  appendFileSync(file, 'before\n');
  for (let i = 0; i < 5; i += 1) {
    appendFileSync(file, 'y'.repeat(512 * 1024));
    // Polled while the line grows: memory stays bounded, nothing of it is returned.
    assert.deepEqual(tail.readNewLines(), i === 0 ? ['before'] : []);
  }
  assert.equal(tail.droppedLines, 1);
  appendFileSync(file, 'end of the long line\nafter\n');
  assert.deepEqual(tail.readNewLines(), ['after']);
  assert.equal(tail.droppedLines, 1);
  assert.equal(tail.takePartial(), '');
});

test('once open, the file is followed even after it is deleted: the writer goes on appending to it', () => {
  const { file, tail } = tailOf();
  const writer = openSync(file, 'a');
  writeSync(writer, 'before\n');
  assert.deepEqual(tail.readNewLines(), ['before']);
  assert.equal(tail.opened, true);
  rmSync(path.dirname(file), { recursive: true });
  writeSync(writer, 'after the deletion\n');
  closeSync(writer);
  assert.deepEqual(tail.readNewLines(), ['after the deletion']);
  tail.close();
  assert.equal(tail.opened, false);
});
