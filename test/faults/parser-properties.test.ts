import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import fc from 'fast-check';
import { createDeviceRoundSplitter } from '../../src/gpu/device-round-splitter.js';
import { parseComputeAppsLine, parseComputeAppsOutput, parseGpuQueryLine, parseGpuQueryOutput, type GpuDeviceReading, type GpuProcessReading } from '../../src/gpu/nvidia-smi-csv.js';
import { formatHistoryTable } from '../../src/history/format-history-table.js';
import { appendRun, readHistory } from '../../src/history/history-file.js';
import { chunkNames, chunkStats, testDurations } from '../../src/history/history-stats.js';
import type { History } from '../../src/history/history-types.js';
import { findHistoryProblem } from '../../src/history/validate-history.js';
import { ChunkTestState } from '../../src/results/chunk-test-state.js';
import { parseJunitCounts, type TestCounts } from '../../src/results/parse-junit.js';
import { parseTestEvent, parseTestEventLines } from '../../src/results/parse-test-event.js';
import type { TestEvent } from '../../src/results/test-events.js';
import { faultCase } from '../helpers/fault-case.js';
import {
  computeAppRowFields,
  computeAppRowModel,
  damageEventLine,
  damageRow,
  eventDamage,
  expectedGpuReading,
  expectedJunitCounts,
  expectedProcessReading,
  frameLine,
  gpuRowFields,
  gpuRowModel,
  junitDocument,
  lineFraming,
  pathsOf,
  randomText,
  renderJunit,
  replaceAt,
  rowDamage,
  smiNonRowLine,
  testEvent,
  validHistory,
} from './parser-arbitraries.js';

// Random and near-valid input thrown at every parser of text another program writes. Each parser
// must either accept (and then return values callers can compute with: whole, finite, ≥ 0 where
// they must be) or reject the way it already does for callers (undefined, or a problem sentence),
// and never throw. The seed is fixed so a failure reproduces; fast-check prints it with the
// shrunk counterexample. Run counts keep the whole file to a few seconds.

const SEED = 20_260_501;
const RUNS = 10_000;
const MODEL_RUNS = 2_000;

/** Runs a property with the suite's seed; fast-check's report names the seed and counterexample. */
function check<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => void, numRuns = RUNS): void {
  fc.assert(
    fc.property(arbitrary, (value) => {
      predicate(value);
    }),
    { seed: SEED, numRuns },
  );
}

/** How many inputs a parser accepted and how many it turned away. */
class Tally {
  accepted = 0;
  rejected = 0;
  count(accepted: boolean): void {
    if (accepted) this.accepted += 1;
    else this.rejected += 1;
  }
  get total(): number {
    return this.accepted + this.rejected;
  }
}

function assertWholeCount(value: number, what: string): void {
  assert.ok(Number.isSafeInteger(value) && value >= 0, `${what} must be a whole number ≥ 0, got ${value}`);
}

function assertBytesOrNull(value: number | null, what: string): void {
  if (value !== null) assertWholeCount(value, what);
}

function assertWellFormedDevice(reading: GpuDeviceReading): void {
  assertWholeCount(reading.index, 'index');
  assert.match(reading.uuid, /^\S+$/);
  assertBytesOrNull(reading.memoryUsedBytes, 'memory.used');
  assertBytesOrNull(reading.memoryTotalBytes, 'memory.total');
  if (reading.utilizationPercent !== null) assert.ok(Number.isFinite(reading.utilizationPercent) && reading.utilizationPercent >= 0);
}

function assertWellFormedProcess(reading: GpuProcessReading): void {
  assert.ok(Number.isSafeInteger(reading.pid) && reading.pid > 0, `pid ${reading.pid}`);
  assert.match(reading.gpuUuid, /^\S+$/);
  assertBytesOrNull(reading.usedMemoryBytes, 'used_memory');
}

/** A damaged row, or any text at all, or a line nvidia-smi prints that is no row. */
function lineNear(fields: fc.Arbitrary<string[]>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fields, rowDamage).map(([row, damage]) => damageRow(row, damage)) },
    { weight: 2, arbitrary: randomText },
    { weight: 1, arbitrary: smiNonRowLine },
  );
}

/** Lines of a whole output: model rows mixed with headers, driver messages and blank lines. */
function outputOf<Row>(row: fc.Arbitrary<Row>, render: (row: Row) => string[]) {
  return fc.array(fc.oneof(row.map((model) => ({ model, line: render(model).join(', ') })), smiNonRowLine.map((line) => ({ model: undefined, line }))), { maxLength: 12 });
}

faultCase('parsers', `random and damaged nvidia-smi --query-gpu CSV (${RUNS} lines, ${2 * MODEL_RUNS} valid rows and outputs)`, (r) => {
  const tally = new Tally();
  check(lineNear(gpuRowModel.map(gpuRowFields)), (line) => {
    const reading = parseGpuQueryLine(line);
    tally.count(reading !== undefined);
    if (reading !== undefined) assertWellFormedDevice(reading);
  });
  r.did(`read ${tally.accepted} of ${tally.total} random or damaged lines as rows; skipped the other ${tally.rejected} as not rows`);
  r.held('no exception; every row read has a whole index ≥ 0, a one-word uuid, whole finite byte figures ≥ 0 or null');

  check(fc.tuple(gpuRowModel, lineFraming), ([row, framing]) => assert.deepEqual(parseGpuQueryLine(frameLine(gpuRowFields(row).join(', '), framing)), expectedGpuReading(row)), MODEL_RUNS);
  r.held('valid rows (with or without units, [N/A]-style markers, BOM, CRLF, padding) read back exactly');

  check(fc.tuple(outputOf(gpuRowModel, gpuRowFields), fc.constantFrom('\n', '\r\n')), ([lines, newline]) => {
    const expected = lines.flatMap(({ model }) => (model === undefined ? [] : [expectedGpuReading(model)]));
    assert.deepEqual(parseGpuQueryOutput(lines.map(({ line }) => line).join(newline)), expected);
  }, MODEL_RUNS);
  r.held('a whole output with headers, driver messages and blank lines gives exactly its rows, in order');
});

faultCase('parsers', `random and damaged nvidia-smi --query-compute-apps CSV (${RUNS} lines, ${2 * MODEL_RUNS} valid rows and outputs)`, (r) => {
  const tally = new Tally();
  check(lineNear(computeAppRowModel.map(computeAppRowFields)), (line) => {
    const reading = parseComputeAppsLine(line);
    tally.count(reading !== undefined);
    if (reading !== undefined) assertWellFormedProcess(reading);
  });
  r.did(`read ${tally.accepted} of ${tally.total} random or damaged lines as rows; skipped the other ${tally.rejected} as not rows`);
  r.held('no exception; every row read has a whole pid > 0, a one-word uuid, whole finite bytes ≥ 0 or null');

  check(fc.tuple(computeAppRowModel, lineFraming), ([row, framing]) => assert.deepEqual(parseComputeAppsLine(frameLine(computeAppRowFields(row).join(', '), framing)), expectedProcessReading(row)), MODEL_RUNS);
  r.held('valid rows (with or without units, markers, BOM, CRLF, padding) read back exactly');

  check(outputOf(computeAppRowModel, computeAppRowFields), (lines) => {
    const expected = lines.flatMap(({ model }) => (model === undefined ? [] : [expectedProcessReading(model)]));
    assert.deepEqual(parseComputeAppsOutput(lines.map(({ line }) => line).join('\n')), expected);
  }, MODEL_RUNS);
  r.held('a whole output (header alone, nothing, or rows among messages) gives exactly its rows');
});

/** A row as the splitter sees it: only the index matters. */
function deviceRow(index: number, serial: number): GpuDeviceReading {
  return { index, uuid: `GPU-${serial}`, memoryUsedBytes: null, memoryTotalBytes: null, utilizationPercent: null };
}

faultCase('parsers', `random sequences of GPU rows into the round splitter (${RUNS} sequences, ${MODEL_RUNS} regular streams)`, (r) => {
  let rounds = 0;
  check(fc.array(fc.nat(7), { maxLength: 60 }), (indexes) => {
    const splitter = createDeviceRoundSplitter();
    const rows = indexes.map(deviceRow);
    let consumedUpTo = 0;
    rows.forEach((row, position) => {
      const round = splitter.push(row);
      if (round === undefined) return;
      rounds += 1;
      assert.ok(round.length > 0, 'an empty round');
      // A round is a run of rows pushed one after another, ending at or just before this row, never reused.
      const start = rows.indexOf(round[0]!);
      assert.ok(start >= consumedUpTo, 'a row went into two rounds');
      assert.deepEqual(round, rows.slice(start, start + round.length));
      assert.ok(start + round.length - 1 === position || start + round.length === position);
      for (let i = 1; i < round.length; i += 1) assert.ok(round[i]!.index > round[i - 1]!.index, 'indexes not increasing within a round');
      consumedUpTo = start + round.length;
    });
  });
  r.did(`cut ${rounds} rounds out of ${RUNS} random index sequences`);
  r.held('no exception; every round non-empty, with increasing indexes, a run of consecutive rows, no row in two rounds');

  check(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 })), ([gpus, iterations]) => {
    const splitter = createDeviceRoundSplitter();
    const emitted: GpuDeviceReading[][] = [];
    for (let iteration = 0; iteration < iterations; iteration += 1) {
      for (let index = 0; index < gpus; index += 1) {
        const round = splitter.push(deviceRow(index, iteration * gpus + index));
        if (round !== undefined) emitted.push(round);
      }
    }
    assert.equal(emitted.at(-1)?.at(-1)?.uuid, iterations === 1 ? undefined : `GPU-${iterations * gpus - 1}`);
    for (const round of emitted) assert.equal(round.length, gpus);
  }, MODEL_RUNS);
  r.held('regular loops of 1-8 GPUs: every round complete, and the newest is out as soon as its last row is in');
});

function assertConsistentCounts(counts: TestCounts): void {
  for (const [name, value] of Object.entries(counts)) assertWholeCount(value, name);
  assert.equal(counts.total, counts.passed + counts.failed + counts.skipped + counts.errors + counts.xfailed + counts.xpassed);
}

faultCase('parsers', `random, damaged and valid JUnit XML (${RUNS} texts, ${2 * MODEL_RUNS} documents)`, (r) => {
  const tally = new Tally();
  const cut = fc.tuple(junitDocument.map(renderJunit), fc.nat(), fc.oneof(fc.constant(''), randomText)).map(([xml, at, junk]) => {
    const where = at % (xml.length + 1);
    return xml.slice(0, where) + junk + (junk === '' ? '' : xml.slice(where));
  });
  check(fc.oneof(randomText, cut), (xml) => {
    const counts = parseJunitCounts(xml);
    tally.count(counts !== undefined);
    if (counts !== undefined) assertConsistentCounts(counts);
  });
  r.did(`counted ${tally.accepted} of ${tally.total} random or cut documents; returned "not JUnit" (undefined) for ${tally.rejected}`);
  r.held('no exception; counts whole, ≥ 0, and total = passed + failed + skipped + errors + xfailed + xpassed');

  check(junitDocument, (model) => assert.deepEqual(parseJunitCounts(renderJunit(model)), expectedJunitCounts(model)), MODEL_RUNS);
  r.held('valid documents (nested suites, <testsuites> or bare root, testcases without attributes or with text only, BOM, CRLF) counted exactly');

  const deep = (depth: number): string => `${'<testsuite>'.repeat(depth)}<testcase/>${'</testsuite>'.repeat(depth)}`;
  assert.deepEqual(parseJunitCounts(deep(50)), { total: 1, passed: 1, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
  assert.equal(parseJunitCounts(deep(100_000)), undefined);
  r.held('100,000 nested suites: "not JUnit", no stack overflow');
});

// The fields of each event, from test-events.ts: an accepted event carries these and nothing else.
const EVENT_KEYS: Record<TestEvent['event'], string[]> = {
  'session-start': ['rss'],
  collected: ['count'],
  'test-start': ['nodeid', 'rss', 'gpu'],
  'test-end': ['nodeid', 'outcome', 'duration', 'rss', 'gpu', 'message', 'longrepr', 'crash', 'file', 'line', 'peak', 'peakMethod', 'childPeak', 'groupPeak', 'groupStart', 'gpuPeak', 'sharedSetup', 'newModules'],
  'worker-crashed': ['crashedWorker', 'nodeid', 'message', 'exitCode', 'signal'],
  'collect-report': ['nodeid', 'outcome', 'longrepr'],
  'session-finish': ['exitstatus', 'peak', 'groupUnavailable'],
};

/** Seconds that become milliseconds downstream (durations, timeline marks) must stay whole numbers there. */
function assertSecondsUsable(seconds: number, what: string): void {
  assert.ok(Number.isSafeInteger(Math.round(seconds * 1000)), `${what} ${seconds} s is no usable number of ms`);
}

function assertWellFormedEvent(event: TestEvent): void {
  assert.deepEqual(Object.keys(event).sort(), ['event', 'pid', 'worker', 't', ...EVENT_KEYS[event.event]].sort());
  assert.ok(Number.isSafeInteger(event.pid) && event.pid > 0);
  assertSecondsUsable(event.t, 't');
  const record = event as unknown as Record<string, unknown>;
  for (const field of ['rss', 'gpu', 'count', 'peak', 'childPeak', 'gpuPeak', 'newModules'] as const) if (field in record) assertBytesOrNull(record[field] as number | null, field);
  if (event.event === 'test-end') {
    assert.ok(event.duration >= 0);
    assertSecondsUsable(event.duration, 'duration');
    if (event.line !== null) assert.ok(Number.isSafeInteger(event.line) && event.line >= 1);
    if (event.crash !== null) {
      assert.deepEqual(Object.keys(event.crash).sort(), ['line', 'message', 'path']);
      assert.equal(typeof event.crash.message, 'string');
      assert.ok(event.crash.path === null || typeof event.crash.path === 'string');
      assert.ok(event.crash.line === null || (Number.isSafeInteger(event.crash.line) && event.crash.line >= 1));
    }
  }
  if (event.event === 'session-finish') assert.ok(Number.isSafeInteger(event.exitstatus));
}

/** Feeds accepted events to the chunk's test state, as a run does; its records must be usable. */
function assertConsumable(events: TestEvent[]): void {
  const state = new ChunkTestState();
  for (const event of events) state.apply(event);
  const { records } = state.finish({ reason: 'timeout', chunkRssBytes: null, rssByPid: new Map() }, 'crashed');
  for (const record of records) if (record.durationMs !== null) assertWholeCount(record.durationMs, 'durationMs');
  for (const value of Object.values(state.progress())) if (typeof value === 'number') assertWholeCount(value, 'progress');
}

faultCase('parsers', `random and damaged plugin event lines (${RUNS} batches of 1-5 lines, ${2 * MODEL_RUNS} valid lines and streams)`, (r) => {
  const tally = new Tally();
  const damaged = fc.tuple(testEvent, eventDamage).map(([event, damage]) => damageEventLine(event, damage));
  const jsonText = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value));
  check(fc.array(fc.oneof({ weight: 4, arbitrary: damaged }, { weight: 1, arbitrary: randomText }, { weight: 1, arbitrary: jsonText }), { minLength: 1, maxLength: 5 }), (lines) => {
    const events: TestEvent[] = [];
    for (const line of lines) {
      const event = parseTestEvent(line);
      tally.count(event !== undefined);
      if (event === undefined) continue;
      assertWellFormedEvent(event);
      events.push(event);
    }
    assertConsumable(events);
  });
  r.did(`took ${tally.accepted} of ${tally.total} random or damaged lines as events; dropped ${tally.rejected}`);
  r.held('no exception; accepted events carry exactly their declared fields, whole pids, counts and bytes ≥ 0, seconds usable as ms');
  r.held('accepted events fed to the chunk\'s test state give whole durations and counts');

  check(testEvent, (event) => assert.deepEqual(parseTestEvent(JSON.stringify(event)), event), MODEL_RUNS);
  r.held('every valid event line reads back as itself');

  const line = fc.oneof(testEvent.map((event) => JSON.stringify(event)), randomText.map((text) => text.replace(/\n/g, '')), fc.constant(''));
  check(fc.tuple(fc.array(line, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 })), ([lines, cuts]) => {
    const text = lines.join('\n');
    const whole = parseTestEventLines(text);
    // Read in pieces, as a growing file is: each read's partial line goes in front of the next.
    const positions = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
    const events: TestEvent[] = [];
    let partial = '';
    let from = 0;
    for (const to of [...positions, text.length]) {
      const piece = parseTestEventLines(partial + text.slice(from, to));
      events.push(...piece.events);
      partial = piece.partial;
      from = to;
    }
    assert.deepEqual(events, whole.events);
    assert.equal(partial, whole.partial);
  }, MODEL_RUNS);
  r.held('a stream read in random pieces gives the same events and unfinished line as read whole');
});

/** Runs what a run does with an accepted history: the table, the stats, appending a run. */
function assertHistoryUsable(history: History): void {
  assert.equal(typeof formatHistoryTable(history), 'string');
  for (const name of chunkNames(history)) {
    chunkStats(history, name);
    for (const durationMs of testDurations(history, name).values()) assert.ok(Number.isFinite(durationMs));
  }
  const next = appendRun(history, { runId: 'next', startedAt: new Date(0).toISOString(), finishedAt: null, chunks: [] });
  assert.equal(findHistoryProblem(JSON.parse(JSON.stringify(next))), undefined);
}

// Problems are the end of the sentence readHistory prints: short, and of one of two kinds.
const PROBLEM_PATTERN = /^(is not a run-chunks history|has schemaVersion )/;
const PROBLEM_MAX_CHARS = 200;

function assertClearProblem(problem: string): void {
  assert.match(problem, PROBLEM_PATTERN);
  assert.ok(problem.length <= PROBLEM_MAX_CHARS, `a ${problem.length}-character problem: ${problem.slice(0, 80)}…`);
}

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

faultCase('parsers', `random and damaged history files (${RUNS} values, ${MODEL_RUNS} histories, ${MODEL_RUNS / 4} files)`, async (r) => {
  const tally = new Tally();
  const mutated = fc.tuple(validHistory, fc.nat(), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined))).map(([history, pick, replacement]) => {
    const paths = pathsOf(history);
    return paths.length === 0 ? history : replaceAt(history, paths[pick % paths.length]!, replacement);
  });
  check(fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) }), (value) => {
    const problem = findHistoryProblem(value);
    tally.count(problem === undefined);
    if (problem === undefined) assertHistoryUsable(value as History);
    else assertClearProblem(problem);
  });
  r.did(`accepted ${tally.accepted} of ${tally.total} damaged or random JSON values; rejected ${tally.rejected} with a problem sentence`);
  r.held(`no exception; each problem a sentence of ≤ ${PROBLEM_MAX_CHARS} characters naming where the file is wrong`);
  r.held('every accepted value works: history table, chunk stats, test durations, appending a run');

  check(validHistory, (history) => {
    assert.equal(findHistoryProblem(history), undefined);
    assertHistoryUsable(history);
  }, MODEL_RUNS);
  r.held('every valid history is accepted');

  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-history-fuzz-'));
  tempDirs.push(dir);
  const file = path.join(dir, 'history.json');
  const content = fc.oneof(randomText, mutated.map((value) => JSON.stringify(value) ?? ''), validHistory.map((history) => JSON.stringify(history).slice(0, -3)));
  await fc.assert(
    fc.asyncProperty(content, async (text) => {
      writeFileSync(file, text);
      const warnings: string[] = [];
      const history = await readHistory(file, (message) => warnings.push(message));
      assert.ok(warnings.length <= 1);
      if (warnings.length === 1) {
        assert.deepEqual(history.runs, []);
        assert.match(warnings[0]!, /^Ignoring the run history .*: it .*\. A new history is started/s);
        assert.ok(warnings[0]!.length <= file.length + PROBLEM_MAX_CHARS + 150, `a ${warnings[0]!.length}-character warning`);
      } else assertHistoryUsable(history);
    }),
    { seed: SEED, numRuns: MODEL_RUNS / 4 },
  );
  r.held('random or cut files: one warning naming the file, an empty history, never an exception');
});
