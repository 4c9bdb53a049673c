import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

// Big enough to drain a burst of events in one read; small enough to never matter for memory.
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * Follows a file that other processes append lines to, reading only what is new on each poll.
 * A file that does not exist yet is simply empty; a partial last line waits for its end.
 */
export class LineTail {
  private offset = 0;
  private partial = '';
  private readonly buffer = Buffer.alloc(READ_BUFFER_BYTES);
  // Keeps a UTF-8 character that straddles two reads whole.
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly filePath: string) {}

  /** Returns the complete lines appended since the last call. */
  readNewLines(): string[] {
    let fd: number;
    try {
      fd = openSync(this.filePath, 'r');
    } catch {
      return [];
    }
    const chunks: string[] = [];
    try {
      for (;;) {
        const bytesRead = readSync(fd, this.buffer, 0, this.buffer.length, this.offset);
        if (bytesRead <= 0) break;
        this.offset += bytesRead;
        chunks.push(this.decoder.write(this.buffer.subarray(0, bytesRead)));
      }
    } finally {
      closeSync(fd);
    }
    if (chunks.length === 0) return [];
    const text = this.partial + chunks.join('');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.filter((line) => line.length > 0);
  }

  /** Whatever is left of an unfinished last line (written by a process that died mid-line). */
  takePartial(): string {
    const rest = this.partial;
    this.partial = '';
    return rest;
  }
}
