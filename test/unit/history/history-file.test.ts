import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { appendRun, historyRunFromReport, readHistory, writeHistory } from '../../../src/history/history-file.js';
import { readChunkTests } from '../../../src/history/history-tests.js';
import { emptyHistory, MAX_HISTORY_CHUNKS, type History } from '../../../src/history/history-types.js';
import { chunkReport, memory, runReport, testRecord } from '../merge/report-fixtures.js';
import { historyOf, recordedChunk, recordedRun, timedTests } from './history-fixtures.js';

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-history-'));
  tempDirs.push(dir);
  return dir;
}

/** Reads a history and returns it with every warning given. */
async function readWithWarnings(file: string): Promise<{ history: History; warnings: string[] }> {
  const warnings: string[] = [];
  const history = await readHistory(file, (message) => warnings.push(message));
  return { history, warnings };
}

test('a missing history file is an empty history, without a warning', async () => {
  const { history, warnings } = await readWithWarnings(path.join(tempDir(), 'nope', 'history.json'));
  assert.deepEqual(history, emptyHistory());
  assert.deepEqual(warnings, []);
});

test('a damaged, foreign or unreadable history file warns once, naming the file and the problem, and starts afresh', async () => {
  const dir = tempDir();
  const cases: [name: string, content: string, problem: RegExp][] = [
    ['cut.json', '{"schemaVersion":1,"testIds":[],"runs":[{"runId"', /is not valid JSON \(/],
    ['empty.json', '', /is empty/],
    ['future.json', JSON.stringify({ schemaVersion: 2, testIds: [], runs: [] }), /has schemaVersion 2, and this run-chunks reads only version 1/],
    ['array.json', '[1, 2]', /is not a run-chunks history/],
    [
      'bad-run.json',
      JSON.stringify({ schemaVersion: 1, testIds: [], runs: [{ runId: 'r', startedAt: 'x', finishedAt: null, chunks: [{ name: 'a', status: 'passed', durationMs: 'slow' }] }] }),
      /is not a run-chunks history: runs\[0\]\.chunks\[0\]\.durationMs must be a number/,
    ],
    ['bad-index.json', JSON.stringify(historyOf([[recordedChunk('a', { tests: timedTests([['t', 5]]) })]])).replace('"testIds":["t"]', '"testIds":[]'), /tests\[0\]\[0\] must index testIds/],
  ];
  for (const [name, content, problem] of cases) {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    const { history, warnings } = await readWithWarnings(file);
    assert.deepEqual(history, emptyHistory(), name);
    assert.equal(warnings.length, 1, name);
    assert.match(warnings[0]!, problem, name);
    assert.ok(warnings[0]!.startsWith(`Ignoring the run history ${file}: it `), warnings[0]);
  }
});

test('a history path that is a folder, a FIFO or a device is refused (UserError) before any read, never replaced', async () => {
  const dir = tempDir();
  const folder = path.join(dir, 'folder.json');
  mkdirSync(folder);
  const fifo = path.join(dir, 'pipe.json');
  execFileSync('mkfifo', [fifo]);
  for (const [file, what] of [[folder, 'a folder'], [fifo, 'a named pipe (FIFO)'], ['/dev/null', 'a character device']] as const) {
    await assert.rejects(readWithWarnings(file), { name: 'UserError', message: new RegExp(`^The run history ${file} is ${what.replace(/[()]/g, '\\$&')}, not a history file, so run-chunks did not read it`) });
  }
  assert.ok(statSync(folder).isDirectory());
});

test('writeHistory creates the folder, writes atomically (no temp file left) and round-trips', async () => {
  const file = path.join(tempDir(), '.run-chunks', 'deep', 'history.json');
  const history = historyOf([[recordedChunk('unit', { tests: timedTests([['tests/test_a.py::test_x', 12], ['tests/test_a.py::test_y', null]]) })], [recordedChunk('unit')]]);
  await writeHistory(file, history);
  await writeHistory(file, history);
  assert.deepEqual(readdirSync(path.dirname(file)), ['history.json']);
  const { history: read, warnings } = await readWithWarnings(file);
  assert.deepEqual(warnings, []);
  assert.deepEqual(read, history);
  assert.ok(readFileSync(file, 'utf8').endsWith('}\n'));
});

test('appendRun keeps the last N runs and only the test ids they use', () => {
  let history = emptyHistory();
  for (let n = 1; n <= 5; n += 1) history = appendRun(history, recordedRun(n, [recordedChunk('unit', { tests: timedTests([[`t${n}`, n], ['shared', 100 + n]]) })]), 3);
  assert.deepEqual(
    history.runs.map((run) => run.runId),
    ['run-3', 'run-4', 'run-5'],
  );
  assert.deepEqual([...history.testIds].sort(), ['shared', 't3', 't4', 't5']);
  assert.deepEqual(
    history.runs.map((run) => [...readChunkTests(history, run.chunks[0]!)]),
    [3, 4, 5].map((n) => [
      [`t${n}`, { durationMs: n, outcome: 'passed', rssDeltaBytes: null, peak: null }],
      ['shared', { durationMs: 100 + n, outcome: 'passed', rssDeltaBytes: null, peak: null }],
    ]),
  );
  assert.deepEqual(
    appendRun(history, recordedRun(6, []), 1).runs.map((run) => run.runId),
    ['run-5'],
    'a run with no chunk left is dropped',
  );
  assert.throws(() => appendRun(history, recordedRun(6, []), 0), RangeError);
});

test('appendRun keeps the last N runs of each chunk: nine runs of one chunk leave the others\' runs and tests alone', () => {
  let history = appendRun(emptyHistory(), recordedRun(1, [recordedChunk('a'), recordedChunk('b', { tests: timedTests([['b::t', 7]]) })]));
  for (let n = 2; n <= 10; n += 1) history = appendRun(history, recordedRun(n, [recordedChunk('a', { tests: timedTests([[`a::t${n}`, n]]) })]));
  assert.equal(history.runs.length, 10);
  assert.deepEqual(history.runs[0]!.chunks.map((chunk) => chunk.name), ['a', 'b'], 'run 1 still holds both');
  // The 11th run of a drops a's entry from run 1, but run 1 stays for b, with b's tests.
  history = appendRun(history, recordedRun(11, [recordedChunk('a')]));
  assert.deepEqual(history.runs[0]!.chunks.map((chunk) => chunk.name), ['b']);
  assert.deepEqual([...readChunkTests(history, history.runs[0]!.chunks[0]!)], [['b::t', { durationMs: 7, outcome: 'passed', rssDeltaBytes: null, peak: null }]]);
  assert.equal(history.runs.flatMap((run) => run.chunks).filter((chunk) => chunk.name === 'a').length, 10);
  assert.ok(!history.testIds.includes('a::t1'));
  // b's own eleventh run is what finally drops run 1.
  for (let n = 12; n <= 21; n += 1) history = appendRun(history, recordedRun(n, [recordedChunk('b')]));
  assert.equal(history.runs.some((run) => run.runId === 'run-1'), false);
  assert.equal(history.testIds.includes('b::t'), false);
});

test('appendRun keeps runs of the MAX_HISTORY_CHUNKS chunks recorded most recently, and counts a run\'s shards of a chunk once', () => {
  let history = emptyHistory();
  for (let n = 1; n <= MAX_HISTORY_CHUNKS + 5; n += 1) history = appendRun(history, recordedRun(n, [recordedChunk(`c${n}`)]));
  const names = history.runs.flatMap((run) => run.chunks.map((chunk) => chunk.name));
  assert.equal(names.length, MAX_HISTORY_CHUNKS);
  assert.deepEqual(names.slice(0, 2), ['c6', 'c7'], 'the five chunks recorded longest ago are gone');
  const wide = appendRun(emptyHistory(), recordedRun(1, Array.from({ length: MAX_HISTORY_CHUNKS + 1 }, (_, i) => recordedChunk(`w${i}`))));
  assert.equal(wide.runs[0]!.chunks.length, MAX_HISTORY_CHUNKS, 'even one run cannot hold more');
  const shards = [1, 2].map((index) => recordedChunk('s', { shard: { index, count: 2 } }));
  let sharded = emptyHistory();
  for (let n = 1; n <= 3; n += 1) sharded = appendRun(sharded, recordedRun(n, shards), 2);
  assert.deepEqual(sharded.runs.map((run) => run.chunks.length), [2, 2]);
});

test('appendRun is pure, and a run recorded again replaces its earlier entry', () => {
  const history = historyOf([[recordedChunk('unit')], [recordedChunk('unit')]]);
  const before = JSON.stringify(history);
  const again = appendRun(history, recordedRun(1, [recordedChunk('unit', { durationMs: 5 })]));
  assert.equal(JSON.stringify(history), before);
  assert.deepEqual(
    again.runs.map((run) => [run.runId, run.chunks[0]!.durationMs]),
    [
      ['run-2', 60_000],
      ['run-1', 5],
    ],
  );
});

test('historyRunFromReport records every chunk that ran, with its peaks and its tests\' final results', () => {
  const report = runReport([
    chunkReport('unit', {
      durationMs: 1234.6,
      workers: 4,
      memory: memory(900, { metric: 'pss', peakPssBytes: 700 }),
      gpu: { peakBytes: 5000, attribution: 'process', limitBytes: null, devices: [] },
    }),
    chunkReport('no-samples', { status: 'oom', memory: memory(900, { samples: 0 }) }),
    chunkReport('skipped', { status: 'skipped', startedAt: null, memory: null }),
    chunkReport('preflight', { status: 'error', startedAt: null, memory: null }),
    chunkReport('elsewhere'),
    chunkReport('sharded', { shard: { index: 2, count: 4, tests: 10, collected: 40 } }),
  ]);
  const records = new Map([
    [
      'unit',
      [
        testRecord('t::big', { outcome: 'killed', durationMs: null, rssStartBytes: 100, rssEndBytes: 900 }),
        testRecord('t::big', { outcome: 'passed', durationMs: 40.4, rssStartBytes: 100, rssEndBytes: 350, peakRssBytes: 8000, peakRssSource: 'hwm', attempt: 2 }),
        testRecord('t::ok', { durationMs: 7, rssStartBytes: null, peakRssBytes: 350, peakRssSource: 'start-end' }),
        testRecord('t::never', { outcome: 'not-run', durationMs: null, rssStartBytes: null, rssEndBytes: null }),
      ],
    ],
  ]);
  const run = historyRunFromReport(report, records);
  assert.deepEqual({ runId: run.runId, startedAt: run.startedAt, finishedAt: run.finishedAt }, { runId: report.runId, startedAt: report.startedAt, finishedAt: report.finishedAt });
  assert.deepEqual(
    run.chunks.map((chunk) => chunk.name),
    ['unit', 'no-samples', 'elsewhere', 'sharded'],
  );
  const [unit, noSamples, elsewhere, sharded] = run.chunks;
  assert.deepEqual(
    { ...unit!, tests: [...unit!.tests] },
    {
      name: 'unit',
      status: 'passed',
      durationMs: 1235,
      workers: 4,
      peakRssBytes: 900,
      peakPssBytes: 700,
      peakGpuBytes: 5000,
      shard: null,
      stopped: false,
      tests: [
        ['t::big', { durationMs: 40, outcome: 'passed', rssDeltaBytes: 250, peak: { bytes: 8000, source: 'hwm' } }],
        ['t::ok', { durationMs: 7, outcome: 'passed', rssDeltaBytes: null, peak: { bytes: 350, source: 'start-end' } }],
      ],
    },
  );
  assert.deepEqual([noSamples!.status, noSamples!.peakRssBytes, noSamples!.peakPssBytes, noSamples!.stopped], ['oom', null, null, true]);
  assert.equal(elsewhere!.tests.size, 0, 'a chunk without records keeps its figures, with no tests');
  assert.deepEqual(sharded!.shard, { index: 2, count: 4 });
});

test('historyRunFromReport marks a chunk stopped when it, or any of its attempts, was killed: even one that recovered to passed', () => {
  const attempt = (status: 'oom' | 'passed' | 'memory-limit', n: number) => ({
    attempt: n, kind: n === 1 ? ('initial' as const) : ('not-run' as const), startedAt: '2026-05-01T10:00:00.000Z', status, message: '', exitCode: null, signal: null, workers: 1, durationMs: 1, tests: null, peakRssBytes: null, peakPssBytes: null, logFile: '',
  });
  const run = historyRunFromReport(
    runReport([
      chunkReport('recovered', { status: 'passed', attempts: [attempt('memory-limit', 1), attempt('passed', 2)] }),
      chunkReport('clean', { status: 'passed', attempts: [attempt('passed', 1)] }),
      chunkReport('failed', { status: 'failed' }),
      chunkReport('timeout', { status: 'timeout' }),
    ]),
  );
  assert.deepEqual(run.chunks.map((chunk) => [chunk.name, chunk.stopped]), [['recovered', true], ['clean', false], ['failed', false], ['timeout', true]]);
});

/** A passed test sample with a peak (MiB) known exactly ('hwm') or as a lower bound. */
function peakSample(peakMiB: number | null, source: 'hwm' | 'start-end' = 'hwm') {
  return { durationMs: 10, outcome: 'passed' as const, rssDeltaBytes: null, peak: peakMiB === null ? null : { bytes: peakMiB * 1024 * 1024, source } };
}

test('each test\'s peak is stored beside its tuple, by position, and stays with its test when runs are dropped and ids renumbered', () => {
  let history = emptyHistory();
  for (let n = 1; n <= 4; n += 1) {
    const tests = new Map([
      [`only-${n}`, peakSample(n)],
      ['shared', peakSample(100 + n, n % 2 === 0 ? 'start-end' : 'hwm')],
      ['unmeasured', peakSample(null)],
    ]);
    history = appendRun(history, recordedRun(n, [recordedChunk('unit', { tests }), recordedChunk('no-peaks', { tests: timedTests([['plain', 5]]) })]), 2);
  }
  const [unit, noPeaks] = history.runs.at(-1)!.chunks;
  // Every tuple keeps its four members, so a run-chunks that predates testPeaks still reads the file.
  assert.ok(history.runs.every((run) => run.chunks.every((chunk) => chunk.tests.every((tuple) => tuple.length === 4))));
  assert.equal(unit!.testPeaks!.length, unit!.tests.length);
  assert.equal('testPeaks' in noPeaks!, false, 'a chunk without any peak stores no testPeaks');
  assert.deepEqual(
    history.runs.map((run) => [...readChunkTests(history, run.chunks[0]!)].map(([nodeid, sample]) => [nodeid, sample.peak])),
    [3, 4].map((n) => [
      [`only-${n}`, { bytes: n * 1024 * 1024, source: 'hwm' }],
      ['shared', { bytes: (100 + n) * 1024 * 1024, source: n % 2 === 0 ? 'start-end' : 'hwm' }],
      ['unmeasured', null],
    ]),
  );
});

test('a history written before test peaks (no testPeaks) is read without a warning, and a run with peaks is added to it', async () => {
  const file = path.join(tempDir(), 'history.json');
  const old = {
    schemaVersion: 1,
    testIds: ['t::a'],
    runs: [{ runId: 'old', startedAt: '2026-04-01T10:00:00.000Z', finishedAt: null, chunks: [{ name: 'unit', status: 'passed', durationMs: 5, workers: 1, peakRssBytes: 9, peakPssBytes: null, peakGpuBytes: null, shard: null, tests: [[0, 3, 'passed', null]] }] }],
  };
  writeFileSync(file, JSON.stringify(old));
  const { history, warnings } = await readWithWarnings(file);
  assert.deepEqual(warnings, []);
  assert.deepEqual([...readChunkTests(history, history.runs[0]!.chunks[0]!)], [['t::a', { durationMs: 3, outcome: 'passed', rssDeltaBytes: null, peak: null }]]);
  const next = appendRun(history, recordedRun(1, [recordedChunk('unit', { tests: new Map([['t::a', peakSample(7)]]) })]));
  assert.equal('testPeaks' in next.runs[0]!.chunks[0]!, false);
  assert.deepEqual(next.runs[1]!.chunks[0]!.testPeaks, [[7 * 1024 * 1024, 'hwm']]);
  await writeHistory(file, next);
  assert.deepEqual((await readWithWarnings(file)).history, next);
});

test('a history file written when runs were kept overall (ten runs, the last nine of one chunk) reads and keeps every chunk from then on', async () => {
  const file = path.join(tempDir(), 'history.json');
  const entry = (name: string, durationMs: number) => ({ name, status: 'passed', durationMs, workers: 1, peakRssBytes: 9, peakPssBytes: null, peakGpuBytes: null, shard: null, tests: [] });
  const runs = [{ runId: 'r1', startedAt: '2026-04-01T10:00:00.000Z', finishedAt: null, chunks: [entry('a', 1), entry('b', 2)] }];
  for (let n = 2; n <= 10; n += 1) runs.push({ runId: `r${n}`, startedAt: '2026-04-01T10:00:00.000Z', finishedAt: null, chunks: [entry('a', n)] });
  writeFileSync(file, JSON.stringify({ schemaVersion: 1, testIds: [], runs }));
  const { history, warnings } = await readWithWarnings(file);
  assert.deepEqual(warnings, []);
  const next = appendRun(history, recordedRun(11, [recordedChunk('a')]));
  assert.deepEqual(next.runs[0]!.chunks, [entry('b', 2)], 'b\'s only run survives the eleventh run of a');
  assert.equal(next.runs.length, 11);
});

test('20,000 tests × 10 runs stay a few MB (about 11 MiB with ~95-character node ids and every test\'s peak)', () => {
  const nodeids = Array.from({ length: 20_000 }, (_, i) => `tests/integration/models/test_module_${Math.floor(i / 40)}.py::TestGeneration::test_generate[bf16-case-${i}]`);
  let history = emptyHistory();
  for (let n = 1; n <= 10; n += 1) {
    const tests = new Map(nodeids.map((nodeid, i) => [nodeid, { durationMs: 100 + ((i * 7 + n) % 5000), outcome: 'passed' as const, rssDeltaBytes: i % 3 === 0 ? (i * 4096) % 50_000_000 : null, peak: { bytes: 300_000_000 + i * 4096, source: 'hwm' as const } }]));
    history = appendRun(history, recordedRun(n, [recordedChunk('integration', { tests })]));
  }
  const bytes = Buffer.byteLength(JSON.stringify(history));
  assert.ok(bytes < 12 * 1024 * 1024, `history is ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
  assert.equal(history.testIds.length, 20_000);
});

test('a history written by writeHistory reads back through the validator, for a large history too', async () => {
  const file = path.join(tempDir(), 'history.json');
  const tests = timedTests(Array.from({ length: 2000 }, (_, i): [string, number] => [`t${i}`, i]));
  const history = historyOf(Array.from({ length: 10 }, () => [recordedChunk('a', { tests })]));
  await writeHistory(file, history);
  assert.ok(statSync(file).size > 0);
  const { history: read, warnings } = await readWithWarnings(file);
  assert.deepEqual(warnings, []);
  assert.equal(read.runs.length, 10);
});
