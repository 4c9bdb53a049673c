import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReportWriteError } from '../reporters/write-report-file.js';
import { EXIT_CODES } from '../results/outcome.js';
import type { RunReport } from '../results/report-types.js';
import { describeFsError } from '../util/describe-fs-error.js';
import { UserError } from '../util/user-error.js';
import { makeFolder } from './own-folder.js';

// The report dir is where a run's results go; losing it must not cost an hour of tests. It is
// checked before any chunk starts, and a report file that still cannot be written at the end
// (a disk that filled up meanwhile) fails the run instead of passing it without its report.

/**
 * Creates the report dir and writes and removes a probe file in it, so that an unwritable dir
 * is found before any chunk starts. We may run as root, where permission bits do not stop a
 * write but a read-only mount or a file in the path still does: only a real write tells.
 * Throws a UserError (exit code 2, nothing ran) naming the dir, the OS's reason and the fix.
 */
export function checkReportDir(dir: string): void {
  const probe = path.join(dir, `.run-chunks-probe-${process.pid}`);
  try {
    makeFolder(dir);
    writeFileSync(probe, 'probe\n');
  } catch (error) {
    throw new UserError(
      `Cannot write to the report dir ${dir}: ${describeFsError(error)}. Nothing ran: run-chunks checks the report dir before it starts any chunk. ` +
        'Choose a writable folder with --report-dir, or make this one writable.',
    );
  } finally {
    removeProbe(probe);
  }
}

/** Removes the probe, if it was made (a write that failed half-way may leave it empty). */
function removeProbe(probe: string): void {
  try {
    rmSync(probe, { force: true });
  } catch {
    // Never made: its folder could not be created.
  }
}

/**
 * Turns the file-size limit (`ulimit -f`) from a kill into an error. By default SIGXFSZ ends the
 * process when a write crosses the limit: no message, no report, and chunks left running. With a
 * handler the write fails with EFBIG instead, which the writer reports with the file's name.
 * Chunks are unaffected: exec resets a handled signal to its default.
 */
export function catchFileSizeLimit(): void {
  process.on('SIGXFSZ', () => undefined);
}

/**
 * The exit code of a run some of whose report files could not be written: 3, as for a chunk that
 * broke, because the run's results did not get where CI looks for them; an interrupted run keeps
 * 130, which already outranks 3.
 */
export function exitCodeWithLostReport(runExitCode: number): number {
  return runExitCode === EXIT_CODES.interrupted ? runExitCode : EXIT_CODES.chunkBroken;
}

/** What to do about a report file that could not be written, by the OS's error code. */
function remedyFor(code: string | undefined): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'Free space on that disk (or raise the quota)';
  if (code === 'EFBIG') return 'Raise the file-size limit (ulimit -f)';
  return 'Make that folder writable';
}

/** One paragraph: which report files were not written and why, what the run's verdict was, what to do. */
export function describeLostReport(failures: readonly ReportWriteError[], report: RunReport): string {
  const files = failures.map((failure) => `${failure.file}: ${failure.reason}`).join('; ');
  const these = failures.length === 1 ? 'that file is missing or still holds' : 'these files are missing or still hold';
  return (
    `Could not write the report: ${files}. ` +
    `The chunks ran (run status "${report.status}", exit code ${report.exitCode}), but ${these} what this run wrote at its start (report.json: status "running"; report.html: a page saying the run has not finished), so run-chunks exits with ${exitCodeWithLostReport(report.exitCode)}. ` +
    `${remedyFor(failures[0]!.code)}, or choose another folder with --report-dir, and run again; each chunk's output.log under ${report.reportDir} holds its output as far as the disk allowed.`
  );
}
