import fc from 'fast-check';
import { HISTORY_SCHEMA_VERSION, HISTORY_TEST_OUTCOMES, type History, type HistoryChunk, type HistoryRun, type HistoryTest, type HistoryTestPeak } from '../../src/history/history-types.js';
import { CHUNK_STATUSES } from '../../src/results/outcome.js';
import type { TestEvent } from '../../src/results/test-events.js';

// Generators for the parser properties (parser-properties.test.ts): fully random text, and
// near-valid input built from a model of what the producer really writes, so a property can
// say what the parser must return, not only that it survives.

const MIB = 1024 * 1024;

/** Any text: raw UTF-16 units (lone surrogates, NUL), whole graphemes, or the characters that matter to CSV, JSON and XML. */
export const randomText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(...'0123456789 ,.-+e[]%MiBN/A"\'\\{}:<>&;=!?\r\n\t\0\uFEFF\u00A0\u0661'.split('')), maxLength: 80 }),
);

/** What a broken or foreign producer may print where a number belongs. */
export const awkwardNumberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '-1', '-0', '0x1F', '1e3', '1E309', '1_000', '1,000', '.5', '5.', ' 7 ', '\u0661\u0662', '+3', '00012'),
  fc.constant('9'.repeat(400)),
  fc.constant(String(Number.MAX_SAFE_INTEGER + 2)),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.double().map(String),
);

/** A marker nvidia-smi prints instead of a value. */
const smiMarker = fc.constantFrom('[N/A]', '[Not Supported]', '[Insufficient Permissions]', '[Unknown Error]', 'N/A');

/** How a row is damaged: one field replaced, a field dropped or added, the line cut short, junk inserted. */
export type RowDamage =
  | { kind: 'replace'; at: number; text: string }
  | { kind: 'drop'; at: number }
  | { kind: 'add'; at: number; text: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string };

export const rowDamage: fc.Arbitrary<RowDamage> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.oneof(awkwardNumberText, randomText, smiMarker) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), text: fc.oneof(awkwardNumberText, randomText) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('"', "'", ',', '\0', '\uFEFF', '\r', ', ,', '""', ' ') }),
);

/** Applies `damage` to a row given as its fields (joined with nvidia-smi's ", "). */
export function damageRow(fields: readonly string[], damage: RowDamage): string {
  const copy = [...fields];
  const at = damage.at % (copy.length + 1);
  switch (damage.kind) {
    case 'replace':
      copy[at % copy.length] = damage.text;
      return copy.join(', ');
    case 'drop':
      copy.splice(at % copy.length, 1);
      return copy.join(', ');
    case 'add':
      copy.splice(at, 0, damage.text);
      return copy.join(', ');
    case 'truncate': {
      const line = copy.join(', ');
      return line.slice(0, damage.at % (line.length + 1));
    }
    case 'insert': {
      const line = copy.join(', ');
      const where = damage.at % (line.length + 1);
      return line.slice(0, where) + damage.text + line.slice(where);
    }
  }
}

/** A value of a measured column: MiB or percent, or a marker. */
type Measure = number | string;

const mibMeasure: fc.Arbitrary<Measure> = fc.oneof({ weight: 4, arbitrary: fc.nat(2_000_000) }, { weight: 1, arbitrary: smiMarker });
const percentMeasure: fc.Arbitrary<Measure> = fc.oneof({ weight: 4, arbitrary: fc.nat(100) }, { weight: 1, arbitrary: smiMarker });

/** How a line is framed: a BOM (first line of a file), a CR left by CRLF, padding. */
export const lineFraming = fc.record({ bom: fc.boolean(), cr: fc.boolean(), pad: fc.constantFrom('', ' ', '\t') });

export function frameLine(line: string, framing: { bom: boolean; cr: boolean; pad: string }): string {
  return `${framing.bom ? '\uFEFF' : ''}${framing.pad}${line}${framing.pad}${framing.cr ? '\r' : ''}`;
}

function renderMeasure(value: Measure, unit: string, units: boolean): string {
  return typeof value === 'number' && units ? `${value} ${unit}` : String(value);
}

function measureBytes(value: Measure): number | null {
  return typeof value === 'number' ? value * MIB : null;
}

/** A GPU uuid as nvidia-smi prints it. */
export const gpuUuid: fc.Arbitrary<string> = fc.uuid().map((uuid) => `GPU-${uuid}`);

/** One `--query-gpu=index,uuid,memory.used,memory.total,utilization.gpu` row as a model. */
export interface GpuRowModel {
  index: number;
  uuid: string;
  used: Measure;
  total: Measure;
  utilization: Measure;
  units: boolean;
}

export const gpuRowModel: fc.Arbitrary<GpuRowModel> = fc.record({
  index: fc.nat(63),
  uuid: gpuUuid,
  used: mibMeasure,
  total: mibMeasure,
  utilization: percentMeasure,
  units: fc.boolean(),
});

export function gpuRowFields(row: GpuRowModel): string[] {
  return [String(row.index), row.uuid, renderMeasure(row.used, 'MiB', row.units), renderMeasure(row.total, 'MiB', row.units), renderMeasure(row.utilization, '%', row.units)];
}

/** What parseGpuQueryLine must return for a model row. */
export function expectedGpuReading(row: GpuRowModel) {
  return {
    index: row.index,
    uuid: row.uuid,
    memoryUsedBytes: measureBytes(row.used),
    memoryTotalBytes: measureBytes(row.total),
    utilizationPercent: typeof row.utilization === 'number' ? row.utilization : null,
  };
}

/** One `--query-compute-apps=pid,gpu_uuid,used_memory` row as a model. */
export interface ComputeAppRowModel {
  pid: number;
  uuid: string;
  used: Measure;
  units: boolean;
}

export const computeAppRowModel: fc.Arbitrary<ComputeAppRowModel> = fc.record({
  pid: fc.integer({ min: 1, max: 4_194_304 }),
  uuid: gpuUuid,
  used: mibMeasure,
  units: fc.boolean(),
});

export function computeAppRowFields(row: ComputeAppRowModel): string[] {
  return [String(row.pid), row.uuid, renderMeasure(row.used, 'MiB', row.units)];
}

export function expectedProcessReading(row: ComputeAppRowModel) {
  return { pid: row.pid, gpuUuid: row.uuid, usedMemoryBytes: measureBytes(row.used) };
}

/** Lines real nvidia-smi prints that are not rows: headers, driver messages, Xid events, blank lines. */
export const smiNonRowLine: fc.Arbitrary<string> = fc.constantFrom(
  'index, uuid, memory.used [MiB], memory.total [MiB], utilization.gpu [%]',
  'pid, gpu_uuid, used_gpu_memory [MiB]',
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
  'Failed to initialize NVML: Driver/library version mismatch',
  'NVML library version: 535.161',
  'Xid (PCI:0000:3b:00): 79, pid=0, GPU has fallen off the bus.',
  'Unable to determine the device handle for GPU 0000:3B:00.0: Unknown Error',
  'No devices were found',
  '',
  '   ',
);

// ---------------------------------------------------------------------------------------------
// JUnit XML

export type JunitOutcome = 'passed' | 'failed' | 'error' | 'skipped' | 'xfailed';

/** How a testcase element is written: pytest's form, without any attribute, or with only text inside. */
export type TestcaseStyle = 'pytest' | 'bare' | 'text';

export interface JunitCaseModel {
  outcome: JunitOutcome;
  style: TestcaseStyle;
  name: string;
  detail: string;
}

export interface JunitSuiteModel {
  name: string;
  cases: JunitCaseModel[];
  suites: JunitSuiteModel[];
}

// XML 1.0 cannot carry these characters at all, escaped or not; a JUnit writer must drop them.
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const xmlText: fc.Arbitrary<string> = randomText.map((text) => text.replace(XML_FORBIDDEN, ''));

const junitCase: fc.Arbitrary<JunitCaseModel> = fc.record({
  outcome: fc.constantFrom<JunitOutcome>('passed', 'failed', 'error', 'skipped', 'xfailed'),
  style: fc.constantFrom<TestcaseStyle>('pytest', 'pytest', 'bare', 'text'),
  name: xmlText,
  detail: xmlText,
});

function junitSuite(depth: number): fc.Arbitrary<JunitSuiteModel> {
  return fc.record({
    name: xmlText,
    cases: fc.array(junitCase, { maxLength: 6 }),
    suites: depth === 0 ? fc.constant([]) : fc.array(junitSuite(depth - 1), { maxLength: 2 }),
  });
}

export interface JunitDocumentModel {
  /** A <testsuites> root, or the single suite as the root. */
  wrapped: boolean;
  suites: JunitSuiteModel[];
  declaration: boolean;
  newline: '\n' | '\r\n';
  bom: boolean;
}

export const junitDocument: fc.Arbitrary<JunitDocumentModel> = fc
  .record({
    wrapped: fc.boolean(),
    suites: fc.array(junitSuite(2), { minLength: 1, maxLength: 3 }),
    declaration: fc.boolean(),
    newline: fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
    bom: fc.boolean(),
  })
  .map((model) => (model.wrapped ? model : { ...model, suites: model.suites.slice(0, 1) }));

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function renderCaseBody(testcase: JunitCaseModel): string {
  const detail = escapeXml(testcase.detail);
  switch (testcase.outcome) {
    case 'passed':
      return testcase.style === 'text' ? detail : '';
    case 'failed':
      return `<failure message="${detail}">${detail}</failure>`;
    case 'error':
      // pytest writes both when a test fails and its teardown errors: the error is what counts.
      return `<failure message="x"/><error message="${detail}">${detail}</error>`;
    case 'skipped':
      return `<skipped type="pytest.skip" message="${detail}"/>`;
    case 'xfailed':
      // As pytest's --junitxml writes an xfail.
      return `<skipped type="pytest.xfail" message="${detail}"/>`;
  }
}

function renderCase(testcase: JunitCaseModel): string {
  const attributes = testcase.style === 'bare' ? '' : ` classname="tests.test_x" name="${escapeXml(testcase.name)}" time="0.001"`;
  const body = renderCaseBody(testcase);
  return body === '' ? `<testcase${attributes}/>` : `<testcase${attributes}>${body}</testcase>`;
}

function renderSuite(suite: JunitSuiteModel, newline: string): string {
  const inner = [...suite.cases.map(renderCase), ...suite.suites.map((nested) => renderSuite(nested, newline))];
  return `<testsuite name="${escapeXml(suite.name)}">${newline}${inner.join(newline)}${newline}</testsuite>`;
}

export function renderJunit(model: JunitDocumentModel): string {
  const { newline } = model;
  const suites = model.suites.map((suite) => renderSuite(suite, newline)).join(newline);
  const body = model.wrapped ? `<testsuites name="pytest tests">${newline}${suites}${newline}</testsuites>` : suites;
  return `${model.bom ? '\uFEFF' : ''}${model.declaration ? `<?xml version="1.0" encoding="utf-8"?>${newline}` : ''}${body}${newline}`;
}

/** The counts a JUnit reader must find in a model document. */
export function expectedJunitCounts(model: JunitDocumentModel) {
  const counts = { total: 0, passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 };
  const visit = (suite: JunitSuiteModel): void => {
    for (const testcase of suite.cases) {
      counts.total += 1;
      if (testcase.outcome === 'passed') counts.passed += 1;
      else if (testcase.outcome === 'failed') counts.failed += 1;
      else if (testcase.outcome === 'error') counts.errors += 1;
      else if (testcase.outcome === 'xfailed') counts.xfailed += 1;
      else counts.skipped += 1;
    }
    suite.suites.forEach(visit);
  };
  model.suites.forEach(visit);
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Plugin events

const seconds = fc.double({ min: 0, max: 1e5, noNaN: true });
const epochSeconds = fc.double({ min: 1.5e9, max: 2.5e9, noNaN: true });
const bytesOrNull = fc.option(fc.nat(64 * 1024 * MIB), { nil: null });
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const textOrNull = fc.option(text, { nil: null });
const base = { pid: fc.integer({ min: 1, max: 4_194_304 }), worker: fc.option(fc.constantFrom('gw0', 'gw1', 'gw17'), { nil: null }), t: epochSeconds };

/** One event of any kind, with values the plugin could write. */
export const testEvent: fc.Arbitrary<TestEvent> = fc.oneof(
  fc.record({ event: fc.constant('session-start' as const), ...base, rss: bytesOrNull }),
  fc.record({ event: fc.constant('collected' as const), ...base, count: fc.nat(100_000) }),
  fc.record({ event: fc.constant('test-start' as const), ...base, nodeid: text, rss: bytesOrNull, gpu: bytesOrNull }),
  fc.record({
    event: fc.constant('test-end' as const),
    ...base,
    nodeid: text,
    outcome: fc.constantFrom('passed' as const, 'failed' as const, 'skipped' as const, 'error' as const, 'xfailed' as const, 'xpassed' as const),
    duration: seconds,
    rss: bytesOrNull,
    gpu: bytesOrNull,
    message: textOrNull,
    longrepr: textOrNull,
    crash: fc.option(fc.record({ path: textOrNull, line: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }), message: text }), { nil: null }),
    file: textOrNull,
    line: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }),
    peak: bytesOrNull,
    peakMethod: fc.constantFrom('hwm' as const, null),
    childPeak: bytesOrNull,
    groupPeak: bytesOrNull,
    groupStart: bytesOrNull,
    gpuPeak: bytesOrNull,
    sharedSetup: fc.boolean(),
    newModules: fc.nat(5_000),
  }),
  fc.record({
    event: fc.constant('worker-crashed' as const),
    ...base,
    crashedWorker: fc.constantFrom('gw0', 'gw3'),
    nodeid: textOrNull,
    message: text,
    exitCode: fc.option(fc.integer({ min: 0, max: 255 }), { nil: null }),
    signal: fc.option(fc.constantFrom('SIGKILL', 'SIGSEGV'), { nil: null }),
  }),
  fc.record({ event: fc.constant('collect-report' as const), ...base, nodeid: text, outcome: fc.constantFrom('failed' as const, 'skipped' as const), longrepr: text }),
  fc.record({ event: fc.constant('session-finish' as const), ...base, exitstatus: fc.integer({ min: -15, max: 5 }), peak: bytesOrNull, groupUnavailable: fc.option(fc.string(), { nil: null }) }),
  // fast-check's records have no prototype; JSON.parse's objects do.
).map((event) => (event.event === 'test-end' && event.crash !== null ? { ...event, crash: { ...event.crash } } : { ...event }));

/** How an event line is damaged: a field's value replaced (by JSON or by raw text), a field removed or added, the line cut. */
export type EventDamage =
  | { kind: 'value'; at: number; value: unknown }
  | { kind: 'raw-number'; at: number; text: string }
  | { kind: 'remove'; at: number }
  | { kind: 'extra'; key: string; value: unknown }
  | { kind: 'truncate'; at: number };

export const eventDamage: fc.Arbitrary<EventDamage> = fc.oneof(
  fc.record({ kind: fc.constant('value' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant('raw-number' as const), at: fc.nat(), text: fc.constantFrom('1e999', '-1e999', '1e308', '1e306', '-0', '0.5', '-1', '9007199254740993', '1e20', '-5e-324') }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extra' as const), key: fc.constantFrom('__proto__', 'constructor', 'toString', 'extra', 'event'), value: fc.jsonValue({ maxDepth: 1 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** Writes an event as a JSON line, damaged. Raw numbers are spliced in as text: JSON.stringify cannot write 1e999. */
export function damageEventLine(event: TestEvent, damage: EventDamage): string {
  const record: Record<string, unknown> = { ...event };
  const keys = Object.keys(record);
  const key = keys[('at' in damage ? damage.at : 0) % keys.length]!;
  switch (damage.kind) {
    case 'value':
      record[key] = damage.value;
      return JSON.stringify(record);
    case 'raw-number':
      record[key] = '@@RAW@@';
      return JSON.stringify(record).replace('"@@RAW@@"', damage.text);
    case 'remove':
      delete record[key];
      return JSON.stringify(record);
    case 'extra':
      // A literal "__proto__" key: JSON.parse makes it an own property, unlike an object literal.
      return `${JSON.stringify(record).slice(0, -1)},${JSON.stringify(damage.key)}:${JSON.stringify(damage.value)}}`;
    case 'truncate': {
      const line = JSON.stringify(record);
      return line.slice(0, damage.at % line.length);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// History

function historyTest(testIdCount: number): fc.Arbitrary<HistoryTest> {
  return fc.tuple(
    fc.nat(testIdCount - 1),
    fc.option(fc.nat(3_600_000), { nil: null }),
    fc.constantFrom(...HISTORY_TEST_OUTCOMES),
    fc.option(fc.integer({ min: -(2 ** 34), max: 2 ** 34 }), { nil: null }),
  );
}

function historyChunk(testIdCount: number): fc.Arbitrary<HistoryChunk> {
  return fc.record({
    name: fc.constantFrom('unit', 'gpu', 'slow', 'a.b-c_1'),
    status: fc.constantFrom(...CHUNK_STATUSES),
    durationMs: fc.nat(7_200_000),
    workers: fc.integer({ min: 1, max: 64 }),
    peakRssBytes: fc.option(fc.nat(2 ** 40), { nil: null }),
    peakPssBytes: fc.option(fc.nat(2 ** 40), { nil: null }),
    peakGpuBytes: fc.option(fc.nat(2 ** 40), { nil: null }),
    shard: fc.option(
      fc.integer({ min: 1, max: 8 }).chain((count) => fc.record({ index: fc.integer({ min: 1, max: count }), count: fc.constant(count) })),
      { nil: null },
    ),
    tests: testIdCount === 0 ? fc.constant<HistoryTest[]>([]) : fc.array(historyTest(testIdCount), { maxLength: 6 }),
  }).chain((chunk) => fc.option(historyTestPeaks(chunk.tests.length), { nil: undefined }).map((testPeaks): HistoryChunk => (testPeaks === undefined ? chunk : { ...chunk, testPeaks })));
}

/** Each test's peak, by position (absent in histories written before them). */
function historyTestPeaks(testCount: number): fc.Arbitrary<(HistoryTestPeak | null)[]> {
  const peak = fc.tuple(fc.nat(2 ** 40), fc.constantFrom('hwm' as const, 'start-end' as const));
  return fc.array(fc.option(peak, { nil: null }), { minLength: testCount, maxLength: testCount });
}

const isoDate = fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((date) => date.toISOString());

function historyRun(testIdCount: number): fc.Arbitrary<HistoryRun> {
  return fc.record({
    runId: fc.uuid(),
    startedAt: isoDate,
    finishedAt: fc.option(isoDate, { nil: null }),
    chunks: fc.array(historyChunk(testIdCount), { maxLength: 4 }),
  });
}

/** A valid history file's content. */
export const validHistory: fc.Arbitrary<History> = fc
  .uniqueArray(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), { maxLength: 8 })
  .chain((testIds) => fc.record({ schemaVersion: fc.constant(HISTORY_SCHEMA_VERSION), testIds: fc.constant(testIds), runs: fc.array(historyRun(testIds.length), { maxLength: 4 }) }));

/** Every path to a value inside `value` (the root excluded), depth first. */
export function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

/** A deep copy of `value` with the value at `at` replaced by `replacement`, or removed when it is undefined. */
export function replaceAt(value: unknown, at: readonly (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = at.at(-1)!;
  if (replacement !== undefined) parent[last] = replacement;
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
  return copy;
}
