/**
 * Splits a stream's chunks of bytes into whole lines and prefixes each, keeping a partial last
 * line until its end arrives (output of chunks running at once must not interleave mid-line).
 */
export class LinePrefixer {
  private partial = '';

  constructor(private readonly prefix: string) {}

  /** Returns the complete, prefixed lines in `text` (with their newlines). */
  push(text: string): string {
    const combined = this.partial + text;
    const lastNewline = combined.lastIndexOf('\n');
    if (lastNewline < 0) {
      this.partial = combined;
      return '';
    }
    this.partial = combined.slice(lastNewline + 1);
    return combined
      .slice(0, lastNewline + 1)
      .split(/(?<=\n)/)
      .map((line) => this.prefix + line)
      .join('');
  }

  /** Returns what is left of an unfinished line, prefixed and ended, and forgets it. */
  flush(): string {
    if (this.partial === '') return '';
    const rest = `${this.prefix}${this.partial}\n`;
    this.partial = '';
    return rest;
  }
}
