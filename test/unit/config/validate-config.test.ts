import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHUNK_FIELDS, MAX_CHUNKS, TOP_LEVEL_FIELDS } from '../../../src/config/config-fields.js';
import { validateConfig } from '../../../src/config/validate-config.js';

// A pytest config that sets every top-level field and every pytest chunk field.
const FULL_PYTEST_CONFIG = {
  $schema: './schema/chunks.config.schema.json',
  runner: 'pytest',
  python: '.venv/bin/python',
  cwd: '.',
  testPaths: ['tests'],
  collectTimeout: '2m',
  defaults: { workers: 4, dist: 'loadfile', timeout: '30m', gracePeriod: '10s', env: { CI: '1' }, required: true },
  chunks: [
    {
      name: 'unit_fast',
      description: 'Fast unit tests',
      markers: 'not slow',
      paths: ['tests/unit', 'tests/*/fast_*.py'],
      keyword: 'not flaky',
      args: ['-x', '-q'],
      workers: 512,
      dist: 'worksteal',
      timeout: '1h30m',
      gracePeriod: '250ms',
      env: { _PRIVATE: '', DB_URL: 'sqlite://' },
      required: false,
      allowEmpty: true,
      cwd: 'backend',
      memoryLimit: '60%',
      gpuMemoryLimit: '20GiB',
      sampleInterval: '200ms',
      leak: { maxGrowthPercent: 10, maxSlope: '512KiB/s', warmup: '10s' },
      retryOnOom: 2,
      memoryEstimate: '2GB',
      rest: false,
    },
    { name: 'slow.v2-nightly', workers: 1, timeout: '7d', memoryLimit: '4GB', sampleInterval: 250 },
  ],
};

// A command-runner config using the fields only that runner accepts.
const COMMAND_CONFIG = {
  runner: 'command',
  defaults: { command: ['make', 'test'] },
  chunks: [
    { name: 'lint' },
    { name: 'e2e', command: ['npx', 'playwright', 'test', '--workers={workers}'], junit: 'results/junit.xml', workers: 2, args: ['--retries=1'] },
  ],
};

function pathsOf(raw: unknown): string[] {
  return validateConfig(raw).map((issue) => issue.path);
}

describe('validateConfig on valid configs', () => {
  test('a config with one named chunk has no issues', () => {
    assert.deepEqual(validateConfig({ chunks: [{ name: 'unit' }] }), []);
  });

  test('a pytest config setting every pytest field has no issues', () => {
    assert.deepEqual(validateConfig(FULL_PYTEST_CONFIG), []);
  });

  test('a command config, with the command in defaults or in the chunk, has no issues', () => {
    assert.deepEqual(validateConfig(COMMAND_CONFIG), []);
  });

  test('the two configs above use every field there is', () => {
    // Keeps the "full" configs full: a new field fails here until a valid example is added.
    const chunks = [...FULL_PYTEST_CONFIG.chunks, ...COMMAND_CONFIG.chunks];
    const usedChunkKeys = new Set(chunks.flatMap((chunk) => Object.keys(chunk)));
    assert.deepEqual([...usedChunkKeys].sort(), Object.keys(CHUNK_FIELDS).sort());
    const usedTopKeys = Object.keys(FULL_PYTEST_CONFIG).filter((key) => key !== 'defaults' && key !== 'chunks');
    assert.deepEqual(usedTopKeys.sort(), Object.keys(TOP_LEVEL_FIELDS).sort());
  });
});

describe('validateConfig on invalid configs', () => {
  test('anything but an object is one issue at (root)', () => {
    for (const raw of [[], null, 'chunks', 3]) assert.deepEqual(pathsOf(raw), ['(root)']);
  });

  test('each problem is located by its JSON path, top level first, then defaults, then chunks in order', () => {
    const raw = {
      chunk: [],
      runner: 'pytest',
      defaults: { timeout: 'soon', name: 'x' },
      chunks: [{ name: 'a', workers: 0 }, { name: 'b', env: { X: 1 } }, 'c', { marker: 'slow' }],
    };
    assert.deepEqual(pathsOf(raw), [
      'chunk',
      'defaults.name',
      'defaults.timeout',
      'chunks[0].workers',
      'chunks[1].env',
      'chunks[2]',
      'chunks[3].marker',
      'chunks[3].name',
    ]);
  });

  test('a duplicate name is reported on the later chunk, naming the earlier one', () => {
    const issues = validateConfig({ chunks: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] });
    assert.deepEqual(issues, [{ path: 'chunks[2].name', message: '"a" is already the name of chunks[0]. Chunk names must be unique.' }]);
  });

  test('runner-specific fields are reported where they are, in defaults too', () => {
    assert.deepEqual(pathsOf({ defaults: { junit: 'j.xml' }, chunks: [{ name: 'a', command: ['x'] }] }), [
      'defaults.junit',
      'chunks[0].command',
    ]);
    assert.deepEqual(pathsOf({ runner: 'command', defaults: { dist: 'load' }, chunks: [{ name: 'a', markers: 'm', keyword: 'k' }] }), [
      'defaults.dist',
      'chunks[0].markers',
      'chunks[0].keyword',
      'chunks[0].command',
    ]);
  });

  test('"{junit}" in a command and a "junit" path are one answer too many, from the chunk or the defaults', () => {
    const issues = validateConfig({ runner: 'command', chunks: [{ name: 'a', command: ['x', '--out={junit}'], junit: 'j.xml' }] });
    assert.deepEqual(issues.map((issue) => issue.path), ['chunks[0].junit']);
    assert.match(issues[0]!.message, /is set \(chunks\[0\]\.junit\) while the chunk's "command" has "\{junit\}": both say where the JUnit file goes\. Keep "\{junit\}"/);
    assert.deepEqual(pathsOf({ runner: 'command', defaults: { junit: 'j.xml' }, chunks: [{ name: 'a', command: ['x', '{junit}'] }, { name: 'b', command: ['y'] }] }), ['chunks[0].junit']);
    assert.deepEqual(pathsOf({ runner: 'command', defaults: { command: ['x', '{junit}'] }, chunks: [{ name: 'a', junit: 'j.xml' }, { name: 'b', command: ['y'], junit: 'k.xml' }] }), ['chunks[0].junit']);
    assert.deepEqual(pathsOf({ runner: 'command', chunks: [{ name: 'a', command: ['x', '{junit}'] }] }), []);
  });

  test('durations must be above zero and at most seven days', () => {
    const raw = { chunks: [{ name: 'a', timeout: '0s', gracePeriod: '0.0001s' }, { name: 'b', timeout: '7d1ms' }] };
    assert.deepEqual(pathsOf(raw), ['chunks[0].timeout', 'chunks[0].gracePeriod', 'chunks[1].timeout']);
  });

  test('strings and string arrays may not be empty', () => {
    const raw = { testPaths: [''], chunks: [{ name: '', markers: '' }, { name: 'b', args: ['-x', ''] }] };
    assert.deepEqual(pathsOf(raw), ['testPaths', 'chunks[0].name', 'chunks[0].markers', 'chunks[1].args']);
  });

  test('a name longer than 64 characters is rejected; 64 is accepted', () => {
    assert.deepEqual(pathsOf({ chunks: [{ name: 'a'.repeat(64) }] }), []);
    assert.deepEqual(validateConfig({ chunks: [{ name: 'a'.repeat(65) }] }), [
      { path: 'chunks[0].name', message: 'must be at most 64 characters long, got 65.' },
    ]);
  });

  test('a long string value is cut short in the message', () => {
    const [issue] = validateConfig({ chunks: [{ name: 'a', dist: 'x'.repeat(50) }] });
    assert.equal(issue?.path, 'chunks[0].dist');
    assert.ok(issue?.message.includes(`got the string "${'x'.repeat(40)}…".`), issue?.message);
  });

  test('a negative duration or size is "must be above zero", not "not a duration"', () => {
    assert.deepEqual(validateConfig({ chunks: [{ name: 'a', timeout: '-5s', memoryLimit: '-1GB', memoryEstimate: '-10%' }] }), [
      { path: 'chunks[0].timeout', message: 'must be longer than zero, got "-5s". Write a duration such as "90s", "30m" or "1h30m".' },
      {
        path: 'chunks[0].memoryLimit',
        message: 'must be larger than zero, got "-1GB". Write a size such as "512MiB", "4GB" or "1.5GiB", or a percentage such as "60%".',
      },
      { path: 'chunks[0].memoryEstimate', message: 'must be a percentage above 0% and at most 100%, got "-10%".' },
    ]);
  });

  test('a size too large to hold in whole bytes is "larger than the maximum", not "not a size"', () => {
    for (const memoryLimit of ['10PB', '2PiB', '3EB', '99999999999999999999999GB']) {
      assert.deepEqual(validateConfig({ chunks: [{ name: 'a', memoryLimit }] }), [
        { path: 'chunks[0].memoryLimit', message: `"${memoryLimit}" is larger than the 1 PiB maximum.` },
      ]);
    }
    assert.deepEqual(validateConfig({ chunks: [{ name: 'a', memoryLimit: '1PiB' }] }), []);
  });

  test('a key that is no identifier is shown as ["key"], with control characters escaped', () => {
    const issues = validateConfig({ chunks: [{ name: 'a', '\u001b[31mx\ny': 1 }], 'a b': 1 });
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ['["a b"]', 'chunks[0]["\\u001b[31mx\\ny"]'],
    );
    for (const issue of issues) assert.doesNotMatch(`${issue.path}: ${issue.message}`, /[\u0000-\u001f]/);
  });

  // Found by test/faults/config-properties: the empty key was reported at the empty path, and a
  // key like "{name" at a path that reads as JSON gone wrong.
  test('minimal counterexamples: {"": 0} is reported at [""], {"{name": 1} at ["{name"]', () => {
    assert.deepEqual(pathsOf({ '': 0, chunks: [{ name: 'a', '{name': 1 }] }), ['[""]', 'chunks[0]["{name"]']);
  });

  test('names that differ only in case are duplicates: they share a folder on macOS and Windows', () => {
    assert.deepEqual(validateConfig({ chunks: [{ name: 'unit' }, { name: 'Unit' }] }), [
      {
        path: 'chunks[1].name',
        message: '"Unit" differs from chunks[0]\'s "unit" only in case, and the two would share a report folder on macOS and Windows. Chunk names must be unique, ignoring case.',
      },
    ]);
  });

  test('a name ending like a report-dir file is rejected; other dotted names are not', () => {
    assert.deepEqual(pathsOf({ chunks: [{ name: 'report.json' }, { name: 'Junit.XML' }, { name: 'a.rest.txt' }, { name: 'b.log' }] }), [
      'chunks[0].name',
      'chunks[1].name',
      'chunks[2].name',
      'chunks[3].name',
    ]);
    assert.deepEqual(pathsOf({ chunks: [{ name: 'py3.11' }, { name: 'slow.v2-nightly' }] }), []);
  });

  test(`at most ${MAX_CHUNKS} chunks: one more is a single issue, checked before any chunk`, () => {
    const chunks = Array.from({ length: MAX_CHUNKS }, (_, index) => ({ name: `c${index}` }));
    assert.deepEqual(validateConfig({ chunks }), []);
    assert.deepEqual(validateConfig({ chunks: [...chunks, { name: 7 }] }), [
      {
        path: 'chunks',
        message: `has ${MAX_CHUNKS + 1} chunks; at most ${MAX_CHUNKS} are allowed. Each chunk is a pytest run of its own: group tests into fewer chunks (by markers or paths).`,
      },
    ]);
  });

  test('a description is one line without control characters: --list prints it as is', () => {
    assert.deepEqual(validateConfig({ chunks: [{ name: 'a', description: 'red \u001b[31malert' }, { name: 'b', description: 'one\ntwo' }] }), [
      { path: 'chunks[0].description', message: 'the string "red \\u001b[31malert" is not allowed: it must be one line, without control characters.' },
      { path: 'chunks[1].description', message: 'the string "one\\ntwo" is not allowed: it must be one line, without control characters.' },
    ]);
  });
});
