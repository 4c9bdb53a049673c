import fg from 'fast-glob';

// Chunks run from argv arrays, never through a shell, so nothing else would expand a pattern
// such as "tests/unit/**/test_*.py": pytest would look for a file literally named so.
const GLOB_CHARS = /[*?[\]{}]/;

/** Whether a test path is a glob pattern rather than a plain path. */
export function isGlobPattern(value: string): boolean {
  return GLOB_CHARS.test(value);
}

/** Sorted files and folders matching `pattern` under `cwd` (relative paths, as written). */
export function expandGlobSync(pattern: string, cwd: string): string[] {
  return fg.sync(pattern, { cwd, onlyFiles: false, dot: false }).sort();
}
