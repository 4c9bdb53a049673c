// Links from report.html to the files beside it (each chunk's log and JUnit file). They are
// relative, so a report dir that is uploaded as a CI artifact and downloaded elsewhere still opens
// them; a file outside the report's folder, or not there when the page was written, is named, not linked.
import { stat } from 'node:fs/promises';
import path from 'node:path';

/** How the page refers to one file: a relative link, or its path with why it is not linked. */
export type FileRef = { kind: 'link'; href: string; shown: string } | { kind: 'text'; why: string };

/** What the page says of every file it names, by the path report.json gives. */
export type FileRefs = ReadonlyMap<string, FileRef>;

/**
 * A relative URL from a page in `fromDir` to `file`, each path segment percent-encoded (a chunk
 * named `a#b` or `50%` must not become a fragment or an escape); undefined when `file` is not
 * inside `fromDir`, where a relative link would leave the uploaded folder.
 */
export function relativeHref(fromDir: string, file: string): string | undefined {
  const relative = path.relative(path.resolve(fromDir), path.resolve(file));
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).map(encodeURIComponent).join('/');
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((info) => info.isFile(), () => false);
}

/**
 * Decides, for each of `files` (absolute paths as report.json gives them), how a page written in
 * `htmlDir` refers to it: linked when it is a file inside `htmlDir` now, else named with the reason.
 */
export async function resolveFileRefs(htmlDir: string, files: Iterable<string>): Promise<Map<string, FileRef>> {
  const refs = new Map<string, FileRef>();
  for (const file of files) {
    if (refs.has(file)) continue;
    const href = relativeHref(htmlDir, file);
    if (href === undefined) refs.set(file, { kind: 'text', why: "outside the report's folder, so not linked: an upload of the folder does not hold it" });
    else if (!(await isFile(file))) refs.set(file, { kind: 'text', why: 'not there when this page was written' });
    else refs.set(file, { kind: 'link', href, shown: path.relative(htmlDir, file) });
  }
  return refs;
}
