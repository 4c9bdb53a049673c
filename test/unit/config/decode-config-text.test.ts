import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeConfigText, looksLikeUtf16 } from '../../../src/config/decode-config-text.js';
import { findDuplicateKey } from '../../../src/config/find-duplicate-keys.js';

describe('decodeConfigText', () => {
  test('UTF-8 passes, and a UTF-8 byte-order mark is dropped without a word', () => {
    assert.equal(decodeConfigText(Buffer.from('{"chunks": []}'), 'c.json'), '{"chunks": []}');
    assert.equal(decodeConfigText(Buffer.from('\uFEFF{"é": 1}'), 'c.json'), '{"é": 1}');
  });

  test('UTF-16 (either mark, or NULs every other byte) is refused with "save it as UTF-8"', () => {
    const text = '{"chunks": [{"name": "a"}]}';
    for (const bytes of [Buffer.from(`\uFEFF${text}`, 'utf16le'), Buffer.from(`\uFEFF${text}`, 'utf16le').swap16(), Buffer.from(text, 'utf16le'), Buffer.from(text, 'utf16le').swap16()])
      assert.throws(() => decodeConfigText(bytes, 'c.json'), { name: 'UserError', message: /^c\.json is saved as UTF-16 .*Save it as UTF-8/ });
  });

  test('text with a stray NUL or two, or a one-byte file, is not taken for UTF-16', () => {
    assert.equal(looksLikeUtf16(Buffer.from('{"a": "x\u0000y", "b": 1, "c": 2}')), false);
    assert.equal(looksLikeUtf16(Buffer.from('{')), false);
    assert.equal(looksLikeUtf16(Buffer.from('')), false);
  });
});

describe('findDuplicateKey', () => {
  test('finds a key twice in one object, with its JSON path and both lines', () => {
    assert.deepEqual(findDuplicateKey('{"chunks": [{"name": "a"},\n{"name": "b",\n "env": {"X": "1",\n "X": "2"}}]}'), { path: 'chunks[1].env.X', firstLine: 3, secondLine: 4 });
    assert.deepEqual(findDuplicateKey('{"a": 1,\n"a": 2}'), { path: 'a', firstLine: 1, secondLine: 2 });
    assert.deepEqual(findDuplicateKey('{"env": {"my var": 1, "my var": 2}}'), { path: 'env["my var"]', firstLine: 1, secondLine: 1 });
  });

  test('equal keys in different objects, or nested at different levels, are fine', () => {
    assert.equal(findDuplicateKey('{"chunks": [{"name": "a"}, {"name": "b"}], "name": {"name": 1}}'), undefined);
    assert.equal(findDuplicateKey('[{"a": 1}, {"a": 2}]'), undefined);
  });
});
