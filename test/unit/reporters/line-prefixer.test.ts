import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinePrefixer } from '../../../src/reporters/line-prefixer.js';

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
