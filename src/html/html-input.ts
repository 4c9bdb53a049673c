// What the HTML report needs beyond report.json: each chunk's memory timeline (samples.jsonl) and
// when its tests started (events.jsonl). Both are written by other processes and may be missing,
// cut short by a kill or damaged: a line that does not parse is dropped, a missing file is empty.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { MemorySample } from '../monitor/sample-types.js';
import { ChunkTestState } from '../results/chunk-test-state.js';
import { parseTestEventLines } from '../results/parse-test-event.js';
import type { ChunkReport, RunReport } from '../results/report-types.js';
import type { TestStartEvent } from '../results/test-events.js';
import { bareRecord, type TestRecord, type TestRecordOutcome } from '../results/test-records.js';
import { describeVerdict } from '../results/verdict-text.js';
import { resolveFileRefs, type FileRefs } from './file-links.js';

/** A test's start on a chunk's memory chart. */
export interface TestMark {
  /** Milliseconds since the chunk started (the samples' clock). */
  tMs: number;
  nodeid: string;
  /** Growth of the test's own process from its start to its end; null when it never ended or RSS was unknown. */
  rssDeltaBytes: number | null;
  /** How it ended ('passed', 'failed', ...), 'killed' for a blamed test, 'unfinished' for one that never ended. */
  outcome: string;
}

/** A test that failed, errored, or was killed or crashed with its chunk. */
export interface FailedTest {
  nodeid: string;
  outcome: TestRecordOutcome;
  message: string | null;
  longrepr: string | null;
  /** 1 for the chunk's first run, 2+ for recovery attempts. */
  attempt: number;
}

/** One chunk as the HTML report shows it. */
export interface HtmlChunkData {
  report: ChunkReport;
  /** The timeline of every attempt, on the chunk's clock (a recovery attempt's samples follow at its start). */
  samples: MemorySample[];
  /** Every attempt's test starts, on the chunk's clock, in time order. */
  testMarks: TestMark[];
  /** Failed, errored, killed and crashed tests of every attempt. */
  failedTests: FailedTest[];
  /** Every test of every attempt, in the order they ended (the run's records, or rebuilt from the events files). */
  records: readonly TestRecord[];
  /** How the page refers to the chunk's log, JUnit and attempt and shard logs (empty when the page's folder is not known). */
  fileRefs: FileRefs;
}

/** Where else to look for a chunk's files (`<dir>/<chunk>/`): `merge`'s input dirs, whose paths in report.json are another machine's. */
export interface HtmlInputOptions {
  searchDirs?: readonly string[];
  /** The folder the page is written in: files inside it are linked relatively. */
  htmlDir?: string;
}

const FAILED_OUTCOMES: readonly TestRecordOutcome[] = ['failed', 'error', 'killed', 'crashed'];

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((info) => info.isFile(), () => false);
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Parses samples.jsonl; a line without a numeric t and rssBytes is dropped. */
export function parseSamples(text: string): MemorySample[] {
  const samples: MemorySample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const record = value as Record<string, unknown>;
    const t = finiteOrNull(record.t);
    const rssBytes = finiteOrNull(record.rssBytes);
    if (t === null || rssBytes === null) continue;
    samples.push({
      t,
      rssBytes,
      pssBytes: finiteOrNull(record.pssBytes),
      processes: finiteOrNull(record.processes) ?? 0,
      threads: finiteOrNull(record.threads),
      fds: finiteOrNull(record.fds),
      cpuPercent: finiteOrNull(record.cpuPercent) ?? 0,
      gpuBytes: finiteOrNull(record.gpuBytes),
    });
  }
  return samples.sort((a, b) => a.t - b.t);
}

/** Each test start of an events file, on the chunk's clock, with its RSS growth from the matching end. */
export function buildTestMarks(eventsText: string, chunk: ChunkReport): TestMark[] {
  const startedAtMs = chunk.startedAt === null ? NaN : Date.parse(chunk.startedAt);
  if (!Number.isFinite(startedAtMs)) return [];
  const blamed = new Set(chunk.blamedTests.map((test) => test.nodeid));
  // A trailing line without its newline is complete here: the writer is gone.
  const { events } = parseTestEventLines(`${eventsText}\n`);
  const open = new Map<string, { start: TestStartEvent; mark: TestMark }>();
  const marks: TestMark[] = [];
  for (const event of events) {
    // xdist workers run tests side by side: a start is matched with the end from its own process.
    if (event.event === 'test-start') {
      const mark: TestMark = { tMs: Math.round(event.t * 1000 - startedAtMs), nodeid: event.nodeid, rssDeltaBytes: null, outcome: blamed.has(event.nodeid) ? 'killed' : 'unfinished' };
      open.set(`${event.pid}\0${event.nodeid}`, { start: event, mark });
      marks.push(mark);
    } else if (event.event === 'test-end') {
      const key = `${event.pid}\0${event.nodeid}`;
      const started = open.get(key);
      if (!started) continue;
      open.delete(key);
      started.mark.outcome = event.outcome;
      if (started.start.rss !== null && event.rss !== null) started.mark.rssDeltaBytes = event.rss - started.start.rss;
    }
  }
  return marks.sort((a, b) => a.tMs - b.tMs);
}

/**
 * The tests of every attempt rebuilt from its events file, as the run builds them (completed
 * tests and modules that failed to collect), then the blamed tests as killed or crashed: for a
 * report dir read back without the run's records.
 */
export function recordsFromEvents(eventTexts: readonly { attempt: number; text: string }[], chunk: ChunkReport): TestRecord[] {
  const records: TestRecord[] = [];
  for (const { attempt, text } of eventTexts) {
    const state = new ChunkTestState(attempt);
    for (const event of parseTestEventLines(`${text}\n`).events) state.apply(event);
    records.push(...state.completed());
  }
  for (const test of chunk.blamedTests) {
    const verdict = test.verdict === null ? '' : `; ${describeVerdict(test.verdict)}`;
    const outcome = test.reason === 'crashed' || test.reason === 'exited' ? 'crashed' : 'killed';
    records.push({ ...bareRecord(test.nodeid, outcome, `running when the chunk ended: ${test.reason}${verdict}`, 1), worker: test.worker });
  }
  return records;
}

function failedTestsFromRecords(records: readonly TestRecord[]): FailedTest[] {
  return records
    .filter((record) => FAILED_OUTCOMES.includes(record.outcome))
    .map((record) => ({ nodeid: record.nodeid, outcome: record.outcome, message: record.message, longrepr: record.longrepr, attempt: record.attempt }));
}

/** The folder holding the chunk's files: beside its log, else the first search dir that has them. */
async function findChunkDir(chunk: ChunkReport, options: HtmlInputOptions): Promise<string> {
  const own = path.dirname(chunk.logFile);
  const candidates = [own, ...(options.searchDirs ?? []).map((dir) => path.join(dir, chunk.name))];
  for (const dir of candidates) {
    if ((await isFile(path.join(dir, 'samples.jsonl'))) || (await isFile(path.join(dir, 'events.jsonl')))) return dir;
  }
  return own;
}

/** Milliseconds from the chunk's start to an attempt's start; null when either is unknown. */
function attemptOffsetMs(chunk: ChunkReport, startedAt: string | undefined): number | null {
  if (chunk.startedAt === null || startedAt === undefined) return null;
  const offset = Date.parse(startedAt) - Date.parse(chunk.startedAt);
  return Number.isFinite(offset) ? offset : null;
}

/** The files a chunk's section names: its log and JUnit file, each attempt's log, each shard's log. */
function namedFiles(chunk: ChunkReport): string[] {
  const files = [chunk.logFile, ...(chunk.junitFile === null ? [] : [chunk.junitFile]), ...chunk.attempts.map((attempt) => attempt.logFile)];
  return [...files, ...(chunk.mergedShards ?? []).map((shard) => shard.logFile)];
}

async function readChunk(chunk: ChunkReport, records: readonly TestRecord[] | undefined, options: HtmlInputOptions): Promise<HtmlChunkData> {
  const fileRefs = options.htmlDir === undefined ? new Map() : await resolveFileRefs(options.htmlDir, namedFiles(chunk));
  // Shards ran on separate machines, each with its own clock and memory: one shard's timeline
  // under the combined entry would pass for the whole chunk's. The page shows each shard's figures instead.
  if (chunk.mergedShards !== null) return { report: chunk, samples: [], testMarks: [], failedTests: records ? failedTestsFromRecords(records) : [], records: records ?? [], fileRefs };
  const dir = await findChunkDir(chunk, options);
  const samples = parseSamples((await readText(path.join(dir, 'samples.jsonl'))) ?? '');
  const firstEvents = (await readText(path.join(dir, 'events.jsonl'))) ?? '';
  const testMarks = buildTestMarks(firstEvents, chunk);
  // Recovery attempts continue the chart on the chunk's clock: one timeline for every attempt.
  for (const attempt of chunk.attempts.filter((entry) => entry.attempt > 1)) {
    const offsetMs = attemptOffsetMs(chunk, attempt.startedAt);
    if (offsetMs === null) continue;
    const attemptFolder = path.join(dir, `attempt-${attempt.attempt}`);
    for (const sample of parseSamples((await readText(path.join(attemptFolder, 'samples.jsonl'))) ?? '')) samples.push({ ...sample, t: sample.t + offsetMs });
    const attemptChunk = { ...chunk, startedAt: attempt.startedAt };
    for (const mark of buildTestMarks((await readText(path.join(attemptFolder, 'events.jsonl'))) ?? '', attemptChunk)) testMarks.push({ ...mark, tMs: mark.tMs + offsetMs });
  }
  samples.sort((a, b) => a.t - b.t);
  testMarks.sort((a, b) => a.tMs - b.tMs);
  let allRecords = records;
  if (!allRecords) {
    const eventTexts = [{ attempt: 1, text: firstEvents }];
    for (const attempt of chunk.attempts.filter((entry) => entry.attempt > 1))
      eventTexts.push({ attempt: attempt.attempt, text: (await readText(path.join(dir, `attempt-${attempt.attempt}`, 'events.jsonl'))) ?? '' });
    allRecords = recordsFromEvents(eventTexts, chunk);
  }
  return { report: chunk, samples, testMarks, failedTests: failedTestsFromRecords(allRecords), records: allRecords, fileRefs };
}

/**
 * Reads every chunk's timeline and test starts from its folder (beside its logFile). `records`
 * (by chunk name, as the run or `merge` kept them) give every test and the failed ones; without
 * them they are rebuilt from the events files. Missing or damaged files give empty lists; never throws for them.
 */
export async function readHtmlInput(report: RunReport, records?: ReadonlyMap<string, readonly TestRecord[]>, options: HtmlInputOptions = {}): Promise<HtmlChunkData[]> {
  const chunks: HtmlChunkData[] = [];
  for (const chunk of report.chunks) chunks.push(await readChunk(chunk, records?.get(chunk.name), options));
  return chunks;
}
