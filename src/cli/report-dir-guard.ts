import { realpathSync } from 'node:fs';
import path from 'node:path';
import { quoteText } from '../config/quote-text.js';
import type { LoadedConfig } from '../config/types.js';
import { UserError } from '../util/user-error.js';
import { DEFAULT_REPORT_DIR } from './parse-args.js';

// Each run deletes and rewrites a folder per chunk inside the report dir, so `--report-dir .` with
// a chunk named "tests" would delete ./tests. Paths are compared as the kernel resolves them: a
// symlink to the project (or to a folder above it) is the project.

// Kernel file systems: writing a report there pokes kernel settings, never stores a file.
const KERNEL_FILE_SYSTEMS = ['/proc', '/sys'];

/** Whether `dir` is `inner` or one of its parent folders. */
function isSameOrAncestor(dir: string, inner: string): boolean {
  const relative = path.relative(dir, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The real path of `dir` (symlinks resolved), also for a dir not made yet: the real path of its
 * nearest existing ancestor, with the missing rest appended.
 */
export function resolveRealPath(dir: string): string {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    try {
      return path.join(realpathSync(current), ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.join(current, ...missing.reverse());
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Refuses a report dir that is, or holds, the project (the current folder, the config's folder,
 * the project's cwd), compared by real path, and one inside /proc or /sys.
 */
export function assertReportDirApart(reportDir: string, given: string, loaded: LoadedConfig, cwd: string): void {
  const realReportDir = resolveRealPath(reportDir);
  const kernelFs = KERNEL_FILE_SYSTEMS.find((root) => isSameOrAncestor(root, realReportDir));
  if (kernelFs !== undefined)
    throw new UserError(
      `--report-dir ${quoteText(given, 200)} is inside ${kernelFs} (${realReportDir}), a kernel file system that holds no files of its own. Choose a folder on a real disk, e.g. --report-dir ${DEFAULT_REPORT_DIR}.`,
    );
  const projectCwd = path.resolve(loaded.configDir, loaded.config.cwd ?? '.');
  const guarded = [
    { dir: cwd, what: 'the current folder' },
    { dir: loaded.configDir, what: 'the config file\'s folder' },
    { dir: projectCwd, what: 'the project\'s cwd' },
  ];
  const clash = guarded.map((entry) => ({ ...entry, real: resolveRealPath(entry.dir) })).find(({ real }) => isSameOrAncestor(realReportDir, real));
  if (clash === undefined) return;
  const relation = realReportDir === clash.real ? 'is' : 'holds';
  const through = realReportDir === reportDir ? '' : `, through a symlink: it resolves to ${realReportDir}`;
  throw new UserError(
    `--report-dir ${quoteText(given, 200)} ${relation} ${clash.what} (${clash.dir}${through}). Each run deletes and rewrites a folder per chunk inside the report dir, so it must be a folder of its own, e.g. --report-dir ${DEFAULT_REPORT_DIR}.`,
  );
}
