import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'smol-toml';
import { validateConfig } from '../../../src/config/validate-config.js';
import type { DraftChunk } from '../../../src/init/map-markers.js';
import { buildStarterConfig, renderJsonConfig, renderPyprojectAppend } from '../../../src/init/render-config.js';
import { UserError } from '../../../src/util/user-error.js';

const CHUNKS: DraftChunk[] = [
  { name: 'unit_fast', markers: 'unit and not memory_intensive', rest: false, description: 'Tests marked unit: "quick"', workers: 4, tests: 3, reason: '' },
  { name: 'rest', markers: undefined, rest: true, description: 'Every test no other chunk selects', workers: 2, tests: 1, reason: '' },
];
const SETTINGS = { python: 'venv/bin/python', cwd: undefined, testPaths: ['tests'], schema: './schema/chunks.config.schema.json', notes: [] };

test('the starter config holds only fields that are set, validates, and renders as JSON', () => {
  const config = buildStarterConfig(SETTINGS, CHUNKS, '2m');
  assert.deepEqual(config, {
    $schema: './schema/chunks.config.schema.json',
    python: 'venv/bin/python',
    testPaths: ['tests'],
    collectTimeout: '2m',
    chunks: [
      { name: 'unit_fast', description: 'Tests marked unit: "quick"', markers: 'unit and not memory_intensive', workers: 4 },
      { name: 'rest', description: 'Every test no other chunk selects', rest: true, workers: 2 },
    ],
  });
  assert.deepEqual(validateConfig(JSON.parse(renderJsonConfig(config))), []);
  assert.ok(renderJsonConfig(config).endsWith('}\n'));
});

// What a team's pyproject.toml may look like: comments, odd spacing, a table of arrays, no final newline.
const PYPROJECT = '# top comment\n[project]\nname = "demo"   # inline\n\n[[tool.mypy.overrides]]\nmodule = "x.*"\n# last line, no newline';

test('appended to a pyproject.toml: the old text is untouched, the whole file parses, and its table is the config (no $schema)', () => {
  const config = buildStarterConfig(SETTINGS, CHUNKS, undefined);
  const appended = renderPyprojectAppend(PYPROJECT, config);
  const text = PYPROJECT + appended;
  assert.ok(appended.startsWith('\n\n# run-chunks: written by `run-chunks init`'), 'a blank line after the last line');
  const document = parse(text) as { tool: Record<string, unknown>; project: unknown };
  const { $schema: _schema, ...fields } = config;
  assert.deepEqual(JSON.parse(JSON.stringify(document.tool['run-chunks'])), fields);
  assert.deepEqual(JSON.parse(JSON.stringify(document.project)), { name: 'demo' });
  assert.match(appended, /^\[\[tool\.run-chunks\.chunks\]\]$/m);
  assert.match(appended, /^description = "Tests marked unit: \\"quick\\""$/m);
});

test('line endings follow the file: CRLF stays CRLF; a file ending in a newline gets one blank line; an empty file none', () => {
  const config = buildStarterConfig({ ...SETTINGS, schema: undefined }, CHUNKS, undefined);
  const crlf = renderPyprojectAppend('[project]\r\nname = "demo"\r\n', config);
  assert.ok(crlf.startsWith('\r\n# run-chunks'));
  assert.ok(!/[^\r]\n/.test(crlf), 'every newline is CRLF');
  assert.ok(renderPyprojectAppend('[project]\n', config).startsWith('\n# run-chunks'));
  assert.ok(renderPyprojectAppend('', config).startsWith('# run-chunks'));
});

test('a pyproject.toml whose [tool] is an inline table cannot take the table: a UserError saying to write JSON', () => {
  const config = buildStarterConfig(SETTINGS, CHUNKS, undefined);
  assert.throws(() => renderPyprojectAppend('tool = { black = { line-length = 100 } }\n', config), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /cannot be appended to this pyproject\.toml .*run-chunks init --output chunks\.config\.json/);
    return true;
  });
});
