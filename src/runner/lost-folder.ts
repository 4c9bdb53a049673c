import { closeSync, copyFileSync, fstatSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// A test may delete the report dir, or its chunk's folder, while the chunk runs (a cleanup
// fixture pointed at the wrong folder, `rm -rf` of a temp root). Files already open keep being
// written, but to unlinked inodes that no path reaches. The output log is copied back through
// /proc at the chunk's end; the test events still arrive (the tail keeps its file open, see
// tail-lines.ts) unless the folder went before the tail first opened them; the memory samples
// are lost. The run goes on and says so.

/** The identity of a folder (device and inode), or undefined when it does not exist. */
export function folderIdentity(dir: string): string | undefined {
  try {
    const stats = statSync(dir);
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return undefined;
  }
}

/** What was lost when a chunk's folder was deleted under it; `eventsLost`: its test events were never read. */
export interface LostFolder {
  eventsLost: boolean;
}

/** The warning for a chunk whose folder was deleted while it ran. */
export function describeLostFolder(dir: string, lost: LostFolder, junitRead: boolean, logRestored: boolean): string {
  const log = logRestored
    ? 'its output.log was copied back whole from the file run-chunks had open, but its memory samples (samples.jsonl) are lost, so there is no leak verdict'
    : 'its output.log and memory samples (samples.jsonl) are lost, so there is no log and no leak verdict';
  const events = lost.eventsLost
    ? `its test events were lost too, so its test counts come ${junitRead ? 'from the junit.xml pytest wrote at its end' : 'from nowhere: none are reported'}`
    : 'its test events were still read, from the file run-chunks had open';
  return `its report folder ${dir} was deleted while it ran (by a test, or by something else on this machine): ${log}; ${events}. The folder was made again for the report.`;
}

/** Makes the folder again, with an output.log that says why the output is missing. Never throws. */
export function remakeLostFolder(dir: string, logFile: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, path.basename(logFile)),
      'run-chunks: this chunk\'s report folder was deleted while it ran, and its output with it; see the warning in report.json.\n',
      { flag: 'wx' },
    );
  } catch {
    // The report dir itself may be unwritable now; the report says what was lost either way.
  }
}

/**
 * When the log's file was deleted while the chunk wrote it, opens it again through /proc (a
 * descriptor's link still reaches an unlinked file), before the writer closes it. Returns a
 * descriptor to copy it back from, or undefined (the file is where it should be, or there is no
 * /proc). Never throws.
 */
export function holdUnlinkedFile(writeFd: number | undefined): number | undefined {
  if (writeFd === undefined) return undefined;
  try {
    if (fstatSync(writeFd).nlink > 0) return undefined;
    return openSync(`/proc/self/fd/${writeFd}`, 'r');
  } catch {
    return undefined;
  }
}

/** Copies what `readFd` holds back to `file` (making its folder), then closes it; false when it could not. */
export function restoreFile(readFd: number, file: string): boolean {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    copyFileSync(`/proc/self/fd/${readFd}`, file);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(readFd);
  }
}
