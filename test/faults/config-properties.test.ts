import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe } from 'node:test';
import fc from 'fast-check';
import { stringify as stringifyToml } from 'smol-toml';
import { loadConfig, parseJsonText } from '../../src/config/load-config.js';
import { MAX_SAMPLE_INTERVAL_MS, MIN_SAMPLE_INTERVAL_MS, parseDurationMs, parseIntervalMs } from '../../src/config/parse-duration.js';
import { parseSizeBytes, parseSizeSpec } from '../../src/config/parse-size.js';
import type { LoadedConfig } from '../../src/config/types.js';
import { asValidConfig, validateConfig } from '../../src/config/validate-config.js';
import { createPlans } from '../../src/plan/create-plans.js';
import { UserError } from '../../src/util/user-error.js';
import { faultCase, type FaultRecorder } from '../helpers/fault-case.js';

// Random configs and texts through the config loader, validator and parsers, called directly.
// The property throughout: a valid config comes back (and plans without throwing), or a
// UserError whose every line names a JSON path (or, for text that is not JSON, a line and
// column); never another exception. Counterexamples found here became unit tests in
// test/unit/config/.

// Runs per property: enough to cover the shapes, few enough for the file to stay under ~20 s.
const RUNS = 1000;

/** `(root)`, `chunks[2].name`, `defaults.env`, `["odd key"]`, `chunks[0]["\u001b…"]`. */
const JSON_PATH = /^(?:\(root\)|[A-Za-z_$][\w$]*|\["(?:[^"\\]|\\.)*"\])(?:\.[A-Za-z_$][\w$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*$/;
/** A line of the loader's list of problems: a JSON path, then what is wrong with it; or the count of the rest. */
const PROBLEM_LINE = new RegExp(`^ {2}(?:${JSON_PATH.source.slice(1, -1)}: \\S.*|…and \\d+ more\\.)$`);
/** Characters a message must never carry raw: they would act on the terminal. */
const CONTROL_CHARACTERS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const SYNTAX_ERROR = /^chunks\.config\.json:(\d+):(\d+): the config is not valid JSON: [^\n]+\. Fix the file near that spot \(JSON allows no comments or trailing commas\)\.$/;

const BASES: Record<string, unknown>[] = [
  { chunks: [{ name: 'unit' }] },
  {
    python: 'python3',
    testPaths: ['tests'],
    defaults: { workers: 2, timeout: '30m', gracePeriod: '5s', env: { CI: '1' }, memoryLimit: '60%' },
    chunks: [
      { name: 'unit', markers: 'not slow', keyword: 'quick', args: ['-x'], dist: 'loadfile', sampleInterval: 250, leak: { maxSlope: '1MB/s' } },
      { name: 'slow.v2', paths: ['tests/slow'], workers: 'auto', memoryEstimate: '2GB', retryOnOom: 2, rest: true },
    ],
  },
  { runner: 'command', defaults: { command: ['make', 'test'] }, chunks: [{ name: 'lint' }, { name: 'e2e', command: ['npx', 'playwright', '--workers={workers}'], junit: 'j.xml' }] },
];

const KNOWN_KEYS = [
  ...['$schema', 'runner', 'python', 'cwd', 'testPaths', 'defaults', 'chunks'],
  ...['name', 'description', 'markers', 'paths', 'keyword', 'args', 'workers', 'dist', 'timeout', 'gracePeriod', 'env', 'required', 'allowEmpty'],
  ...['command', 'junit', 'memoryLimit', 'gpuMemoryLimit', 'sampleInterval', 'rest', 'memoryEstimate', 'retryOnOom', 'leak'],
  ...['__proto__', 'constructor', 'toString', 'hasOwnProperty'],
];

/** loadConfig in `dir` with `file` written there holding `text`: the config, or a UserError (exit 2) without raw control characters. */
async function loadWritten(dir: string, file: string, text: string): Promise<LoadedConfig | UserError> {
  writeFileSync(path.join(dir, file), text);
  try {
    return await loadConfig(undefined, dir);
  } catch (error) {
    assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`);
    assert.equal(error.exitCode, 2);
    assert.doesNotMatch(error.message, CONTROL_CHARACTERS);
    return error;
  }
}

/** Arrays nested `depth` deep around `inner`. */
function nest(depth: number, inner: unknown): unknown {
  let value = inner;
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

/** Values a config field might be given by mistake, near-valid ones weighted in. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.stringMatching(/^-?\d{1,25}(?:\.\d{1,4})?(?:e\d{1,3})? ?(?:ms|s|m|h|d|H|MS|b|k|kb|kib|mb|MiB|gi|GB|gib|TB|pb|PiB|eb|%|%%)?$/),
  fc.constantFrom('auto', '', ' ', '0s', '-5s', '1e400s', '999999999999d', '10PB', '0GB', '150%', '60%', '4GB', '1MB/s', '/s', '../x', 'a\u0000b', 'a'.repeat(65)),
  fc.constantFrom(0, -1, 1.5, 513, 1e308, -0, Number.MAX_SAFE_INTEGER + 2),
  fc.record({ maxGrowthPercent: fc.jsonValue(), maxSlope: fc.jsonValue(), warmup: fc.jsonValue() }, { requiredKeys: [] }),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
  fc.integer({ min: 0, max: 3_000 }).map((depth) => nest(depth, 'deep')),
  fc.integer({ min: 0, max: 20_000 }).map((length) => Array.from({ length }, (_, index) => `a${index}`)),
);

/** A valid base with one field (top level, in defaults, or in a chunk) set to a random value, or a random key added. */
const nearValidConfig = fc
  .record({
    base: fc.constantFrom(...BASES),
    where: fc.constantFrom('top', 'defaults', 'chunk0', 'chunk1'),
    key: fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string({ unit: 'binary', maxLength: 20 })),
    value: fieldValue,
  })
  .map(({ base, where, key, value }) => {
    const config = structuredClone(base) as Record<string, unknown>;
    const chunks = config.chunks as Record<string, unknown>[];
    const target = where === 'top' ? config : where === 'defaults' ? ((config.defaults ??= {}) as Record<string, unknown>) : (chunks[where === 'chunk0' ? 0 : chunks.length - 1]!);
    // As JSON.parse would build it: "__proto__" as an own key, not the prototype.
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
    return JSON.parse(JSON.stringify(config)) as unknown;
  });

const PLAN_OPTIONS = { selectedChunks: [], noParallel: false, reportDir: '/reports', passthroughArgs: [], python: 'python3' };

/** A config the validator accepted plans without throwing, every chunk's folder inside the report dir. */
function assertPlannable(raw: unknown): void {
  const loaded: LoadedConfig = { config: asValidConfig(raw), configPath: '/project/chunks.config.json', configDir: '/project' };
  for (const plan of createPlans(loaded, PLAN_OPTIONS)) {
    assert.equal(path.dirname(plan.chunkReportDir), '/reports', plan.chunkReportDir);
    assert.ok(plan.timeoutMs === undefined || (Number.isFinite(plan.timeoutMs) && plan.timeoutMs > 0), String(plan.timeoutMs));
    assert.ok(Number.isFinite(plan.gracePeriodMs) && plan.gracePeriodMs > 0, String(plan.gracePeriodMs));
    assert.ok(plan.sampleIntervalMs >= MIN_SAMPLE_INTERVAL_MS && plan.sampleIntervalMs <= MAX_SAMPLE_INTERVAL_MS, String(plan.sampleIntervalMs));
    assert.ok(plan.argv.every((arg) => typeof arg === 'string'));
  }
}

/** Each issue is located by a JSON path and says something, with no raw control characters. */
function assertLocated(issues: readonly { path: string; message: string }[]): void {
  for (const issue of issues) {
    assert.match(issue.path, JSON_PATH);
    assert.ok(issue.message.trim().length > 0, 'empty message');
    assert.doesNotMatch(`${issue.path}: ${issue.message}`, CONTROL_CHARACTERS);
  }
}

/** The property of the validator: no issues and a plannable config, or located issues. */
function assertValidOrLocated(raw: unknown): void {
  const issues = validateConfig(raw);
  if (issues.length === 0) assertPlannable(raw);
  else assertLocated(issues);
}

/** Checks a property with fast-check, recording its run count (a failure shows fast-check's counterexample). */
function checkProperty<Ts extends [unknown, ...unknown[]]>(r: FaultRecorder, what: string, property: fc.IProperty<Ts>): void {
  fc.assert(property, { numRuns: RUNS });
  r.did(`${RUNS} random cases: ${what}`);
  r.held('no exception but the UserError; every error located');
}

/** checkProperty for an asynchronous property. */
async function checkAsyncProperty<Ts extends [unknown, ...unknown[]]>(r: FaultRecorder, what: string, property: fc.IAsyncProperty<Ts>): Promise<void> {
  await fc.assert(property, { numRuns: RUNS });
  r.did(`${RUNS} random cases: ${what}`);
  r.held('no exception but the UserError; every error located');
}

describe('random configs through the validator', () => {
  faultCase('parsers', 'random JSON values as a whole config (validateConfig)', (r) => {
    checkProperty(r, 'valid, or issues with JSON paths', fc.property(fc.jsonValue(), (raw) => assertValidOrLocated(raw)));
  });

  faultCase('parsers', 'random objects with a "chunks" array of random chunks', (r) => {
    const chunk = fc.dictionary(fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string({ maxLength: 10 })), fieldValue, { maxKeys: 5 });
    const config = fc.record({ chunks: fc.array(fc.oneof(chunk, fc.jsonValue({ maxDepth: 1 })), { maxLength: 6 }), runner: fc.constantFrom('pytest', 'command', 7) }, { requiredKeys: ['chunks'] });
    checkProperty(r, 'valid, or issues with JSON paths', fc.property(config.map((value) => JSON.parse(JSON.stringify(value)) as unknown), (raw) => assertValidOrLocated(raw)));
  });

  faultCase('parsers', 'valid configs with one field replaced (random value, key, deep nesting, huge array)', (r) => {
    checkProperty(r, 'valid and plannable, or issues with JSON paths', fc.property(nearValidConfig, (raw) => assertValidOrLocated(raw)));
  });
});

describe('random text through the loader', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-properties-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** loadConfig on `text` as a file: the config, or a UserError (exit 2) with a non-empty message. */
  const loadText = (text: string): Promise<LoadedConfig | UserError> => loadWritten(dir, 'chunks.config.json', text);

  /** The message of a syntax error names a line and column that exist in `text`. */
  function assertSyntaxErrorLocated(message: string, text: string): void {
    const match = SYNTAX_ERROR.exec(message);
    assert.ok(match, message);
    const lines = text.split('\n');
    const line = Number(match[1]);
    assert.ok(line >= 1 && line <= lines.length, `line ${line} of ${lines.length}`);
    assert.ok(Number(match[2]) >= 1 && Number(match[2]) <= lines[line - 1]!.length + 1, `column ${match[2]} of line ${JSON.stringify(lines[line - 1])}`);
  }

  faultCase('parsers', 'random JSON values written to a file (loadConfig)', async (r) => {
    const property = fc.asyncProperty(fc.jsonValue(), async (value) => {
      const outcome = await loadText(JSON.stringify(value));
      if (!(outcome instanceof UserError)) return assert.deepEqual(outcome.config, JSON.parse(JSON.stringify(value)));
      const [first, ...problems] = outcome.message.split('\n');
      assert.match(first!, /^chunks\.config\.json is not a valid run-chunks config \(\d+ problems?\):$/);
      for (const line of problems) assert.match(line, PROBLEM_LINE);
    });
    await checkAsyncProperty(r, 'the config, or one located problem per line', property);
  });

  faultCase('parsers', 'random text, not JSON (parseJsonText)', (r) => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: fc.constantFrom(...'{}[]":,0123456789.-+eE tfnaulrs\n\r\t\\/'), maxLength: 200 }));
    const property = fc.property(text, (candidate) => {
      try {
        assert.deepEqual(parseJsonText(candidate, 'chunks.config.json'), JSON.parse(candidate));
      } catch (error) {
        assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`);
        assertSyntaxErrorLocated(error.message, candidate);
      }
    });
    checkProperty(r, 'the value, or "file:line:column: not valid JSON"', property);
  });

  faultCase('parsers', 'text nested up to 30,000 brackets deep, closed or cut off', (r) => {
    const nested = fc
      .record({ depth: fc.integer({ min: 1, max: 30_000 }), opener: fc.constantFrom('[', '{"a":'), closed: fc.boolean(), tail: fc.string({ maxLength: 5 }) })
      .map(({ depth, opener, closed, tail }) => `{"chunks":${opener.repeat(depth)}1${closed ? (opener === '[' ? ']' : '}').repeat(depth) : ''}${tail}`);
    const property = fc.property(nested, (candidate) => {
      try {
        assertValidOrLocated(parseJsonText(candidate, 'chunks.config.json'));
      } catch (error) {
        assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`);
        assertSyntaxErrorLocated(error.message, candidate);
      }
    });
    checkProperty(r, 'located issues, or "file:line:column"', property);
  });

  faultCase('parsers', 'valid config text with one character deleted or inserted', (r) => {
    const edited = fc
      .record({ base: fc.constantFrom(...BASES), at: fc.nat(), insert: fc.option(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), { nil: undefined }) })
      .map(({ base, at, insert }) => {
        const text = JSON.stringify(base, null, 2);
        const offset = at % text.length;
        return insert === undefined ? text.slice(0, offset) + text.slice(offset + 1) : text.slice(0, offset) + insert + text.slice(offset);
      });
    const property = fc.property(edited, (candidate) => {
      try {
        assertValidOrLocated(parseJsonText(candidate, 'chunks.config.json'));
      } catch (error) {
        assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`);
        assertSyntaxErrorLocated(error.message, candidate);
      }
    });
    checkProperty(r, 'valid or located issues, or "file:line:column"', property);
  });
});

describe('random configs through [tool.run-chunks] in pyproject.toml', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-toml-properties-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const TOML_PROBLEM = new RegExp(`^ {2}(?:pyproject\\.toml:(\\d+): )?(?:\\[tool\\.run-chunks\\]|${JSON_PATH.source.slice(1, -1)}): \\S.*$|^ {2}…and \\d+ more\\.$`);
  const TOML_SYNTAX = /^pyproject\.toml:(\d+):(\d+): the file is not valid TOML: [^\n]+\. Fix the file near that spot \(pip and pytest would refuse it too\)\.$/;

  /** loadConfig on `text` as pyproject.toml: the config, or a UserError whose lines are located inside the file. */
  async function loadToml(text: string): Promise<LoadedConfig | UserError> {
    const outcome = await loadWritten(dir, 'pyproject.toml', text);
    if (!(outcome instanceof UserError)) return outcome;
    const lineCount = text.split('\n').length;
    const syntax = TOML_SYNTAX.exec(outcome.message);
    if (syntax) {
      assert.ok(Number(syntax[1]) >= 1 && Number(syntax[1]) <= lineCount + 1, `line ${syntax[1]} of ${lineCount}`);
      return outcome;
    }
    const [first, ...problems] = outcome.message.split('\n');
    if (/^No chunks\.config\.json in /.test(first!)) return outcome;
    assert.match(first!, /^pyproject\.toml \[tool\.run-chunks\] is not a valid run-chunks config \(\d+ problems?\):$/, outcome.message);
    for (const line of problems) {
      const match = TOML_PROBLEM.exec(line);
      assert.ok(match, line);
      if (match[1] !== undefined) assert.ok(Number(match[1]) >= 1 && Number(match[1]) <= lineCount, `line ${match[1]} of ${lineCount}`);
    }
    return outcome;
  }

  /** Whether `value` holds a null anywhere: TOML has no null (smol-toml's stringify drops such keys). */
  const holdsNull = (value: unknown): boolean =>
    value === null || (typeof value === 'object' && Object.values(value as Record<string, unknown>).some(holdsNull));

  /** The TOML text of `config` under [tool.run-chunks], after a line of the project's own; undefined where TOML cannot hold it. */
  function asPyproject(config: unknown): string | undefined {
    if (holdsNull(config)) return undefined;
    try {
      return `[project]\nname = "p"\n\n${stringifyToml({ tool: { 'run-chunks': config } })}`;
    } catch {
      return undefined;
    }
  }

  faultCase('parsers', 'near-valid configs written as [tool.run-chunks] (loadConfig on pyproject.toml)', async (r) => {
    const property = fc.asyncProperty(nearValidConfig, async (config) => {
      const text = asPyproject(config);
      if (text === undefined) return;
      const outcome = await loadToml(text);
      if (!(outcome instanceof UserError)) assert.deepEqual(JSON.parse(JSON.stringify(outcome.config)), JSON.parse(JSON.stringify(config)));
    });
    await checkAsyncProperty(r, 'the same config as from JSON, or problems located at lines of the file', property);
  });

  faultCase('parsers', 'valid pyproject.toml text with one character deleted or inserted, or nested 30,000 deep', async (r) => {
    const edited = fc.oneof(
      fc
        .record({ base: fc.constantFrom(...BASES), at: fc.nat(), insert: fc.option(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), { nil: undefined }) })
        .map(({ base, at, insert }) => {
          const text = asPyproject(base)!;
          const offset = at % text.length;
          return insert === undefined ? text.slice(0, offset) + text.slice(offset + 1) : text.slice(0, offset) + insert + text.slice(offset);
        }),
      fc
        .record({ depth: fc.integer({ min: 1, max: 30_000 }), opener: fc.constantFrom('[', '{a='), closed: fc.boolean() })
        .map(({ depth, opener, closed }) => `[tool.run-chunks]\nchunks = ${opener.repeat(depth)}1${closed ? (opener === '[' ? ']' : '}').repeat(depth) : ''}\n`),
    );
    const property = fc.asyncProperty(edited, async (text) => {
      await loadToml(text);
    });
    await checkAsyncProperty(r, 'the config, located problems, or "pyproject.toml:line:column: not valid TOML"', property);
  });
});

describe('random strings through the duration and size parsers', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.stringMatching(/^ ?-?\d{0,400}(?:\.\d{0,3})?(?:e\d{1,3})? ?[a-zA-Z%]{0,4}(?:\d{1,3}[a-z]{1,2}){0,3} ?$/),
  );

  faultCase('parsers', 'random strings through parseDurationMs, parseIntervalMs, parseSizeBytes, parseSizeSpec', (r) => {
    const property = fc.property(anyText, (text) => {
      const durationMs = parseDurationMs(text);
      assert.ok(durationMs === undefined || durationMs >= 0, String(durationMs));
      const intervalMs = parseIntervalMs(text);
      assert.ok(intervalMs === undefined || intervalMs >= 0, String(intervalMs));
      const bytes = parseSizeBytes(text);
      assert.ok(bytes === undefined || (Number.isSafeInteger(bytes) && bytes >= 0), String(bytes));
      const spec = parseSizeSpec(text);
      if (spec?.kind === 'percent') assert.ok(spec.percent > 0 && spec.percent <= 100, String(spec.percent));
      if (spec?.kind === 'bytes') assert.ok(Number.isSafeInteger(spec.bytes) && spec.bytes >= 0, String(spec.bytes));
    });
    checkProperty(r, 'undefined, or a non-negative number (sizes: whole, exact bytes)', property);
  });

  faultCase('parsers', 'written durations ("1h30m", " 2.5S ") parse to the sum of their parts', (r) => {
    const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    const part = fc.record({ whole: fc.nat({ max: 100_000 }), fraction: fc.option(fc.nat({ max: 999 }), { nil: undefined }), unit: fc.constantFrom(...(Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[])) });
    const property = fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), fc.boolean(), (parts, shout) => {
      const written = parts.map(({ whole, fraction, unit }) => `${whole}${fraction === undefined ? '' : `.${fraction}`}${unit}`).join('');
      const expectedMs = Math.round(parts.reduce((total, { whole, fraction, unit }) => total + Number(`${whole}${fraction === undefined ? '' : `.${fraction}`}`) * UNIT_MS[unit], 0));
      assert.equal(parseDurationMs(` ${shout ? written.toUpperCase() : written} `), expectedMs);
    });
    checkProperty(r, 'each the exact sum', property);
  });

  faultCase('parsers', 'written sizes ("512MiB", "4 gb", "2Gi") parse to exact bytes, or not at all past 2^53', (r) => {
    const FACTORS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, k: 1e3, mi: 1024 ** 2, gi: 1024 ** 3 };
    const property = fc.property(fc.nat(), fc.constantFrom(...Object.keys(FACTORS)), fc.boolean(), fc.boolean(), (amount, unit, space, shout) => {
      const text = `${amount}${space ? ' ' : ''}${shout ? unit.toUpperCase() : unit}`;
      const bytes = amount * FACTORS[unit]!;
      assert.equal(parseSizeBytes(text), Number.isSafeInteger(bytes) ? bytes : undefined);
    });
    checkProperty(r, 'each exact', property);
  });
});
