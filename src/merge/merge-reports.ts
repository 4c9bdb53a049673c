// `run-chunks merge DIR...`: the report dirs of separate runs (chunks run on different machines,
// one CI job each) become one report, as if one run had run every chunk. Reading checks each dir
// really holds a run-chunks report, and one whose run never finished stands in as errors, never as
// results; with --config, a required chunk that no dir holds is an error too. Merging is pure,
// and the run's status and exit code are decided again by buildRunReport, as for a run.
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MERGED_JUNIT_FILE_NAME } from '../reporters/junit-reporter.js';
import { REPORT_FILE_NAME } from '../reporters/json-reporter.js';
import { writeReportFile } from '../reporters/write-report-file.js';
import type { ChunkPlan } from '../plan/types.js';
import { buildRunReport, buildUnstartedChunkReport } from '../results/build-report.js';
import { missingChunkReport } from './missing-chunk.js';
import { parseJunitCounts, withPytestCounts, type EarlierTestCounts } from '../results/parse-junit.js';
import { REPORT_SCHEMA_VERSION, type ChunkReport, type RunInProgressReport, type RunReport } from '../results/report-types.js';
import { EXIT_CODES } from '../results/outcome.js';
import { isProcessIdentity } from '../lifecycle/process-identity.js';
import { describeUnfinished } from '../lifecycle/unfinished-run.js';
import type { TestRecord } from '../results/test-records.js';
import { UserError } from '../util/user-error.js';
import { areShardsOfOneChunk, combineShards } from './combine-shards.js';
import { testRecordsFromJunit } from './junit-test-records.js';
import { mergeJunitXml } from './merge-junit.js';

/** One report dir as read from disk. */
export interface ReportDirContents {
  report: RunReport;
  /** <dir>/junit.xml, or null when the dir has none. */
  junitXml: string | null;
}

/** What the merged report takes from the merge command rather than from the inputs. */
export interface MergeOptions {
  /** Where the merged report goes (written into report.reportDir). */
  reportDir: string;
  runId: string;
  /** run-chunks' own version (report.tool.version). */
  version: string;
  /** --fail-on-leak for the merged run: a required chunk judged to leak fails it. */
  failOnLeak: boolean;
  /**
   * The chunks of --config: a required one that no dir holds is an error in the merged report, a
   * non-required one a warning. Undefined (no --config): a missing chunk cannot be detected.
   */
  expected?: { configFile: string; chunks: readonly ChunkPlan[] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`Could not read ${file}: ${(error as Error).message}.`);
  }
}

/** A report dir as read: a finished run's report, or the marker of a run (or merge) that has not finished. */
export type ReportDirEntry = { finished: true; dir: string; contents: ReportDirContents } | { finished: false; dir: string; marker: RunInProgressReport };

function countsOf(tests: unknown): unknown {
  return isObject(tests) ? withPytestCounts(tests as unknown as EarlierTestCounts) : tests;
}

/**
 * A finished report as read, with the test counts of every chunk and attempt in this version's
 * shape: a report of an earlier run-chunks (same schemaVersion) has no xfailed or xpassed.
 */
function withCurrentCounts(report: Record<string, unknown>): RunReport {
  const chunks = (report.chunks as unknown[]).map((chunk) =>
    isObject(chunk)
      ? { ...chunk, tests: countsOf(chunk.tests), attempts: Array.isArray(chunk.attempts) ? chunk.attempts.map((attempt: unknown) => (isObject(attempt) ? { ...attempt, tests: countsOf(attempt.tests) } : attempt)) : chunk.attempts }
      : chunk,
  );
  return { ...report, chunks } as unknown as RunReport;
}

/**
 * Reads <dir>/report.json, and <dir>/junit.xml (null when absent) beside a finished one. Throws a
 * UserError, one paragraph saying what to pass instead, when the dir or its report.json is
 * missing, or report.json is not JSON, not written by run-chunks (tool.name), or of another
 * schemaVersion. A report.json that says "running" is returned as unfinished, never as a result.
 */
export async function readReportEntry(dir: string): Promise<ReportDirEntry> {
  const isDir = await stat(dir).then((info) => info.isDirectory(), () => false);
  if (!isDir) throw new UserError(`Cannot merge ${dir}: it is not a folder. Pass the report dirs of the runs to merge (each run's --report-dir, default .run-chunks/report), the folders that hold report.json.`);
  const file = path.join(dir, REPORT_FILE_NAME);
  const text = await readOptional(file);
  if (text === null)
    throw new UserError(`Cannot merge ${dir}: it has no ${REPORT_FILE_NAME}, so it is not a run-chunks report dir (or its run never finished writing one). Pass the folder each run wrote with --report-dir (default .run-chunks/report).`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`Cannot merge ${dir}: ${file} is not valid JSON (${(error as Error).message}); the file is damaged or was not written by run-chunks.`);
  }
  const tool = isObject(value) && isObject(value.tool) ? value.tool : undefined;
  if (!isObject(value) || tool?.name !== 'run-chunks' || (!Array.isArray(value.chunks) && value.status !== 'running'))
    throw new UserError(`Cannot merge ${dir}: ${file} is not a run-chunks report (it has no tool.name "run-chunks" and chunks list). Pass only report dirs written by run-chunks.`);
  if (value.schemaVersion !== REPORT_SCHEMA_VERSION)
    throw new UserError(
      `Cannot merge ${dir}: ${file} has schemaVersion ${JSON.stringify(value.schemaVersion) ?? 'missing'}${typeof tool.version === 'string' ? ` (written by run-chunks ${tool.version})` : ''}, and this run-chunks merges only schemaVersion ${REPORT_SCHEMA_VERSION}. Merge with the run-chunks version that wrote the reports.`,
    );
  if (value.status === 'running') {
    if (!isProcessIdentity(value.process) || !Array.isArray(value.plannedChunks))
      throw new UserError(`Cannot merge ${dir}: ${file} says its run is still running, but does not say which process runs it; the file is damaged. Run that run again.`);
    return { finished: false, dir, marker: value as unknown as RunInProgressReport };
  }
  return { finished: true, dir, contents: { report: withCurrentCounts(value), junitXml: await readOptional(path.join(dir, MERGED_JUNIT_FILE_NAME)) } };
}

/** Reads a finished report dir (see readReportEntry); one whose run has not finished is a UserError. */
export async function readReportDir(dir: string): Promise<ReportDirContents> {
  const entry = await readReportEntry(dir);
  if (!entry.finished) throw new UserError(`Cannot read ${dir}: ${describeUnfinished(entry.marker)}`, EXIT_CODES.chunkBroken);
  return entry.contents;
}

function mergeGpuSampling(reports: readonly RunReport[]): RunReport['gpuSampling'] {
  if (reports.length === 0) return { requested: 'auto', active: false, reason: 'no merged run finished' };
  const requested = reports.every((report) => report.gpuSampling.requested === reports[0]!.gpuSampling.requested) ? reports[0]!.gpuSampling.requested : 'auto';
  const off = reports.filter((report) => !report.gpuSampling.active);
  if (off.length === 0) return { requested, active: true, reason: null };
  const reasons = [...new Set(off.map((report) => report.gpuSampling.reason ?? 'no reason given'))].join('; ');
  if (off.length === reports.length) return { requested, active: false, reason: reasons };
  return { requested, active: true, reason: `GPU memory was sampled in ${reports.length - off.length} of ${reports.length} merged runs; not in ${off.map((report) => report.runId).join(', ')} (${reasons})` };
}

function timeOf(report: RunReport, field: 'startedAt' | 'finishedAt'): number {
  const ms = Date.parse(report[field]);
  if (!Number.isFinite(ms)) throw new UserError(`Cannot merge: run ${report.runId} in ${report.reportDir} has ${field} ${JSON.stringify(report[field])}, which is not a time.`);
  return ms;
}

/**
 * Every report's chunks in order, one entry per name: the shards of one chunk (--shard I/N on
 * several machines) are combined into one entry where the first shard was; any other name met
 * twice is a UserError.
 */
function collectChunks(reports: readonly RunReport[]): ChunkReport[] {
  const entries = new Map<string, { chunk: ChunkReport; report: RunReport }[]>();
  for (const report of reports) {
    for (const chunk of report.chunks) {
      const seen = entries.get(chunk.name) ?? [];
      seen.push({ chunk, report });
      entries.set(chunk.name, seen);
    }
  }
  return [...entries.values()].map((seen) => {
    const chunks = seen.map((entry) => entry.chunk);
    // One shard of a split alone is not the chunk: combineShards names the shards that are missing.
    if (chunks.length === 1) return chunks[0]!.shard !== null && chunks[0]!.shard.count > 1 ? combineShards(chunks) : chunks[0]!;
    if (areShardsOfOneChunk(chunks)) return combineShards(chunks);
    const first = seen[0]!;
    const second = seen[1]!;
    throw new UserError(
      `Cannot merge: chunk "${first.chunk.name}" is in two of the reports (run ${first.report.runId} in ${first.report.reportDir}, and run ${second.report.runId} in ${second.report.reportDir}), and they are not shards of one --shard split. merge combines runs of different chunks (or of one chunk's shards); pass each report dir once.`,
    );
  });
}

/** Entries for chunks without a result to merge, and the start times of the unfinished runs they come from. */
export interface MissingChunks {
  chunks: ChunkReport[];
  startedAtMs: number[];
  /** Config files of the unfinished runs and of --config, for a merge with no finished input. */
  configFiles: string[];
}

/**
 * One report from the reports of separate runs, as if one run had run all their chunks: chunks in
 * input order; the shards of one chunk (--shard I/N) combined into one entry (see combineShards);
 * any other chunk name in two reports is a UserError; startedAt the earliest, finishedAt the
 * latest; interruptedBy the first one set; parallelChunks the sum (the runs ran side by side on
 * separate machines); configFile the first report's; status and exitCode decided again from every
 * chunk. Chunks keep their paths (logFile, junitFile) as the machine that ran them wrote them. Pure.
 */
export function mergeRunReports(reports: readonly RunReport[], options: MergeOptions, missing: MissingChunks = { chunks: [], startedAtMs: [], configFiles: [] }): RunReport {
  if (reports.length === 0 && missing.chunks.length === 0) throw new UserError('Cannot merge: no report dirs were given. Pass the report dir of every run to merge.');
  const chunks = [...collectChunks(reports), ...missing.chunks];
  const startedAtMs = Math.min(...reports.map((report) => timeOf(report, 'startedAt')), ...missing.startedAtMs);
  // With no finished input, the merged run "ends" when the last unfinished one started: nothing finished.
  const finishedAtMs = reports.length > 0 ? Math.max(...reports.map((report) => timeOf(report, 'finishedAt'))) : Math.max(...missing.startedAtMs);
  if (!Number.isFinite(startedAtMs) || !Number.isFinite(finishedAtMs)) throw new UserError('Cannot merge: none of the report dirs says when its run started. Pass report dirs written by run-chunks.');
  const interruptedBy = reports.find((report) => report.interruptedBy !== null)?.interruptedBy ?? undefined;
  // The same builder as a run's, so that status and exit code are decided in one place.
  return buildRunReport(
    {
      runId: options.runId,
      version: options.version,
      startedAt: new Date(startedAtMs),
      finishedAt: new Date(finishedAtMs),
      interruptedBy: interruptedBy as NodeJS.Signals | undefined,
      configFile: reports[0]?.configFile ?? missing.configFiles[0] ?? '',
      reportDir: options.reportDir,
      parallelChunks: reports.reduce((sum, report) => sum + report.parallelChunks, 0),
      failOnLeak: options.failOnLeak,
      gpuSampling: mergeGpuSampling(reports),
      sharedMachine: false,
    },
    chunks,
  );
}

/** A merge, ready to write and to record in the history. */
export interface MergedRun {
  report: RunReport;
  /** Every input junit.xml merged (a dir without one adds no suites: see warnings). */
  junitXml: string;
  /** Per-test records read back from junitXml, by chunk name: historyRunFromReport's second argument. */
  records: Map<string, TestRecord[]>;
  /** One sentence per thing the merged report lacks (a dir without a readable junit.xml, a missing chunk). */
  warnings: string[];
  /** What the merge could not check (missing chunks, without --config). */
  notes: string[];
}

/** Standing in for the chunks of unfinished runs, and for required chunks of --config that no dir holds. */
function findMissingChunks(entries: readonly ReportDirEntry[], options: MergeOptions, warnings: string[], notes: string[]): MissingChunks {
  const present = new Set(entries.flatMap((entry) => (entry.finished ? entry.contents.report.chunks.map((chunk) => chunk.name) : [])));
  const missing: MissingChunks = { chunks: [], startedAtMs: [], configFiles: options.expected === undefined ? [] : [options.expected.configFile] };
  const add = (chunk: ChunkReport): void => {
    present.add(chunk.name);
    missing.chunks.push(chunk);
  };
  for (const entry of entries) {
    if (entry.finished) continue;
    const why = describeUnfinished(entry.marker);
    if (entry.marker.plannedChunks.length === 0)
      throw new UserError(`Cannot merge ${entry.dir}: it holds no run's report but a merge that did not finish (${why}). Merge the report dirs of the runs themselves.`, EXIT_CODES.chunkBroken);
    const started = Date.parse(entry.marker.startedAt);
    if (Number.isFinite(started)) missing.startedAtMs.push(started);
    if (entry.marker.configFile !== null) missing.configFiles.push(entry.marker.configFile);
    const stood = entry.marker.plannedChunks.filter((planned) => !present.has(planned.name));
    for (const planned of stood) add(missingChunkReport(planned, `no result: the run in ${entry.dir} did not finish (${why.replace(/\.$/, '')})`, options.reportDir));
    warnings.push(`${entry.dir} holds a run that did not finish: ${why} Its chunks (${stood.map((chunk) => chunk.name).join(', ') || 'none left'}) are errors in the merged report.`);
  }
  if (options.expected === undefined) {
    notes.push('without --config, merge cannot tell whether a chunk is missing (a CI job that uploaded no report): pass --config with the config file (chunks.config.json or pyproject.toml) to check that every required chunk is there.');
    return missing;
  }
  const absent = options.expected.chunks.filter((plan) => !present.has(plan.name));
  const required = absent.filter((plan) => plan.required);
  for (const plan of required) add(buildUnstartedChunkReport(plan, { status: 'error', message: 'no report: its CI job did not upload one (none of the merged dirs holds this chunk)' }));
  if (required.length > 0)
    warnings.push(`required ${required.length === 1 ? 'chunk' : 'chunks'} ${required.map((plan) => plan.name).join(', ')} of the config ${required.length === 1 ? 'has' : 'have'} no report in any merged dir: ${required.length === 1 ? 'its CI job' : 'their CI jobs'} did not upload one. The merged run is an error (exit 3).`);
  const optional = absent.filter((plan) => !plan.required);
  if (optional.length > 0)
    warnings.push(`${optional.length === 1 ? 'chunk' : 'chunks'} ${optional.map((plan) => plan.name).join(', ')} (not required) ${optional.length === 1 ? 'has' : 'have'} no report in any merged dir: left out of the merged report.`);
  return missing;
}

/** Reads every dir (in order) and merges their reports and JUnit files. */
export async function mergeReportDirs(dirs: readonly string[], options: MergeOptions): Promise<MergedRun> {
  const entries: ReportDirEntry[] = [];
  for (const dir of dirs) entries.push(await readReportEntry(dir));
  const warnings: string[] = [];
  const notes: string[] = [];
  const missing = findMissingChunks(entries, options, warnings, notes);
  const finished = entries.flatMap((entry) => (entry.finished ? [entry] : []));
  const report = mergeRunReports(finished.map((entry) => entry.contents.report), options, missing);
  const junitXmls: string[] = [];
  for (const { dir, contents } of finished) {
    const { junitXml } = contents;
    if (junitXml === null) warnings.push(`${dir} has no ${MERGED_JUNIT_FILE_NAME}: the merged ${MERGED_JUNIT_FILE_NAME} lacks the tests of its chunks.`);
    else if (parseJunitCounts(junitXml) === undefined)
      warnings.push(`${path.join(dir, MERGED_JUNIT_FILE_NAME)} is not JUnit XML and was left out: the merged ${MERGED_JUNIT_FILE_NAME} lacks the tests of its chunks.`);
    else junitXmls.push(junitXml);
  }
  const junitXml = mergeJunitXml(junitXmls);
  return { report, junitXml, records: testRecordsFromJunit(junitXml), warnings, notes };
}

/** Writes report.json and junit.xml into report.reportDir (created if needed), each atomically. */
export async function writeMergedRun({ report, junitXml }: Pick<MergedRun, 'report' | 'junitXml'>): Promise<void> {
  await mkdir(report.reportDir, { recursive: true });
  await writeReportFile(path.join(report.reportDir, REPORT_FILE_NAME), `${JSON.stringify(report, null, 2)}\n`);
  await writeReportFile(path.join(report.reportDir, MERGED_JUNIT_FILE_NAME), junitXml);
}
