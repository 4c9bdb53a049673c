import { CUT_LINE_MARKER, MAX_PENDING_CHARS } from './line-prefixer.js';
import { LiveFooter } from './live-footer.js';

// Progress changes arrive many times a second; the footer is drawn again at most this often.
const REDRAW_INTERVAL_MS = 100;

/**
 * Writes to the terminal for the terminal reporter. On a TTY it keeps a live footer (one line
 * per running chunk) under the scrolling output, and holds back a partial line (pytest's "...")
 * until it ends, since the footer can only be redrawn below whole lines. Elsewhere it writes
 * through, and remembers whether stdout is at the start of a line.
 */
export class TerminalWriter {
  private readonly footer: LiveFooter | undefined;
  private pending = '';
  private atLineStart = true;
  private redrawTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stdout: NodeJS.WritableStream,
    private readonly stderr: NodeJS.WritableStream,
    live: boolean,
    private readonly footerLines: () => string[],
  ) {
    this.footer = live ? new LiveFooter(stdout) : undefined;
  }

  /** Writes output (chunk output or the reporter's own lines) to stdout. */
  out(text: string): void {
    if (!text) return;
    if (!this.footer) {
      this.stdout.write(text);
      this.atLineStart = text.endsWith('\n');
      return;
    }
    // Only the new text is searched, and a held line is cut at MAX_PENDING_CHARS: a long line
    // without a newline costs linear time and bounded memory (see line-prefixer.ts).
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      this.pending += text;
      if (this.pending.length < MAX_PENDING_CHARS) return;
      const held = this.pending;
      this.pending = CUT_LINE_MARKER;
      this.footer.write(`${held}${CUT_LINE_MARKER}\n`, this.footerLines());
      return;
    }
    const whole = this.pending + text.slice(0, cut + 1);
    this.pending = text.slice(cut + 1);
    this.footer.write(whole, this.footerLines());
  }

  /** Writes a message to stderr, keeping the footer intact. */
  err(text: string): void {
    this.footer?.clear();
    this.stderr.write(text);
    this.footer?.write('', this.footerLines());
  }

  /** Ends an unfinished output line, so the next line starts at the left margin. */
  endPartialLine(): void {
    if (this.footer) {
      if (this.pending) this.out('\n');
    } else if (!this.atLineStart) this.out('\n');
  }

  /** Draws the footer again soon (coalescing bursts of progress). */
  scheduleRedraw(): void {
    if (!this.footer || this.redrawTimer) return;
    this.redrawTimer = setTimeout(() => {
      this.redrawTimer = undefined;
      this.footer?.write('', this.footerLines());
    }, REDRAW_INTERVAL_MS);
    this.redrawTimer.unref();
  }

  /** Removes the footer and stops redrawing (end of the run). */
  close(): void {
    clearTimeout(this.redrawTimer);
    this.redrawTimer = undefined;
    this.endPartialLine();
    this.footer?.clear();
  }
}
