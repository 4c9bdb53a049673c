// Config values and flag arguments are echoed in error messages, which land on a terminal: a raw
// ESC or newline there could recolour the screen, fake a line of output, or break the message's
// one paragraph. They are shown escaped, and cut short when long.

// C0 and C1 controls, DEL, line separators, and the bidirectional overrides that reorder what a
// terminal shows (the "Trojan Source" characters).
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character written as a `\uXXXX` escape. */
export function escapeControlCharacters(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `text` in double quotes for a message: JSON-escaped, controls escaped, cut after `maxLength` characters. */
export function quoteText(text: string, maxLength = 40): string {
  const shown = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return escapeControlCharacters(JSON.stringify(shown));
}
