import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

// Big enough to drain a burst of events in one read; small enough to never matter for memory.
const READ_BUFFER_BYTES = 64 * 1024;
// An event line is a few hundred bytes; one past this is broken output, and holding it whole
// could take run-chunks' memory with it (or hit V8's string limit). It is dropped and counted.
const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Follows a file that other processes append lines to, reading only what is new on each poll.
 * A file that does not exist yet is simply empty; a partial last line waits for its end. Once
 * the file is open it stays open until `close()`: if the file is deleted meanwhile (a test that
 * removes the report dir), the writers go on appending to the same unlinked file, and so does
 * this reader, so no line is lost.
 */
export class LineTail {
  private offset = 0;
  private partial = '';
  // True while skipping the rest of an overlong line, up to its newline.
  private discarding = false;
  private dropped = 0;
  private fd: number | undefined;
  private readonly buffer = Buffer.alloc(READ_BUFFER_BYTES);
  // Keeps a UTF-8 character that straddles two reads whole.
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly filePath: string) {}

  /** Whether the file has been opened (it existed at some poll). */
  get opened(): boolean {
    return this.fd !== undefined;
  }

  /** Returns the complete lines appended since the last call. */
  readNewLines(): string[] {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.filePath, 'r');
      } catch {
        return [];
      }
    }
    const lines: string[] = [];
    for (;;) {
      const bytesRead = readSync(this.fd, this.buffer, 0, this.buffer.length, this.offset);
      if (bytesRead <= 0) break;
      this.offset += bytesRead;
      this.splitPiece(this.decoder.write(this.buffer.subarray(0, bytesRead)), lines);
    }
    return lines;
  }

  /** Closes the file; a later read opens it again from where this one stopped. */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Lines dropped for being longer than MAX_LINE_CHARS so far. */
  get droppedLines(): number {
    return this.dropped;
  }

  /** Adds the complete lines of `partial + piece` to `lines`, keeping what follows the last newline. */
  private splitPiece(piece: string, lines: string[]): void {
    const newline = piece.indexOf('\n');
    // Skipping an overlong line: nothing of it is held, up to its newline.
    if (this.discarding && newline < 0) return;
    if (newline < 0) {
      // No line ends here: appending builds a rope, with no copy of what is held.
      this.partial += piece;
      this.dropOverlongPartial();
      return;
    }
    const parts = (this.partial + piece).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.discarding && parts.length > 0) {
      // The first part ends the overlong line being skipped.
      parts.shift();
      this.discarding = false;
    }
    for (const part of parts) {
      if (part.length > MAX_LINE_CHARS) this.dropped += 1;
      else if (part.length > 0) lines.push(part);
    }
    this.dropOverlongPartial();
  }

  /** Drops a partial line past MAX_LINE_CHARS (counted once) and skips the rest of it. */
  private dropOverlongPartial(): void {
    if (this.partial.length <= MAX_LINE_CHARS) return;
    if (!this.discarding) this.dropped += 1;
    this.partial = '';
    this.discarding = true;
  }

  /** Whatever is left of an unfinished last line (written by a process that died mid-line). */
  takePartial(): string {
    const rest = this.discarding ? '' : this.partial;
    this.partial = '';
    return rest;
  }
}
