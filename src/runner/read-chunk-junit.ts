import { stat } from 'node:fs/promises';
import { parseJunitCounts, type TestCounts } from '../results/parse-junit.js';
import { describeFsError } from '../util/describe-fs-error.js';
import { formatMiB, readRegularFile } from '../util/read-regular-file.js';

// A chunk's JUnit path may name anything a command left there: a FIFO (reading it would wait for a
// writer forever), a device, a folder, or a dump of gigabytes. A testcase takes about 120 bytes, so
// this holds half a million; parsed, a file takes some 17 times its size in memory (400 MiB peak
// for 24 MB, 200,000 testcases), so a bigger one is refused, never read.
export const MAX_CHUNK_JUNIT_BYTES = 64 * 1024 * 1024;

// Clock granularity of file systems: a JUnit file written during the run may carry an mtime a
// little before our own start time.
const MTIME_SLACK_MS = 2_000;

/** What a chunk's JUnit path held when its process ended. `unusable` says why in words, naming nothing else. */
export type JunitReading =
  | { kind: 'read'; xml: string; counts: TestCounts }
  | { kind: 'missing' }
  | { kind: 'stale'; modifiedAt: Date }
  | { kind: 'unusable'; why: string };

/** The reading in a few words, for a message that names the path before it ("… was not written"). */
export function describeJunitReading(reading: Exclude<JunitReading, { kind: 'read' }>): string {
  if (reading.kind === 'missing') return 'does not exist';
  if (reading.kind === 'stale') return `was not written during this run (last modified ${reading.modifiedAt.toISOString()}, before the chunk started)`;
  return reading.why;
}

/**
 * Reads the JUnit file at `junitPath` if it was written during this attempt: a regular file of at
 * most MAX_CHUNK_JUNIT_BYTES holding JUnit XML. A file from before the attempt is `stale` (a
 * leftover from an earlier run must never be read as this run's results).
 */
export async function readChunkJunit(junitPath: string, startedAt: Date): Promise<JunitReading> {
  let read;
  try {
    // stat never opens the file, so it cannot block on a FIFO; readRegularFile judges what it opens.
    const info = await stat(junitPath).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
    if (info === undefined) return { kind: 'missing' };
    if (info.isFile() && info.mtimeMs < startedAt.getTime() - MTIME_SLACK_MS) return { kind: 'stale', modifiedAt: info.mtime };
    read = await readRegularFile(junitPath, MAX_CHUNK_JUNIT_BYTES);
  } catch (error) {
    return { kind: 'unusable', why: `could not be read (${describeFsError(error)})` };
  }
  if (read.kind === 'missing') return { kind: 'missing' };
  if (read.kind === 'refused')
    return { kind: 'unusable', why: read.sizeBytes === undefined ? `is ${read.what}, not a file, so it was not read` : `is ${read.what}, over the ${formatMiB(MAX_CHUNK_JUNIT_BYTES)} a JUnit file may have, so it was not read` };
  const xml = read.bytes.toString('utf8');
  const counts = parseJunitCounts(xml);
  if (counts === undefined) return { kind: 'unusable', why: 'is not JUnit XML (no <testsuites> or <testsuite> root)' };
  return { kind: 'read', xml, counts };
}
