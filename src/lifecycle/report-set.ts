import { link, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { HTML_REPORT_FILE_NAME } from '../html/html-reporter.js';
import { buildInProgressHtml } from '../html/in-progress-page.js';
import { MERGED_JUNIT_FILE_NAME } from '../reporters/junit-reporter.js';
import { REPORT_FILE_NAME } from '../reporters/json-reporter.js';
import { writeReportFile } from '../reporters/write-report-file.js';
import type { RunInProgressReport } from '../results/report-types.js';

// The report set is report.json, junit.xml and report.html at the top of a report dir. report.json
// is its commit point: it is the first file to change when a run (or merge) starts, turning into
// an in-progress marker, and the last to be written at the end, after the other two. So whenever
// report.json holds a finished report, junit.xml and report.html beside it are that run's (or
// absent: a write that failed is an error of that run), and while it says "running" no reader
// takes what is there for a verdict.

/** Folder (inside the report dir) that keeps the previous run's report set. */
export const PREVIOUS_REPORT_DIR = '.previous';

/** The files of the report set, report.json first: the order in which a run's start moves them aside. */
export const REPORT_SET_FILES = [REPORT_FILE_NAME, MERGED_JUNIT_FILE_NAME, HTML_REPORT_FILE_NAME] as const;

/**
 * Moves the previous run's report set into <report-dir>/.previous/ (replacing what was there), so
 * that from here on nothing in the report dir passes for this run's results. report.json moves
 * first: a reader that comes in between finds no report rather than an old verdict.
 */
export async function moveAsidePreviousReport(reportDir: string): Promise<void> {
  const previous = path.join(reportDir, PREVIOUS_REPORT_DIR);
  await rm(previous, { recursive: true, force: true });
  await mkdir(previous, { recursive: true });
  for (const name of REPORT_SET_FILES) {
    await rename(path.join(reportDir, name), path.join(previous, name)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  }
}

/**
 * Puts the previous run's report set back from .previous/, report.json last (the files the run
 * wrote at its start are replaced, or removed where there was none). For a run that stopped before
 * any chunk started: a collection that refused it (a usage error), or Ctrl-C during it.
 */
export async function restorePreviousReport(reportDir: string): Promise<void> {
  const previous = path.join(reportDir, PREVIOUS_REPORT_DIR);
  for (const name of [...REPORT_SET_FILES].reverse()) {
    const target = path.join(reportDir, name);
    await rename(path.join(previous, name), target).catch(async (error: unknown) => {
      ignoreMissing(error);
      await rm(target, { force: true });
    });
  }
}

/** Writes the in-progress report.html, then the in-progress report.json (each atomically). */
export async function writeInProgressReport(marker: RunInProgressReport): Promise<void> {
  await writeReportFile(path.join(marker.reportDir, HTML_REPORT_FILE_NAME), buildInProgressHtml(marker));
  await writeReportFile(path.join(marker.reportDir, REPORT_FILE_NAME), `${JSON.stringify(marker, null, 2)}\n`);
}

/** The folder a merge writes its new report set into before swapping it in (see replaceReportSet). */
const INCOMING_PREFIX = '.incoming-';

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** Removes the incoming folders a killed merge left; call it only while holding the report dir's lock. */
export async function removeStaleIncoming(reportDir: string): Promise<void> {
  const names = await readdir(reportDir).catch(() => [] as string[]);
  for (const name of names) if (name.startsWith(INCOMING_PREFIX)) await rm(path.join(reportDir, name), { recursive: true, force: true });
}

/** A new report set, written whole into a folder beside the old one before any of it is swapped in. */
export interface IncomingReportSet {
  dir: string;
  /** Its files' paths, to write into. */
  file(name: (typeof REPORT_SET_FILES)[number]): string;
  /** Swaps the set in (see replaceReportSet) and removes the folder. */
  commit(marker: RunInProgressReport): Promise<void>;
  /** Removes the folder, leaving the report dir as it was. */
  discard(): Promise<void>;
}

/** Creates <report-dir>/.incoming-<id>/ for a new report set. */
export async function startIncomingReportSet(reportDir: string, id: string): Promise<IncomingReportSet> {
  const dir = path.join(reportDir, `${INCOMING_PREFIX}${id}`);
  await mkdir(dir, { recursive: true });
  return {
    dir,
    file: (name) => path.join(dir, name),
    commit: (marker) => replaceReportSet(reportDir, dir, marker),
    discard: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Swaps the report set in `incoming` (its report.json required; junit.xml and report.html where
 * written) into the report dir. POSIX has no rename of several files at once, so report.json is
 * what readers go by: (1) the old report.json is linked into .previous/, (2) report.json becomes
 * `marker` (an in-progress report, one rename), (3) the old junit.xml and report.html move into
 * .previous/ and the new ones take their place, (4) the new report.json is renamed in. Before (2)
 * the old set is whole; after (4) the new one is; in between report.json says "running", so a
 * merge killed there leaves a dir that every reader reports as unfinished, never a mixed set
 * passed off as one run's.
 */
async function replaceReportSet(reportDir: string, incoming: string, marker: RunInProgressReport): Promise<void> {
  const previous = path.join(reportDir, PREVIOUS_REPORT_DIR);
  await rm(previous, { recursive: true, force: true });
  await mkdir(previous, { recursive: true });
  const [reportJson, ...others] = REPORT_SET_FILES;
  await link(path.join(reportDir, reportJson), path.join(previous, reportJson)).catch(ignoreMissing);
  const markerFile = path.join(incoming, 'marker.json');
  await writeReportFile(markerFile, `${JSON.stringify(marker, null, 2)}\n`);
  await rename(markerFile, path.join(reportDir, reportJson));
  for (const name of others) {
    await rename(path.join(reportDir, name), path.join(previous, name)).catch(ignoreMissing);
    await rename(path.join(incoming, name), path.join(reportDir, name)).catch(ignoreMissing);
  }
  await rename(path.join(incoming, reportJson), path.join(reportDir, reportJson));
  await rm(incoming, { recursive: true, force: true });
}
