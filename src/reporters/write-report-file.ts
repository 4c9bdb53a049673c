import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { describeFsError } from '../util/describe-fs-error.js';

// The report files (report.json, junit.xml, report.html, the history) are what CI publishes and
// the next run reads, so they are written whole or not at all, and a failure names the file.
// write-file-atomic (used before) issues a single write() and renames whatever it wrote: a short
// write, which a nearly full disk or a file-size limit (ulimit -f) gives, replaced a good
// report.json with its first 3 KiB. Its errors also name no file ("ENOSPC: ..., write").

/** A report file that could not be written; the CLI turns these into one error and exit code 3. */
export class ReportWriteError extends Error {
  /** The OS's reason in words, with its code: "no space left on device (ENOSPC)". */
  readonly reason: string;
  /** The OS's error code (ENOSPC, EFBIG, EROFS, ...), when there is one. */
  readonly code: string | undefined;

  constructor(
    /** The file that was to be written. */
    readonly file: string,
    cause: unknown,
  ) {
    const reason = describeFsError(cause);
    super(`could not write ${file}: ${reason}`, { cause });
    this.name = 'ReportWriteError';
    this.reason = reason;
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/**
 * Writes all of `text` to a new file and flushes it to disk. FileHandle.writeFile repeats a short
 * write, so a full disk or the file-size limit ends in ENOSPC or EFBIG, never in a shorter file.
 */
async function writeWholeFile(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a report file atomically, creating its folder: the whole text to a temp file beside it,
 * then a rename. A reader never sees half a file, and a failed write leaves the earlier file as it
 * was and no temp file behind. Throws a ReportWriteError naming the file.
 */
export async function writeReportFile(file: string, text: string): Promise<void> {
  const temp = `${file}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeWholeFile(temp, text);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new ReportWriteError(file, error);
  }
}
