// `run-chunks merge DIR...`: the report dirs of separate runs (chunks run on different machines,
// one CI job each) become one report, as if one run had run every chunk. Reading checks each dir
// really holds a run-chunks report; merging is pure, and the run's status and exit code are
// decided again by buildRunReport, as for a run.
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MERGED_JUNIT_FILE_NAME } from '../reporters/junit-reporter.js';
import { REPORT_FILE_NAME } from '../reporters/json-reporter.js';
import { writeReportFile } from '../reporters/write-report-file.js';
import { buildRunReport } from '../results/build-report.js';
import { parseJunitCounts } from '../results/parse-junit.js';
import { REPORT_SCHEMA_VERSION, type ChunkReport, type RunReport } from '../results/report-types.js';
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

/**
 * Reads <dir>/report.json and <dir>/junit.xml (null when absent). Throws a UserError, one paragraph
 * saying what to pass instead, when the dir or its report.json is missing, or report.json is not
 * JSON, not written by run-chunks (tool.name), or of another schemaVersion.
 */
export async function readReportDir(dir: string): Promise<ReportDirContents> {
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
  if (!isObject(value) || tool?.name !== 'run-chunks' || !Array.isArray(value.chunks))
    throw new UserError(`Cannot merge ${dir}: ${file} is not a run-chunks report (it has no tool.name "run-chunks" and chunks list). Pass only report dirs written by run-chunks.`);
  if (value.schemaVersion !== REPORT_SCHEMA_VERSION)
    throw new UserError(
      `Cannot merge ${dir}: ${file} has schemaVersion ${JSON.stringify(value.schemaVersion) ?? 'missing'}${typeof tool.version === 'string' ? ` (written by run-chunks ${tool.version})` : ''}, and this run-chunks merges only schemaVersion ${REPORT_SCHEMA_VERSION}. Merge with the run-chunks version that wrote the reports.`,
    );
  return { report: value as unknown as RunReport, junitXml: await readOptional(path.join(dir, MERGED_JUNIT_FILE_NAME)) };
}

function mergeGpuSampling(reports: readonly RunReport[]): RunReport['gpuSampling'] {
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
    if (chunks.length === 1) return chunks[0]!;
    if (areShardsOfOneChunk(chunks)) return combineShards(chunks);
    const first = seen[0]!;
    const second = seen[1]!;
    throw new UserError(
      `Cannot merge: chunk "${first.chunk.name}" is in two of the reports (run ${first.report.runId} in ${first.report.reportDir}, and run ${second.report.runId} in ${second.report.reportDir}), and they are not shards of one --shard split. merge combines runs of different chunks (or of one chunk's shards); pass each report dir once.`,
    );
  });
}

/**
 * One report from the reports of separate runs, as if one run had run all their chunks: chunks in
 * input order; the shards of one chunk (--shard I/N) combined into one entry (see combineShards);
 * any other chunk name in two reports is a UserError; startedAt the earliest, finishedAt the
 * latest; interruptedBy the first one set; parallelChunks the sum (the runs ran side by side on
 * separate machines); configFile the first report's; status and exitCode decided again from every
 * chunk. Chunks keep their paths (logFile, junitFile) as the machine that ran them wrote them. Pure.
 */
export function mergeRunReports(reports: readonly RunReport[], options: MergeOptions): RunReport {
  if (reports.length === 0) throw new UserError('Cannot merge: no report dirs were given. Pass the report dir of every run to merge.');
  const chunks = collectChunks(reports);
  const startedAtMs = Math.min(...reports.map((report) => timeOf(report, 'startedAt')));
  const finishedAtMs = Math.max(...reports.map((report) => timeOf(report, 'finishedAt')));
  const interruptedBy = reports.find((report) => report.interruptedBy !== null)?.interruptedBy ?? undefined;
  // The same builder as a run's, so that status and exit code are decided in one place.
  return buildRunReport(
    {
      runId: options.runId,
      version: options.version,
      startedAt: new Date(startedAtMs),
      finishedAt: new Date(finishedAtMs),
      interruptedBy: interruptedBy as NodeJS.Signals | undefined,
      configFile: reports[0]!.configFile,
      reportDir: options.reportDir,
      parallelChunks: reports.reduce((sum, report) => sum + report.parallelChunks, 0),
      failOnLeak: options.failOnLeak,
      gpuSampling: mergeGpuSampling(reports),
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
  /** One sentence per thing the merged report lacks (a dir without a readable junit.xml). */
  warnings: string[];
}

/** Reads every dir (in order) and merges their reports and JUnit files. */
export async function mergeReportDirs(dirs: readonly string[], options: MergeOptions): Promise<MergedRun> {
  const inputs: ReportDirContents[] = [];
  for (const dir of dirs) inputs.push(await readReportDir(dir));
  const report = mergeRunReports(inputs.map((input) => input.report), options);
  const warnings: string[] = [];
  const junitXmls: string[] = [];
  for (const [index, { junitXml }] of inputs.entries()) {
    const dir = dirs[index]!;
    if (junitXml === null) warnings.push(`${dir} has no ${MERGED_JUNIT_FILE_NAME}: the merged ${MERGED_JUNIT_FILE_NAME} lacks the tests of its chunks.`);
    else if (parseJunitCounts(junitXml) === undefined)
      warnings.push(`${path.join(dir, MERGED_JUNIT_FILE_NAME)} is not JUnit XML and was left out: the merged ${MERGED_JUNIT_FILE_NAME} lacks the tests of its chunks.`);
    else junitXmls.push(junitXml);
  }
  const junitXml = mergeJunitXml(junitXmls);
  return { report, junitXml, records: testRecordsFromJunit(junitXml), warnings };
}

/** Writes report.json and junit.xml into report.reportDir (created if needed), each atomically. */
export async function writeMergedRun({ report, junitXml }: Pick<MergedRun, 'report' | 'junitXml'>): Promise<void> {
  await mkdir(report.reportDir, { recursive: true });
  await writeReportFile(path.join(report.reportDir, REPORT_FILE_NAME), `${JSON.stringify(report, null, 2)}\n`);
  await writeReportFile(path.join(report.reportDir, MERGED_JUNIT_FILE_NAME), junitXml);
}
