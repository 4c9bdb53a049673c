import { closeSync, constants, openSync, readSync } from 'node:fs';

// The kernel log names every process the OOM killer kills ("Killed process PID (comm)", and an
// "oom-kill:... pid=PID" summary). Where a chunk has no cgroup counters, such a line naming one
// of its processes, logged while it ran, is evidence for this chunk. Only /dev/kmsg is read:
// opened non-blocking, each reader has its own position, so reading takes nothing from anyone
// (dmesg reads the same buffer). Most systems let only root read it (kernel.dmesg_restrict).

const KMSG = '/dev/kmsg';
// One record per read; a record is at most about 1 KiB, this leaves room.
const RECORD_BYTES = 8192;
// The ring buffer holds a few thousand records; this bounds a read whatever happens.
const MAX_RECORDS = 200_000;
// The kernel log's clock and CLOCK_MONOTONIC both count from boot, but are not the same clock.
const CLOCK_SLACK_US = 1_000_000;

const KILLED_PROCESS = /Killed process (\d+) \(/;
const OOM_KILL_SUMMARY = /^oom-kill:.*\bpid=(\d+)\b/;

/** The kernel's monotonic clock now, in µs (what /dev/kmsg timestamps use, near enough). */
export function monotonicNowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** OOM-kill lines of the kernel log about `pids`, logged since `sinceUs`; or why it cannot be read. */
export type KernelLogReading = { source: typeof KMSG; lines: string[] } | { source: typeof KMSG; unreadable: string };

/** Reads /dev/kmsg (or the file given, for tests) for OOM kills of any of `pids` since `sinceUs`. */
export function readOomKillLines(pids: ReadonlySet<number>, sinceUs: number, file = KMSG): KernelLogReading {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { source: KMSG, unreadable: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
  const lines: string[] = [];
  const buffer = Buffer.alloc(RECORD_BYTES);
  try {
    for (let count = 0; count < MAX_RECORDS; count += 1) {
      let size: number;
      try {
        size = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // EPIPE: the record we were at was overwritten; the next read goes on from the oldest.
        if (code === 'EPIPE') continue;
        break; // EAGAIN: the end of the log (or any other error: stop, keep what was read).
      }
      if (size === 0) break;
      const line = matchRecord(buffer.toString('utf8', 0, size), pids, sinceUs);
      if (line !== undefined) lines.push(line);
    }
  } finally {
    closeSync(fd);
  }
  return { source: KMSG, lines };
}

/** "PRI,SEQ,TIMESTAMP_US,FLAGS;MESSAGE\n KEY=VALUE...": the message when it is an OOM kill of `pids`. */
export function matchRecord(record: string, pids: ReadonlySet<number>, sinceUs: number): string | undefined {
  const separator = record.indexOf(';');
  if (separator < 0) return undefined;
  const timestampUs = Number(record.slice(0, separator).split(',')[2]);
  if (!Number.isFinite(timestampUs) || timestampUs < sinceUs - CLOCK_SLACK_US) return undefined;
  const message = record.slice(separator + 1).split('\n')[0]!;
  const pid = Number((KILLED_PROCESS.exec(message) ?? OOM_KILL_SUMMARY.exec(message))?.[1]);
  return pids.has(pid) ? message : undefined;
}
