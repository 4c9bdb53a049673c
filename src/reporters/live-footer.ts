/**
 * A block of status lines kept at the bottom of a terminal while output scrolls above it: before
 * anything is written, the block is erased; after, it is drawn again. Only for a TTY.
 */
export class LiveFooter {
  private drawnLines = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /** Writes `text` (whole lines) above the footer, then draws `lines` as the new footer. */
  write(text: string, lines: readonly string[]): void {
    this.stream.write(this.eraseSequence() + text + this.render(lines));
  }

  /** Erases the footer for good (at the end of the run). */
  clear(): void {
    if (this.drawnLines > 0) this.stream.write(this.eraseSequence());
  }

  private eraseSequence(): string {
    if (this.drawnLines === 0) return '';
    // Cursor to the start of the footer's first line, then clear to the end of the screen.
    const sequence = `\r\u001b[${this.drawnLines}A\u001b[J`;
    this.drawnLines = 0;
    return sequence;
  }

  private render(lines: readonly string[]): string {
    this.drawnLines = lines.length;
    return lines.map((line) => `${line}\n`).join('');
  }
}
