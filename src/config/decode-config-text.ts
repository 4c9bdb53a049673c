import { UserError } from '../util/user-error.js';

// A config is UTF-8 JSON. Windows editors (and PowerShell's `>`) often save UTF-16 instead, which
// reads as text with a NUL between every two characters; decoding that as UTF-8 would give a
// baffling "unexpected character" at 1:1. It is recognised and named.

// Enough bytes to tell UTF-16 from UTF-8 text without scanning a large file.
const SNIFF_BYTES = 256;

/** Whether `bytes` look like UTF-16: a UTF-16 byte-order mark, or a NUL in (nearly) every other byte. */
export function looksLikeUtf16(bytes: Uint8Array): boolean {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return true;
  const pairs = Math.floor(Math.min(bytes.length, SNIFF_BYTES) / 2);
  if (pairs < 2) return false;
  let evenNuls = 0;
  let oddNuls = 0;
  for (let index = 0; index < pairs * 2; index += 2) {
    if (bytes[index] === 0) evenNuls += 1;
    if (bytes[index + 1] === 0) oddNuls += 1;
  }
  // ASCII text in UTF-16 has a NUL in every pair; allow a few non-ASCII characters.
  return Math.max(evenNuls, oddNuls) >= pairs * 0.75;
}

/**
 * The text of a config file: UTF-8, with a leading UTF-8 byte-order mark dropped (it is not part
 * of the JSON, and editors add it unasked). UTF-16 is a UserError asking for UTF-8.
 */
export function decodeConfigText(bytes: Buffer, displayPath: string): string {
  if (looksLikeUtf16(bytes))
    throw new UserError(
      `${displayPath} is saved as UTF-16 (a byte-order mark, or a NUL byte between characters), but a config must be UTF-8 JSON. Save it as UTF-8 (in PowerShell: Set-Content -Encoding utf8, or Out-File -Encoding utf8).`,
    );
  const text = bytes.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}
