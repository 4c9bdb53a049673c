import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The folder that holds run-chunks' files by default: the report dir and the run history. */
export const OWN_FOLDER_NAME = '.run-chunks';

// `*` ignores the .gitignore too, so the folder does not show in `git status` at all.
const GITIGNORE = '# Written by run-chunks: its reports and run history stay out of git.\n*\n';

/**
 * Creates `dir` and its missing parents. A `.run-chunks` folder among the ones it creates gets a
 * .gitignore, so reports and history never show in `git status`; a folder that was already there
 * is the user's, and nothing is written into it.
 */
export function makeFolder(dir: string): void {
  const first = mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  for (let folder = path.resolve(dir); ; folder = path.dirname(folder)) {
    if (path.basename(folder) === OWN_FOLDER_NAME) writeGitignore(folder);
    if (folder === path.resolve(first) || folder === path.dirname(folder)) return;
  }
}

function writeGitignore(folder: string): void {
  try {
    writeFileSync(path.join(folder, '.gitignore'), GITIGNORE, { flag: 'wx' });
  } catch (error) {
    // Another run-chunks made the folder at the same moment and wrote it first.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * makeFolder for the folder of `file` (the run history), before its lock is taken there. A folder
 * that cannot be made is not an error here: taking the lock fails next, and says why.
 */
export function makeFolderOf(file: string): void {
  try {
    makeFolder(path.dirname(file));
  } catch {
    // See above: acquireLock reports it.
  }
}
