import { closeSync, openSync, readSync, statSync } from 'node:fs';

// Which build of the CLI to load. The bundle (scripts/bundle.mjs: one file, about twice as fast
// to start as the ~150 compiled modules) carries a build id on its first line, and the same id is
// appended to the compiled main.js it was made from. The npm package ships the bundle alone, so
// it always runs the bundle; in a checkout, the bundle runs only while the ids agree: a `tsc`-only
// rebuild rewrites main.js without the id, and the compiled modules then run, never stale code.
// File times are never consulted: npm extracts files in any order, with any mtimes.

const ID_PATTERN = /\/\/ run-chunks-build-id: ([0-9a-f-]{8,64})/;
// The id line is the bundle's first and main.js's last; a few hundred bytes hold it either way.
const PROBE_BYTES = 512;

/** The build id within the first or last PROBE_BYTES of `file`; undefined: none, or no such file. */
export function readBuildId(file, where) {
  let fd;
  try {
    fd = openSync(file, 'r');
    const size = statSync(file).size;
    const length = Math.min(PROBE_BYTES, size);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, where === 'head' ? 0 : size - length);
    return ID_PATTERN.exec(buffer.toString('latin1'))?.[1];
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The URL to import: the bundle when it is the only build or the compiled modules' own, else the compiled main.js. */
export function chooseEntry(compiled, bundled) {
  const bundleId = readBuildId(bundled, 'head');
  if (bundleId === undefined) return compiled;
  let compiledExists = true;
  try {
    statSync(compiled);
  } catch {
    compiledExists = false;
  }
  if (!compiledExists) return bundled;
  return readBuildId(compiled, 'tail') === bundleId ? bundled : compiled;
}
