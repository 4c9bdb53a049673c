import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig, locateOffset, parseJsonText } from '../../../src/config/load-config.js';
import { UserError } from '../../../src/util/user-error.js';

const HINT = 'Fix the file near that spot (JSON allows no comments or trailing commas).';

/** The UserError that parseJsonText throws for `text` (fails the test if it parses). */
function parseError(text: string): UserError {
  try {
    parseJsonText(text, 'chunks.config.json');
  } catch (error) {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(text)} not to parse`);
}

describe('parseJsonText', () => {
  test('returns the parsed value of valid JSON', () => {
    assert.deepEqual(parseJsonText('{"chunks": [{"name": "a"}]}', 'x.json'), { chunks: [{ name: 'a' }] });
  });

  test('a missing comma inside line 3 is located at the token after it', () => {
    const text = ['{', '  "chunks": [],', '  "runner": "pytest" "cwd": "."', '}'].join('\n');
    const error = parseError(text);
    assert.equal(error.message, `chunks.config.json:3:22: the config is not valid JSON: a "," was expected between items. ${HINT}`);
    assert.equal(error.exitCode, 2);
  });

  test('a comma missing at the end of line 3 is located at the start of the next value, on line 4', () => {
    // The missing comma is only noticed when the parser reaches the next token.
    const text = ['{', '  "runner": "pytest",', '  "cwd": "."', '  "chunks": []', '}'].join('\n');
    assert.equal(parseError(text).message, `chunks.config.json:4:3: the config is not valid JSON: a "," was expected between items. ${HINT}`);
  });

  test('truncated input is located at its end', () => {
    const text = '{\n  "chunks": [\n    {"name": ';
    assert.equal(parseError(text).message, `chunks.config.json:3:14: the config is not valid JSON: a value was expected (is there a trailing comma, or a missing value?). ${HINT}`);
  });

  test('an empty file is located at 1:1', () => {
    assert.equal(parseError('').message, `chunks.config.json:1:1: the config is not valid JSON: the file is empty. ${HINT}`);
  });

  test('a trailing comma in an object is located at the closing brace', () => {
    const text = '{\n  "chunks": [{"name": "a"}],\n}';
    assert.equal(parseError(text).message, `chunks.config.json:3:1: the config is not valid JSON: a property name in double quotes was expected (is there a trailing comma?). ${HINT}`);
  });

  // Known bug (reported): for "Unexpected token" errors (a trailing comma in an array, a comment)
  // V8 gives no position, so the location falls back to the end of the file, and the message
  // quotes part of the file, newlines included.
  test('a trailing comma in an array is located at the closing bracket, in one line', () => {
    const message = parseError('{\n  "chunks": [\n    {"name": "a"},\n  ]\n}').message;
    assert.ok(message.startsWith('chunks.config.json:4:3: '), message);
    assert.ok(!message.includes('\n'), message);
  });

  test('a comment on line 1 is located on line 1', () => {
    const message = parseError('// settings\n{\n  "chunks": []\n}').message;
    assert.ok(message.startsWith('chunks.config.json:1:1: '), message);
  });

  // Found by test/faults: jsonc-parser, which locates the error, recursed per level and threw a
  // RangeError (an internal error, exit 3) for 200,000 unclosed brackets.
  test('brackets nested past a thousand levels are located where the nesting passes the limit', () => {
    assert.equal(
      parseError('['.repeat(200_000)).message,
      `chunks.config.json:1:1001: the config is not valid JSON: brackets nest more than 1000 levels deep. ${HINT}`,
    );
    assert.equal(parseError(`{"a":${'['.repeat(20_000)}}`).message.split(':').slice(1, 3).join(':'), '1:1005');
  });

  test('nesting up to the limit is still located by the parser', () => {
    assert.equal(
      parseError(`${'['.repeat(1000)}}`).message,
      `chunks.config.json:1:1001: the config is not valid JSON: a value was expected (is there a trailing comma, or a missing value?). ${HINT}`,
    );
  });
});

describe('locateOffset', () => {
  const text = 'ab\ncde\n\nf';
  const cases: [offset: number, line: number, column: number][] = [
    [0, 1, 1],
    [2, 1, 3],
    [3, 2, 1],
    [5, 2, 3],
    [7, 3, 1],
    [8, 4, 1],
    [9, 4, 2],
  ];
  for (const [offset, line, column] of cases) {
    test(`offset ${offset} is line ${line}, column ${column}`, () => {
      assert.deepEqual(locateOffset(text, offset), { line, column });
    });
  }

  test('offsets outside the text are clamped to it', () => {
    assert.deepEqual(locateOffset(text, -4), { line: 1, column: 1 });
    assert.deepEqual(locateOffset(text, 1_000), { line: 4, column: 2 });
  });

  test('a CRLF line ending starts a new line after the \\n', () => {
    assert.deepEqual(locateOffset('a\r\nb', 3), { line: 2, column: 1 });
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-load-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('returns the config with its absolute path and folder', async () => {
    writeFileSync(path.join(dir, 'chunks.config.json'), '{"chunks": [{"name": "a"}]}');
    const loaded = await loadConfig(undefined, dir);
    assert.deepEqual(loaded, { config: { chunks: [{ name: 'a' }] }, configPath: path.join(dir, 'chunks.config.json'), configDir: dir });
  });

  test('lists the first ten problems and counts the rest', async () => {
    const chunks = Array.from({ length: 12 }, (_, index) => ({ name: `c${index}`, workers: 0 }));
    writeFileSync(path.join(dir, 'many.json'), JSON.stringify({ chunks }));
    const error = await loadConfig('many.json', dir).then(
      () => assert.fail('expected loadConfig to reject'),
      (rejection: unknown) => rejection,
    );
    assert.ok(error instanceof UserError);
    const lines = error.message.split('\n');
    assert.equal(lines[0], 'many.json is not a valid run-chunks config (12 problems):');
    assert.equal(lines[1], '  chunks[0].workers: must be from 1 to 512, got 0.');
    assert.equal(lines[10], '  chunks[9].workers: must be from 1 to 512, got 0.');
    assert.deepEqual(lines.slice(11), ['  …and 2 more.']);
  });

  test('a file over 64 MiB is refused before it is read', async () => {
    const file = path.join(dir, 'huge.json');
    writeFileSync(file, '');
    truncateSync(file, 65 * 1024 * 1024);
    await assert.rejects(loadConfig('huge.json', dir), {
      name: 'UserError',
      message: 'huge.json is 65 MiB, more than any config (at most 64 MiB). Check the path given to --config.',
    });
  });
});
