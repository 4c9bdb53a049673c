// Escaping for the Markdown of GitHub's job summary, where test ids and messages are untrusted
// text: "<script>" must stay text, and a "|" must not open a new table column.

// ASCII punctuation that can start inline syntax (emphasis, code, links, HTML, strikethrough,
// entities, mentions, emoji shortcodes) or split a table cell. CommonMark lets a backslash
// escape any ASCII punctuation, so each becomes literal.
const INLINE_SPECIAL = /[\\`*_[\]<>|~&@:!#]/g;

/** Text as literal Markdown on one line: special characters escaped, line breaks turned into spaces. */
export function escapeMarkdown(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(INLINE_SPECIAL, (char) => `\\${char}`);
}

/**
 * Text as an inline code span on one line (code spans show HTML and emphasis as text). The fence
 * is one backtick longer than the longest run inside. In a table cell "|" must be escaped, and
 * GFM removes that backslash again inside code; elsewhere it would show, so it is only added there.
 */
export function markdownCode(text: string, inTableCell: boolean): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  const flat = inTableCell ? oneLine.replaceAll('|', '\\|') : oneLine;
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // A space on each side keeps a leading or trailing backtick from joining the fence.
  const padded = flat.startsWith('`') || flat.endsWith('`') ? ` ${flat} ` : flat;
  return `${fence}${padded}${fence}`;
}
