// Which chunks one pytest session can judge by itself: the bundled plugin (selections.py) evaluates
// a chunk's -m, -k and paths against the session's own collection. That is exact only when the
// chunk would collect the same suite: same folder, and no argument of its own that changes what
// pytest collects or how it names it. Any other chunk is collected on its own, as before.
import path from 'node:path';
import type { ChunkPlan } from './types.js';

/** A chunk's selection as selections.py reads it. */
export interface SelectionSpec {
  name: string;
  markers: string | null;
  keyword: string | null;
  /** Absolute test paths (with any `::` parts); null: the session's own paths. */
  paths: string[] | null;
}

/** The chunks one session judges, and those that need a collection of their own (with why). */
export interface SelectionSplit {
  judged: SelectionSpec[];
  separate: { plan: ChunkPlan; reason: string }[];
}

// Options that change which tests pytest collects, or the node ids it gives them, each with
// whether it takes a value. -m and -k in `args` would apply on top of the chunk's own.
const COLLECTION_OPTIONS = new Map<string, boolean>([
  ['-p', true],
  ['-c', true],
  ['--config-file', true],
  ['--rootdir', true],
  ['--confcutdir', true],
  ['--import-mode', true],
  ['--ignore', true],
  ['--ignore-glob', true],
  ['--deselect', true],
  ['-o', true],
  ['--override-ini', true],
  ['-m', true],
  ['-k', true],
  ['--pyargs', false],
  ['--noconftest', false],
  ['--keep-duplicates', false],
  ['--lf', false],
  ['--last-failed', false],
  ['--ff', false],
  ['--failed-first', false],
  ['--nf', false],
  ['--new-first', false],
  ['--sw', false],
  ['--stepwise', false],
  ['--sw-skip', false],
  ['--stepwise-skip', false],
]);

/**
 * The arguments among `args` that shape collection, in order: the options above with their
 * values, and test paths (a word naming a file or folder that exists under `cwd`).
 */
export function collectionArgs(args: readonly string[], cwd: string, exists: (file: string) => boolean): string[] {
  const shaping: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const name = arg.startsWith('--') ? arg.split('=')[0]! : arg.slice(0, 2);
    const takesValue = COLLECTION_OPTIONS.get(name);
    if (takesValue !== undefined) {
      // `-o x=y`, `-oX`, `--ignore=dir`: the value is attached unless the option stands alone.
      const attached = arg !== name;
      shaping.push(arg);
      if (takesValue && !attached && index + 1 < args.length) shaping.push(args[++index]!);
    } else if (!arg.startsWith('-') && exists(path.resolve(cwd, arg.split('::')[0]!))) {
      shaping.push(arg);
    }
  }
  return shaping;
}

function allArgs(plan: ChunkPlan): string[] {
  return [...plan.pytest!.args, ...plan.pytest!.passthroughArgs];
}

/** The absolute form of a test path argument, `::` parts kept. */
function absoluteTestPath(arg: string, cwd: string): string {
  const [file, ...parts] = arg.split('::');
  return [path.resolve(cwd, file!), ...parts].join('::');
}

/** Why `plan` cannot be judged inside `base`'s session, or undefined when it can. */
function separateReason(base: ChunkPlan, plan: ChunkPlan, exists: (file: string) => boolean): string | undefined {
  if (plan.cwd !== base.cwd) return `runs in another folder (${plan.cwd})`;
  const own = collectionArgs(allArgs(plan), plan.cwd, exists);
  const shared = collectionArgs(allArgs(base), base.cwd, exists);
  if (own.join('\0') === shared.join('\0')) return undefined;
  const extra = own.filter((arg) => !shared.includes(arg));
  if (extra.length > 0) return `has arguments that change collection (${extra.join(' ')})`;
  return `lacks arguments that change collection (${shared.filter((arg) => !own.includes(arg)).join(' ')}, which "${base.name}" has)`;
}

/** Splits `others` into the chunks `base`'s session can judge and those collected on their own. */
export function splitSelections(base: ChunkPlan, others: readonly ChunkPlan[], exists: (file: string) => boolean): SelectionSplit {
  const split: SelectionSplit = { judged: [], separate: [] };
  const baseTestPaths = base.pytest!.testPaths.join('\0');
  for (const plan of others) {
    const reason = separateReason(base, plan, exists);
    if (reason !== undefined) {
      split.separate.push({ plan, reason });
      continue;
    }
    const { markers, keyword, testPaths } = plan.pytest!;
    split.judged.push({
      name: plan.name,
      markers: markers ?? null,
      keyword: keyword ?? null,
      paths: testPaths.length === 0 || testPaths.join('\0') === baseTestPaths ? null : testPaths.map((arg) => absoluteTestPath(arg, plan.cwd)),
    });
  }
  return split;
}

/** One chunk's selection in words, for --dry-run and notices: `a (-m "slow")`. */
export function describeSelection(spec: SelectionSpec, cwd: string): string {
  const parts: string[] = [];
  if (spec.markers) parts.push(`-m ${JSON.stringify(spec.markers)}`);
  if (spec.keyword) parts.push(`-k ${JSON.stringify(spec.keyword)}`);
  if (spec.paths) parts.push(`paths ${spec.paths.map((p) => path.relative(cwd, p) || '.').join(' ')}`);
  return `${spec.name} (${parts.join(', ') || 'the whole suite'})`;
}
