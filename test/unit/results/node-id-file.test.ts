import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNodeIdFile, parseNodeIdFile } from '../../../src/results/node-id-file.js';

const ODD_IDS = ['tests/t.py::test[a\nb]', 'tests/t.py::test[tab\there]', 'tests/t.py::test[ünï😀]', 'tests/t.py::test[cr\rlf]', 'tests/t.py::test["quoted"\\]', 'tests/t.py::test[\u2028]', ''];

test('node ids with newlines, tabs, quotes and any Unicode round-trip, one line each', () => {
  const text = formatNodeIdFile(ODD_IDS);
  assert.equal(text.split('\n').length, ODD_IDS.length + 1, 'one line per id, then the final newline');
  assert.deepEqual(parseNodeIdFile(text), ODD_IDS);
});

test('a line cut short by a kill, blank lines and lines that are not one JSON string are left out', () => {
  const text = `"a"\n\n   \nnot json\n42\n["x"]\n"b"\n"cut sho`;
  assert.deepEqual(parseNodeIdFile(text), ['a', 'b']);
  assert.deepEqual(parseNodeIdFile(''), []);
});
