// GitHub Actions workflow commands (`::error file=F,line=L,title=T::message`) for what went
// wrong in a run: chunks that died, the tests blamed for it, and failed or errored tests.

import { isFailingStatus } from '../results/outcome.js';
import type { ChunkReport, RunReport } from '../results/report-types.js';
import { isPassingOutcome, type BlamedTest, type TestRecord } from '../results/test-records.js';
import { describeVerdict } from '../results/verdict-text.js';

// GitHub shows 10 error annotations per step and 50 per job; more only lengthen the log.
export const MAX_ANNOTATIONS = 50;
// An annotation is read in a small box; the full failure is in the log and report.json.
const MAX_MESSAGE_CHARS = 2_000;

/** One annotation before escaping. Optional chunks get warnings: they do not fail the run. */
interface Annotation {
  level: 'error' | 'warning';
  file: string | null;
  line: number | null;
  title: string;
  message: string;
}

/** Escapes a workflow command's message (GitHub's toolkit rule: %, CR, LF). */
export function escapeCommandData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Escapes a workflow command's property value: the message rule plus ":" and ",", which end a property. */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** Renders one annotation as a workflow command line. */
function renderAnnotation(annotation: Annotation): string {
  const properties: string[] = [];
  if (annotation.file !== null) {
    properties.push(`file=${escapeCommandProperty(annotation.file)}`);
    if (annotation.line !== null && annotation.line >= 1) properties.push(`line=${annotation.line}`);
  }
  properties.push(`title=${escapeCommandProperty(annotation.title)}`);
  return `::${annotation.level} ${properties.join(',')}::${escapeCommandData(annotation.message)}`;
}

/** Keeps the end of a long text (at most `limit` characters), where pytest puts the exception. */
function clip(text: string, limit = MAX_MESSAGE_CHARS): string {
  return text.length <= limit ? text : `…${text.slice(text.length - limit + 1)}`;
}

/** Keeps the start of a long text (at most `limit` characters): an assertion message reads from its start. */
function clipEnd(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

// Below this, what is left of the box after the message holds no useful piece of the traceback.
const MIN_TRACEBACK_CHARS = 80;

/**
 * An annotation's message for a failed test: `head` (why it failed: the crash message, else the
 * one-line message) first and whole where it fits, then the traceback clipped from its end into
 * what is left of MAX_MESSAGE_CHARS.
 */
export function failureMessage(head: string | null, traceback: string | null): string {
  if (!head) return clip(traceback ?? '');
  if (!traceback || head.length + 2 + MIN_TRACEBACK_CHARS > MAX_MESSAGE_CHARS) return clipEnd(head, MAX_MESSAGE_CHARS);
  return `${head}\n\n${clip(traceback, MAX_MESSAGE_CHARS - head.length - 2)}`;
}

/** Whether a path pytest printed names `file` (relative to the rootdir): the same, or an absolute path ending in it. */
function namesFile(printed: string, file: string): boolean {
  return printed === file || printed.endsWith(`/${file}`);
}

// pytest's traceback entries end with a `path:line: message` line (ReprFileLocation); the message may be empty.
const FILE_LOCATION_LINE = /^(.+?):(\d+):(?: |$)/gm;

/** The line of the last `path:N:` in pytest's failure text whose path is `file`; null when there is none. */
export function lastLineIn(longrepr: string, file: string): number | null {
  let found: number | null = null;
  for (const match of longrepr.matchAll(FILE_LOCATION_LINE)) {
    const line = Number(match[2]);
    if (namesFile(match[1]!, file) && Number.isSafeInteger(line) && line >= 1) found = line;
  }
  return found;
}

/**
 * Where a failed or errored test failed: the plugin's crash location when it knew one; else the
 * last `path:N:` line of its failure text in the test's own file (records read back from JUnit
 * have no crash); else where the test is defined.
 */
export function failureLocation(record: TestRecord, records: readonly TestRecord[]): { file: string | null; line: number | null } {
  const crash = record.crash;
  if (crash && crash.path !== null) return { file: crash.path, line: crash.line };
  const defined = locate(record.nodeid, records);
  const line = defined.file !== null && record.longrepr ? lastLineIn(record.longrepr, defined.file) : null;
  return line === null ? defined : { file: defined.file, line };
}

/** The latest record of each test (a recovery attempt's result replaces the first run's). */
function latestRecords(records: readonly TestRecord[]): Map<string, TestRecord> {
  const latest = new Map<string, TestRecord>();
  for (const record of records) {
    const earlier = latest.get(record.nodeid);
    if (!earlier || record.attempt >= earlier.attempt) latest.set(record.nodeid, record);
  }
  return latest;
}

/** Where a test is defined: from any of its records, else the file part of its node id. */
function locate(nodeid: string, records: readonly TestRecord[]): { file: string | null; line: number | null } {
  const located = records.find((record) => record.nodeid === nodeid && record.file !== null);
  if (located) return { file: located.file, line: located.line };
  const file = nodeid.split('::')[0];
  return { file: file && file !== nodeid ? file : null, line: null };
}

function levelOf(chunk: ChunkReport): Annotation['level'] {
  return chunk.required ? 'error' : 'warning';
}

/** Whether a test's final result (after recovery) is a passing one (passed, skipped, xfailed, xpassed): then no annotation points at it. */
function endedWell(nodeid: string, latest: ReadonlyMap<string, TestRecord>): boolean {
  return isPassingOutcome(latest.get(nodeid)?.outcome);
}

function chunkAnnotation(chunk: ChunkReport, latest: ReadonlyMap<string, TestRecord>): Annotation {
  const still = chunk.blamedTests.filter((test) => !endedWell(test.nodeid, latest));
  const blamed = still.length === 0 ? '' : `\nBlamed: ${still.map((test) => test.nodeid).join(', ')}`;
  return { level: levelOf(chunk), file: null, line: null, title: `Chunk ${chunk.name}: ${chunk.status}`, message: clip(`${chunk.message}${blamed}`) };
}

function blamedAnnotation(chunk: ChunkReport, blamed: BlamedTest, records: readonly TestRecord[]): Annotation {
  const facts: string[] = [`blamed when chunk ${chunk.name} ended (${blamed.reason}): ${blamed.evidence}`];
  if (blamed.worker) facts.push(`on ${blamed.worker}`);
  if (blamed.verdict) facts.push(describeVerdict(blamed.verdict));
  return { level: levelOf(chunk), ...locate(blamed.nodeid, records), title: `${chunk.name}: blamed for ${blamed.reason}: ${blamed.nodeid}`, message: `${blamed.nodeid}: ${facts.join(', ')}` };
}

function testAnnotation(chunk: ChunkReport, record: TestRecord, records: readonly TestRecord[]): Annotation {
  const what = record.outcome === 'error' ? 'error' : 'failed';
  const message = failureMessage(record.crash?.message || record.message, record.longrepr) || `${record.nodeid} ${what}`;
  return { level: levelOf(chunk), ...failureLocation(record, records), title: `${chunk.name}: ${what}: ${record.nodeid}`, message };
}

/**
 * Workflow command lines for a finished run, most important first: one per chunk that ended
 * badly other than by failed tests (killed, crashed, broke, no tests), one per blamed test, then
 * one per failed or errored test (`records` maps chunk names to their test records). File and line
 * come from pytest (relative to its rootdir, which GitHub reads against the repository root): for
 * a failed test the line it failed on (failureLocation), for a blamed one where it is defined.
 * At most `limit` annotations, then one warning counting those left out.
 */
export function buildGithubAnnotations(report: RunReport, records: ReadonlyMap<string, readonly TestRecord[]>, limit = MAX_ANNOTATIONS): string[] {
  const chunkLevel: Annotation[] = [];
  const blamedLevel: Annotation[] = [];
  const testLevel: Annotation[] = [];
  for (const chunk of report.chunks) {
    const chunkRecords = records.get(chunk.name) ?? [];
    const latest = latestRecords(chunkRecords);
    if (isFailingStatus(chunk.status, chunk.allowEmpty) && chunk.status !== 'failed') chunkLevel.push(chunkAnnotation(chunk, latest));
    // A blamed test cleared by recovery (it passed alone, or in the retry) gets no annotation: only final failures do.
    for (const blamed of chunk.blamedTests) if (!endedWell(blamed.nodeid, latest)) blamedLevel.push(blamedAnnotation(chunk, blamed, chunkRecords));
    for (const record of latest.values())
      if (record.outcome === 'failed' || record.outcome === 'error') testLevel.push(testAnnotation(chunk, record, chunkRecords));
  }
  const all = [...chunkLevel, ...blamedLevel, ...testLevel];
  const lines = all.slice(0, limit).map(renderAnnotation);
  const leftOut = all.length - lines.length;
  if (leftOut > 0)
    lines.push(renderAnnotation({ level: 'warning', file: null, line: null, title: 'run-chunks', message: `${leftOut} more annotations left out (GitHub shows only the first few per step); see the job summary and report.json.` }));
  return lines;
}
