import { realpathSync } from 'node:fs';
import fg from 'fast-glob';
import path from 'node:path';

// Chunks run from argv arrays, never through a shell, so nothing else would expand a pattern
// such as "tests/unit/**/test_*.py": pytest would look for a file literally named so.
const GLOB_CHARS = /[*?[\]{}]/;

/** Whether a test path is a glob pattern rather than a plain path. */
export function isGlobPattern(value: string): boolean {
  return GLOB_CHARS.test(value);
}

/** The real path of `file` under `cwd` (symlinks resolved), or its absolute path when it cannot be resolved. */
export function realPathOrResolved(file: string, cwd: string): string {
  return realPathOf(file, cwd) ?? path.resolve(cwd, file);
}

/** The real path of `file` under `cwd` (symlinks resolved), or undefined for a dangling link. */
function realPathOf(file: string, cwd: string): string | undefined {
  try {
    return realpathSync(path.resolve(cwd, file));
  } catch {
    return undefined;
  }
}

/** Whether `dir` is `inner` or a folder above it. */
function isSameOrAncestor(dir: string, inner: string): boolean {
  const relative = path.relative(dir, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Sorted files and folders matching `pattern` under `cwd` (relative paths, as written), each real
 * file once. The walk never enters a symlinked folder: a link back up (tests/loop → tests) would
 * make it endless, or list one file forty times, and pytest would run each copy. A symlink that
 * the pattern itself matches is kept, unless it points back to a folder it is in (pytest would walk
 * that loop for ever); of several paths to one real file, the first in sort order.
 */
export function expandGlobSync(pattern: string, cwd: string): string[] {
  const matches = fg.sync(pattern, { cwd, onlyFiles: false, dot: false, followSymbolicLinks: false }).sort();
  const seen = new Set<string>();
  return matches.filter((match) => {
    const real = realPathOrResolved(match, cwd);
    const realParent = realPathOf(path.dirname(match), cwd);
    if (seen.has(real) || (realParent !== undefined && isSameOrAncestor(real, realParent))) return false;
    seen.add(real);
    return true;
  });
}
