import path from 'node:path';
import { writeReportFile } from '../reporters/write-report-file.js';
import { formatMiB, readRegularFile } from '../util/read-regular-file.js';
import { UserError } from '../util/user-error.js';
import type { ChunkReport, RunReport } from '../results/report-types.js';
import type { TestRecord } from '../results/test-records.js';
import { TestIdTable } from './history-tests.js';
import { DEFAULT_KEEP_RUNS, emptyHistory, MAX_HISTORY_CHUNKS, HISTORY_SCHEMA_VERSION, type History, type HistoryChunk, type HistoryRun, type RecordedChunk, type RecordedRun, type TestSample } from './history-types.js';
import { findHistoryProblem } from './validate-history.js';

// Reading, updating and writing the run history. Losing the history must never cost a run: a
// missing file is an empty history, and an unreadable or damaged one is reported once and
// replaced, never thrown.

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// 10 runs of a 200,000-test chunk come to about 60 MiB of compact JSON; a file four times that is
// not a history, and V8 cannot hold a string much past 512 MiB anyway.
export const MAX_HISTORY_BYTES = 256 * 1024 * 1024;

/** The UserError for a history path that is no regular file, or too big: it is never read, nor replaced. */
function refuseHistoryFile(file: string, what: string, tooBig: boolean): UserError {
  const limit = tooBig ? `more than a history may be (at most ${formatMiB(MAX_HISTORY_BYTES)})` : 'not a history file';
  return new UserError(
    `The run history ${file} is ${what}, ${limit}, so run-chunks did not read it and would not replace it. Point --history at a regular JSON file (or a path that does not exist yet), or move that one away.`,
  );
}

/**
 * Reads the history file. A missing file gives an empty history without a word; one that cannot
 * be read, is not JSON, or is not a history of this schema version gives an empty history and one
 * call of `warn` with a sentence naming the file and what is wrong. A path that is a FIFO, device,
 * folder or a file over MAX_HISTORY_BYTES is judged before any read and throws a UserError (exit 2):
 * replacing it would write through a device or over something that is not a history.
 */
export async function readHistory(file: string, warn: (message: string) => void): Promise<History> {
  const ignore = (problem: string): History => {
    warn(`Ignoring the run history ${file}: it ${problem}. A new history is started; the next recorded run replaces the file.`);
    return emptyHistory();
  };
  let text: string;
  try {
    const read = await readRegularFile(file, MAX_HISTORY_BYTES);
    if (read.kind === 'missing') return emptyHistory();
    if (read.kind === 'refused') throw refuseHistoryFile(file, read.what, read.sizeBytes !== undefined);
    text = read.bytes.toString('utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    return ignore(`could not be read (${describeError(error)})`);
  }
  if (text.trim() === '') return ignore('is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return ignore(`is not valid JSON (${describeError(error)})`);
  }
  const problem = findHistoryProblem(value);
  return problem === undefined ? (value as History) : ignore(problem);
}

/**
 * Writes the history atomically (a reader never sees half a file, a full disk leaves the earlier
 * file as it was), creating its folder. The JSON is compact on purpose: indenting 200,000 test
 * tuples would triple the file. Throws a ReportWriteError naming the file.
 */
export async function writeHistory(file: string, history: History): Promise<void> {
  await writeReportFile(path.resolve(file), `${JSON.stringify(history)}\n`);
}

/** A stored chunk's own figures, and any fields a later run-chunks added, without its tests and their peaks. */
function withoutTests(chunk: HistoryChunk): Omit<HistoryChunk, 'tests' | 'testPeaks'> {
  const figures: Partial<HistoryChunk> = { ...chunk };
  delete figures.tests;
  delete figures.testPeaks;
  return figures as Omit<HistoryChunk, 'tests' | 'testPeaks'>;
}

/**
 * Of runs oldest first, each run's chunks that the history keeps: each chunk's last `keepRuns`
 * runs (a run holding two entries of one chunk, its shards, counts once), and only the
 * MAX_HISTORY_CHUNKS chunks recorded most recently. Per chunk rather than per run, so that nine
 * runs of `--chunk a` do not push every other chunk out of the history.
 */
function keptChunks(runs: readonly HistoryRun[], keepRuns: number): HistoryChunk[][] {
  const runsOfChunk = new Map<string, number>();
  const kept: HistoryChunk[][] = [];
  for (const run of [...runs].reverse()) {
    const keep = new Set<string>();
    for (const name of new Set(run.chunks.map((chunk) => chunk.name))) {
      const seen = runsOfChunk.get(name);
      if (seen === undefined ? runsOfChunk.size >= MAX_HISTORY_CHUNKS : seen >= keepRuns) continue;
      runsOfChunk.set(name, (seen ?? 0) + 1);
      keep.add(name);
    }
    kept.unshift(run.chunks.filter((chunk) => keep.has(chunk.name)));
  }
  return kept;
}

/**
 * Adds a run to the history and keeps each chunk's last `keepRuns` runs (see keptChunks); a run
 * left with no chunk is dropped. Runs stay oldest first, in the order they were recorded. A run
 * whose runId is already in the history replaces it, so recording the same run twice (merging the
 * same dirs again, say) does not count it twice. Pure: returns a new history, with an id table
 * holding only the node ids the kept entries use.
 */
export function appendRun(history: History, run: RecordedRun, keepRuns = DEFAULT_KEEP_RUNS): History {
  if (!Number.isInteger(keepRuns) || keepRuns < 1) throw new RangeError(`keepRuns must be a whole number from 1, got ${keepRuns}`);
  // The new run is stored into a table of its own first, so that it is re-indexed like the others.
  const scratch = new TestIdTable();
  const added: HistoryRun = {
    runId: run.runId,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    chunks: run.chunks.map(({ tests, ...figures }) => ({ ...figures, ...scratch.storeTests(tests) })),
  };
  const fromScratch: History = { ...emptyHistory(), testIds: scratch.ids };
  const table = new TestIdTable();
  const all = [...history.runs.filter((old) => old.runId !== run.runId), added];
  const kept = keptChunks(all, keepRuns);
  const runs: HistoryRun[] = [];
  for (const [index, old] of all.entries()) {
    const chunks = kept[index]!;
    if (chunks.length === 0) continue;
    const source = old === added ? fromScratch : history;
    runs.push({ ...old, chunks: chunks.map((chunk) => ({ ...withoutTests(chunk), ...table.reindexTests(source, chunk) })) });
  }
  return { schemaVersion: HISTORY_SCHEMA_VERSION, testIds: table.ids, runs };
}

/** A test's final record: a recovery attempt's result replaces the first attempt's. */
function finalRecords(records: readonly TestRecord[]): Map<string, TestRecord> {
  const byNodeid = new Map<string, TestRecord>();
  for (const record of records) {
    const seen = byNodeid.get(record.nodeid);
    if (seen === undefined || record.attempt >= seen.attempt) byNodeid.set(record.nodeid, record);
  }
  return byNodeid;
}

function toSample(record: TestRecord): TestSample {
  const { durationMs, rssStartBytes, rssEndBytes, peakRssBytes, peakRssSource } = record;
  return {
    durationMs: durationMs === null ? null : Math.round(durationMs),
    outcome: record.outcome,
    rssDeltaBytes: rssStartBytes !== null && rssEndBytes !== null ? Math.round(rssEndBytes - rssStartBytes) : null,
    peak: peakRssBytes !== null && peakRssSource !== null ? { bytes: Math.round(peakRssBytes), source: peakRssSource } : null,
  };
}

// Statuses of an attempt that did not end on its own: what it measured is a lower bound.
const STOPPED_STATUSES: readonly string[] = ['timeout', 'memory-limit', 'gpu-memory-limit', 'oom', 'killed', 'crashed', 'interrupted'];

/** Whether the chunk or any of its attempts was stopped before it ended on its own. */
export function wasStopped(chunk: ChunkReport): boolean {
  return STOPPED_STATUSES.includes(chunk.status) || chunk.attempts.some((attempt) => STOPPED_STATUSES.includes(attempt.status));
}

function recordChunk(chunk: ChunkReport, records: readonly TestRecord[]): RecordedChunk {
  const tests = new Map<string, TestSample>();
  // Tests that never started measured nothing; leaving them out keeps killed chunks' entries small.
  for (const [nodeid, record] of finalRecords(records)) if (record.outcome !== 'not-run') tests.set(nodeid, toSample(record));
  const sampled = chunk.memory !== null && chunk.memory.samples > 0;
  return {
    name: chunk.name,
    status: chunk.status,
    durationMs: Math.round(chunk.durationMs),
    workers: chunk.workers,
    peakRssBytes: sampled ? chunk.memory!.peakRssBytes : null,
    peakPssBytes: sampled ? chunk.memory!.peakPssBytes : null,
    peakGpuBytes: chunk.gpu?.peakBytes ?? null,
    shard: chunk.shard === null ? null : { index: chunk.shard.index, count: chunk.shard.count },
    stopped: wasStopped(chunk),
    tests,
  };
}

/**
 * What a finished run adds to the history: every chunk that started, with its tests' final
 * records (`records` maps chunk name → that chunk's TestRecords, attempts included). Chunks that
 * were skipped or never started are left out; a chunk without records (one merged from another
 * machine, without its JUnit file) is recorded with its figures and no tests. Pure.
 */
export function historyRunFromReport(report: RunReport, records: ReadonlyMap<string, readonly TestRecord[]> = new Map()): RecordedRun {
  return {
    runId: report.runId,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    chunks: report.chunks
      .filter((chunk) => chunk.startedAt !== null && chunk.status !== 'skipped')
      .map((chunk) => recordChunk(chunk, records.get(chunk.name) ?? [])),
  };
}
