import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// A test may delete the report dir, or its chunk's folder, while the chunk runs (a cleanup
// fixture pointed at the wrong folder, `rm -rf` of a temp root). Files already open keep being
// written, but to unlinked inodes that no path reaches: the output log and the memory samples are
// gone; the test events still arrive (the tail keeps its file open, see tail-lines.ts) unless
// the folder went before the tail first opened them. The run goes on and says so.

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
export function describeLostFolder(dir: string, lost: LostFolder, junitRead: boolean): string {
  const events = lost.eventsLost
    ? `its test events were lost too, so its test counts come ${junitRead ? 'from the junit.xml pytest wrote at its end' : 'from nowhere: none are reported'}`
    : 'its test events were still read, from the file run-chunks had open';
  return (
    `its report folder ${dir} was deleted while it ran (by a test, or by something else on this machine): ` +
    `its output.log and memory samples (samples.jsonl) written before and after that are lost, so there is no log and no leak verdict; ${events}. ` +
    'The folder was made again for the report.'
  );
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
