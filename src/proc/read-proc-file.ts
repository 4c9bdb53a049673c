import { closeSync, openSync, readSync } from 'node:fs';

// Files under /proc report a size of 0, so readFileSync reads them through its unknown-size path,
// allocating a fresh 64 KiB buffer on every call. The sampler reads a few hundred of them a
// second; one shared buffer makes those reads allocate nothing but the text itself.
const buffer = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads a whole /proc file as text (`latin1` for binary-ish files such as environ). Throws like
 * readFileSync when the file cannot be opened (the process is gone, or not ours to read).
 */
export function readProcFile(path: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  const fd = openSync(path, 'r');
  try {
    // Reads append to the buffer; a file longer than it (an environ past 64 KiB) is gathered in
    // copies and decoded once, so no character is cut between two pieces.
    const pieces: Buffer[] = [];
    let length = 0;
    let bytesRead: number;
    while ((bytesRead = readSync(fd, buffer, length, buffer.length - length, null)) > 0) {
      length += bytesRead;
      if (length === buffer.length) {
        pieces.push(Buffer.from(buffer));
        length = 0;
      }
    }
    if (pieces.length === 0) return buffer.toString(encoding, 0, length);
    pieces.push(Buffer.from(buffer.subarray(0, length)));
    return Buffer.concat(pieces).toString(encoding);
  } finally {
    closeSync(fd);
  }
}
