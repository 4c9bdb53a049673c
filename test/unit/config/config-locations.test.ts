import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'smol-toml';
import { parseIssuePath, tomlLineLocator } from '../../../src/config/config-locations.js';

describe('parseIssuePath', () => {
  test('reads keys, indexes and quoted keys as validate-config writes them', () => {
    assert.deepEqual(parseIssuePath('chunks[2].workers'), ['chunks', 2, 'workers']);
    assert.deepEqual(parseIssuePath('chunks[0].env["A-B"]'), ['chunks', 0, 'env', 'A-B']);
    assert.deepEqual(parseIssuePath('defaults.leak.warmup'), ['defaults', 'leak', 'warmup']);
    assert.deepEqual(parseIssuePath('(root)'), []);
  });

  test('a key cut short for the message ends the path there, so its parent still locates it', () => {
    assert.deepEqual(parseIssuePath('chunks[1]["a very long key that was cut…"]'), ['chunks', 1, 'a very long key that was cut…']);
    assert.deepEqual(parseIssuePath('chunks[1]["unterminated'), ['chunks', 1]);
  });
});

const PYPROJECT = [
  '[project]', // 1
  'name = "demo"', // 2
  'description = """', // 3
  'name = "inside a string, not a key"', // 4
  '[tool.run-chunks]', // 5: inside the string too
  '"""', // 6
  '', // 7
  '[tool.run-chunks]', // 8
  'testPaths = [', // 9
  '  "tests",  # [not a header]', // 10
  ']', // 11
  'defaults.timeout = "5m"', // 12
  '', // 13
  '[[tool.run-chunks.chunks]]', // 14
  'name = "a"', // 15
  '', // 16
  '[[tool.run-chunks.chunks]]', // 17
  "'name' = \"b\"", // 18
  'env = { A = "1" }', // 19
  '', // 20
  '[tool.run-chunks.chunks.leak]', // 21
  'warmup = 3', // 22
  '', // 23
  '[tool.other]', // 24
  'chunks = 1', // 25
].join('\n');

describe('tomlLineLocator', () => {
  const locate = tomlLineLocator(PYPROJECT, ['tool', 'run-chunks']);

  test('the fixture is valid TOML (the locator runs only on parsed text)', () => {
    const parsed = parse(PYPROJECT) as { tool: { 'run-chunks': { chunks: unknown[] } } };
    assert.equal(parsed.tool['run-chunks'].chunks.length, 2);
  });

  test('keys are found on their own lines; multi-line strings and arrays hide nothing', () => {
    assert.equal(locate(['testPaths']), 9);
    assert.equal(locate(['defaults', 'timeout']), 12);
    assert.equal(locate(['defaults']), 12, 'a dotted key opens its table');
    assert.equal(locate([]), 8, 'the table itself is its header');
  });

  test('array-of-tables elements are counted, and a sub-table belongs to the latest element', () => {
    assert.equal(locate(['chunks', 0]), 14);
    assert.equal(locate(['chunks', 0, 'name']), 15);
    assert.equal(locate(['chunks', 1, 'name']), 18);
    assert.equal(locate(['chunks', 1, 'leak', 'warmup']), 22);
    assert.equal(locate(['chunks', 1, 'leak', 'maxSlope']), 21, 'an absent key is found at its table');
  });

  test('values inside an inline table are found at its key; other tables never answer', () => {
    assert.equal(locate(['chunks', 1, 'env', 'A']), 19);
    assert.equal(locate(['chunks', 5, 'name']), 14, 'an element that does not exist falls back to the array');
    assert.equal(tomlLineLocator(PYPROJECT, ['tool', 'nothing'])(['chunks']), undefined);
  });
});
