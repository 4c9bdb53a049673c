import type { ChunkStatus } from '../results/outcome.js';
import type { PeakSource, TestRecordOutcome } from '../results/test-records.js';

// The shape of the run history file (.run-chunks/history.json): its one declared type. The file
// keeps each chunk's last N runs (a run records only the chunks it ran): each chunk's duration and
// memory peaks, and each of its tests' duration, outcome and memory growth. Per-test data is the
// bulk (20,000 tests × 10 runs), so tests are stored as tuples that point into one table of node ids instead of repeating each
// ~90-character id in every run: such a history takes about 7 MB (2 MB of ids, 5 MB of results),
// about 11 MB with every test's peak, where objects keyed by node id would take about 30 MB.

/**
 * Bumped on any incompatible change to the history's shape; a file with another version is started
 * afresh. Keeping runs per chunk changed which entries are kept, not the shape: a run has always
 * held only the chunks it ran (--chunk), so files of either rule read as version 1 both ways.
 */
export const HISTORY_SCHEMA_VERSION = 1;

/** Where the history is kept when --history is not given (relative to the current folder). */
export const DEFAULT_HISTORY_FILE = '.run-chunks/history.json';

/**
 * How many runs of each chunk the history keeps: enough for a median and a trend, small enough to
 * read at every run. Counted per chunk, not per run: `--chunk a` run ten times keeps ten runs of a
 * and every other chunk's own last ten.
 */
export const DEFAULT_KEEP_RUNS = 10;

/**
 * How many chunks the history keeps runs of: the ones recorded most recently. With DEFAULT_KEEP_RUNS
 * this bounds the file at 2,000 chunk entries, whatever the chunk names a config has had over time
 * (a renamed chunk's old runs go once 200 others are newer, not never).
 */
export const MAX_HISTORY_CHUNKS = 200;

/** Every test outcome a history stores, as the file's reader checks them. */
export const HISTORY_TEST_OUTCOMES = ['passed', 'failed', 'skipped', 'error', 'xfailed', 'xpassed', 'killed', 'crashed', 'not-run'] as const satisfies readonly TestRecordOutcome[];
export type HistoryTestOutcome = (typeof HISTORY_TEST_OUTCOMES)[number];
// Fails to compile when TestRecordOutcome gains a value the list above lacks.
const everyOutcomeListed: Exclude<TestRecordOutcome, HistoryTestOutcome> extends never ? true : never = true;
void everyOutcomeListed;

/**
 * One test in one run, as stored: [index into History.testIds, durationMs, outcome, rssDeltaBytes].
 * durationMs is null for a test that never ended on its own (killed, crashed); rssDeltaBytes (its
 * process's RSS at its end minus at its start) is null when either figure was not measured.
 */
export type HistoryTest = [testIndex: number, durationMs: number | null, outcome: HistoryTestOutcome, rssDeltaBytes: number | null];

/** One test's peak RSS in one run, as stored: [peakRssBytes, how it is known ('hwm' exact, 'start-end' a lower bound)]. */
export type HistoryTestPeak = [peakRssBytes: number, peakRssSource: PeakSource];

/** Chunk-level figures of one recorded chunk, shared by the stored and the recorded forms. */
export interface HistoryChunkFigures {
  name: string;
  status: ChunkStatus;
  durationMs: number;
  workers: number;
  /** Peaks of the chunk's whole process tree; null when memory was not sampled (or PSS not readable). */
  peakRssBytes: number | null;
  peakPssBytes: number | null;
  /** Null when GPU memory was not sampled. */
  peakGpuBytes: number | null;
  /** Set when the run ran only shard `index` of `count` of the chunk (--shard I/N). */
  shard: { index: number; count: number } | null;
  /**
   * True when the chunk, or one of its attempts, was stopped before it ended on its own (a kill,
   * a limit, a timeout, a crash, Ctrl-C): its peak and duration are then lower bounds, not
   * samples of what a whole run takes. Absent in histories written before this field.
   */
  stopped?: boolean;
}

/** One chunk of one run, as stored in history.json. */
export interface HistoryChunk extends HistoryChunkFigures {
  tests: HistoryTest[];
  /**
   * Each test's peak, by position: testPeaks[i] belongs to tests[i] (null: no peak measured).
   * Absent when no test of the chunk had one, and in histories written before this field. A
   * parallel list rather than two more tuple members, so that a run-chunks that predates it
   * still reads the file (it checks each tuple's length) and keeps the list when it adds a run.
   */
  testPeaks?: (HistoryTestPeak | null)[];
}

/** One run, as stored in history.json. */
export interface HistoryRun {
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  /**
   * The chunks that ran (skipped and never-started chunks are not recorded), less any whose entry
   * has since dropped out (more than N newer runs of that chunk): a run may hold fewer chunks than it ran.
   */
  chunks: HistoryChunk[];
}

/** The whole history file. Runs are kept in the order they were recorded, oldest first. */
export interface History {
  schemaVersion: typeof HISTORY_SCHEMA_VERSION;
  /** Every test node id that a kept run refers to, once. */
  testIds: string[];
  runs: HistoryRun[];
}

/** One test's result in one run, in readable form. */
export interface TestSample {
  durationMs: number | null;
  outcome: HistoryTestOutcome;
  rssDeltaBytes: number | null;
  /** The test's peak RSS in its own process, and how it is known; null when not measured. */
  peak: { bytes: number; source: PeakSource } | null;
}

/** One chunk of a run that is not in a history yet: its tests keyed by node id. */
export interface RecordedChunk extends HistoryChunkFigures {
  /** A Map, not an object: a node id is any string, "__proto__" included. */
  tests: ReadonlyMap<string, TestSample>;
}

/** A run as recorded from its report, ready for appendRun. */
export interface RecordedRun {
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  chunks: RecordedChunk[];
}

/** A history with no runs. */
export function emptyHistory(): History {
  return { schemaVersion: HISTORY_SCHEMA_VERSION, testIds: [], runs: [] };
}
