import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';

// A path given on the command line may name anything: a FIFO (reading it waits for a writer that
// may never come), /dev/zero (endless), a folder, or a huge dump. The file is opened without
// blocking and judged by fstat of that very descriptor, before a byte is read, so nothing can be
// swapped in between the check and the read; the read itself stops at the cap.

const READ_CHUNK_BYTES = 1024 * 1024;

/** What `readRegularFile` found. `refused` says, in a few words, what the path is instead (its size, when it is too big). */
export type RegularFileRead =
  | { kind: 'read'; bytes: Buffer }
  | { kind: 'missing' }
  | { kind: 'refused'; what: string; sizeBytes?: number };

/** What a non-regular file is, in words ("a named pipe (FIFO)"). */
export function describeFileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Whole MiB, for messages ("65 MiB"). */
export function formatMiB(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

async function readUpTo(handle: FileHandle, maxBytes: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) return Buffer.concat(parts, total);
    total += bytesRead;
    // A file that grows past the cap while it is read (or that lies about its size, as /proc
    // files do) is refused like one that was too big from the start.
    if (total > maxBytes) return undefined;
    parts.push(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
  }
}

/**
 * Reads `file` if it is a regular file of at most `maxBytes`; a missing file is `missing`, a
 * FIFO, device, socket, folder or oversized file is `refused` (never read). Other errors
 * (permissions, I/O) are thrown as the OS gave them.
 */
export async function readRegularFile(file: string, maxBytes: number): Promise<RegularFileRead> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    // A socket cannot be opened at all; say what it is rather than "no such device".
    if (code === 'ENXIO') return { kind: 'refused', what: 'a socket or a device with nothing behind it' };
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { kind: 'refused', what: describeFileKind(stats) };
    if (stats.size > maxBytes) return { kind: 'refused', what: `${formatMiB(stats.size)}`, sizeBytes: stats.size };
    const bytes = await readUpTo(handle, maxBytes);
    return bytes === undefined ? { kind: 'refused', what: `more than ${formatMiB(maxBytes)}`, sizeBytes: maxBytes + 1 } : { kind: 'read', bytes };
  } finally {
    await handle.close();
  }
}
