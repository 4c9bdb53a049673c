import path from 'node:path';
import { REPORT_SCHEMA_VERSION, type PlannedChunk, type RunInProgressReport } from '../results/report-types.js';
import { describeFsError } from '../util/describe-fs-error.js';
import { UserError } from '../util/user-error.js';
import { acquireLock, type HeldLock } from './file-lock.js';
import { describeThisProcess, type ProcessIdentity } from './process-identity.js';
import { moveAsidePreviousReport, restorePreviousReport, writeInProgressReport } from './report-set.js';

// A run's (or a merge's) hold on its report dir, in the order it happens: lock the report dir,
// lock the history file, move the previous report set aside, write the in-progress report.json;
// at the end the caller writes the finished report.json last (see report-set.ts), and releases
// the locks on every way out: return, error, Ctrl-C/SIGTERM (which end the run normally). A
// SIGKILL runs nothing: its locks stay, and the next run finds their owner gone and takes them over.

/** File (inside the report dir) that holds the report dir's lock. */
export const REPORT_DIR_LOCK_FILE = '.run-chunks.lock';

/** What a run's start needs to know. */
export interface RunStart {
  kind: 'run' | 'merge';
  reportDir: string;
  /** The history file this run will write, locked too; undefined when it writes none (a shard). */
  historyFile: string | undefined;
  /** run-chunks' arguments (what follows `run-chunks`), for the lock and the marker. */
  argv: readonly string[];
  runId: string;
  version: string;
  configFile: string | null;
  plannedChunks: PlannedChunk[];
  notice: (message: string) => void;
}

/** A run that holds its report dir. */
export interface HeldRun {
  identity: ProcessIdentity;
  /** Releases both locks; safe to call more than once. */
  release(): void;
  /** Moves the previous report set into .previous/ and writes the in-progress report.json and report.html. */
  markInProgress(): Promise<void>;
  /** Undoes markInProgress, for a run that ends before any chunk started: the previous report set is back. */
  restorePrevious(): Promise<void>;
}

/** Locks the report dir (and the history) for `identity`; returns the function that releases both. */
export function lockReportDir(start: Pick<RunStart, 'kind' | 'reportDir' | 'historyFile' | 'notice'>, identity: ProcessIdentity): () => void {
  const locks: HeldLock[] = [];
  const release = (): void => {
    for (const lock of locks.splice(0).reverse()) lock.release();
  };
  try {
    const other = start.kind === 'merge' ? 'pass the merge another --report-dir' : 'give this run another --report-dir';
    const history = start.historyFile === undefined ? '' : ' (and another --history: both would write the run history)';
    locks.push(acquireLock(path.join(start.reportDir, REPORT_DIR_LOCK_FILE), identity, { what: `The report dir ${start.reportDir}`, remedy: `${other}${history}.` }, start.notice));
    if (start.historyFile !== undefined)
      locks.push(
        acquireLock(`${start.historyFile}.lock`, identity, { what: `The run history ${start.historyFile}`, remedy: `${other} and another --history.` }, start.notice),
      );
  } catch (error) {
    release();
    throw error;
  }
  // A backstop for a way out that skips the caller's finally (process.exit from elsewhere).
  process.once('exit', release);
  return () => {
    process.off('exit', release);
    release();
  };
}

/** The in-progress report.json of a run (or merge) that `identity` is starting. */
export function inProgressReport(start: RunStart, identity: ProcessIdentity): RunInProgressReport {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'run-chunks', version: start.version },
    runId: start.runId,
    status: 'running',
    kind: start.kind,
    startedAt: identity.startedAt,
    configFile: start.configFile,
    reportDir: start.reportDir,
    process: identity,
    plannedChunks: start.plannedChunks,
  };
}

/**
 * Takes the report dir (and the history) for this process: locks them, and returns how to mark the
 * report dir as holding a run in progress (called before anything that takes time, so that a run
 * killed even during the collection for --shard or a rest chunk leaves "running", never the earlier
 * verdict), and how to put the earlier report back when the run ends before any chunk started.
 */
export function beginRun(start: RunStart): HeldRun {
  const identity = describeThisProcess(start.argv, new Date());
  const release = lockReportDir(start, identity);
  const markInProgress = async (): Promise<void> => {
    await moveAsidePreviousReport(start.reportDir).catch((error: unknown) => {
      throw new UserError(`Cannot move the previous report out of the way in ${start.reportDir}: ${describeFsError(error)}. Nothing ran. Make that folder writable, or choose another --report-dir.`);
    });
    await writeInProgressReport(inProgressReport(start, identity)).catch((error: unknown) => {
      throw new UserError(`Cannot mark ${start.reportDir} as holding a run in progress: ${error instanceof Error ? error.message : String(error)}. Nothing ran. Make that folder writable, or choose another --report-dir.`);
    });
  };
  const restorePrevious = (): Promise<void> => restorePreviousReport(start.reportDir);
  return { identity, release, markInProgress, restorePrevious };
}
