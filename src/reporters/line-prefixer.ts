// Past this, an unfinished line is written out in pieces: a test printing 40 MB without a newline
// (a progress bar, a base64 dump) must cost neither memory nor time beyond the piece being held.
export const MAX_PENDING_CHARS = 64 * 1024;

/** Ends a piece of a line cut at MAX_PENDING_CHARS, and starts the piece that follows it. */
export const CUT_LINE_MARKER = '…';

/**
 * Splits a stream's chunks of text into whole lines and prefixes each, keeping a partial last
 * line until its end arrives (output of chunks running at once must not interleave mid-line).
 * Linear in what is pushed: only the partial line is held, never re-joined with what came before
 * more than once, and never longer than MAX_PENDING_CHARS.
 */
export class LinePrefixer {
  private pending: string[] = [];
  private pendingChars = 0;
  // The line being held continues one that was cut: it starts with the marker.
  private continuing = false;

  constructor(private readonly prefix: string) {}

  /** Returns the complete, prefixed lines in `text` (with their newlines), and pieces of an overlong line. */
  push(text: string): string {
    const out: string[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      // The line ends in this read, but what was held plus its end may still pass the cap.
      const offset = this.cut(text.slice(start, newline), out, false);
      out.push(this.startLine(), ...this.pending, text.slice(start + offset, newline + 1));
      this.pending = [];
      this.pendingChars = 0;
      this.continuing = false;
      start = newline + 1;
    }
    this.hold(text.slice(start), out);
    return out.join('');
  }

  /** Returns what is left of an unfinished line, prefixed and ended, and forgets it. */
  flush(): string {
    if (this.pendingChars === 0) return '';
    const rest = `${this.startLine()}${this.pending.join('')}\n`;
    this.pending = [];
    this.pendingChars = 0;
    this.continuing = false;
    return rest;
  }

  private startLine(): string {
    return this.continuing ? `${this.prefix}${CUT_LINE_MARKER}` : this.prefix;
  }

  /** Keeps `rest` (no newline in it) as the partial line, writing out whole MAX_PENDING_CHARS pieces of it. */
  private hold(rest: string, out: string[]): void {
    const offset = this.cut(rest, out, true);
    if (offset < rest.length) {
      this.pending.push(rest.slice(offset));
      this.pendingChars += rest.length - offset;
    }
  }

  /**
   * Writes out whole MAX_PENDING_CHARS pieces of the held line followed by `rest` (no newline in
   * it), and returns how much of `rest` they took. A line still open is cut when it reaches the
   * cap; a line that ends after `rest` only when it passes it (a piece of exactly the cap then ends it).
   */
  private cut(rest: string, out: string[], open: boolean): number {
    let offset = 0;
    const more = (): boolean => {
      const total = this.pendingChars + (rest.length - offset);
      return open ? total >= MAX_PENDING_CHARS : total > MAX_PENDING_CHARS;
    };
    while (more()) {
      const take = MAX_PENDING_CHARS - this.pendingChars;
      out.push(this.startLine(), ...this.pending, rest.slice(offset, offset + take), `${CUT_LINE_MARKER}\n`);
      this.pending = [];
      this.pendingChars = 0;
      this.continuing = true;
      offset += take;
    }
    return offset;
  }
}
