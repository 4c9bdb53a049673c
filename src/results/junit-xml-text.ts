// Escaping for the JUnit writer. fast-xml-parser's XMLBuilder places every value for us, but its
// own entity handling (`processEntities`) only replaces & < > " ' : it copies characters that
// XML 1.0 forbids (NUL, most C0 controls, lone surrogates, U+FFFE/U+FFFF) into the output, which
// makes the whole file unreadable to strict parsers, and it leaves tab/CR/LF raw inside
// attribute values, where every parser's attribute-value normalisation turns them into spaces
// (a multi-line failure message would come back as one line). So the builder runs with
// processEntities off and calls these two functions on every text and attribute value instead.

// Characters XML 1.0 forbids (Char production), plus lone surrogates. No `u` flag: the regex works
// on UTF-16 code units, so a valid surrogate pair passes and only an unpaired half matches.
const FORBIDDEN =
  '[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';
const TEXT_PATTERN = new RegExp(`[&<>\\r]|${FORBIDDEN}`, 'g');
const ATTRIBUTE_PATTERN = new RegExp(`[&<>"'\\t\\n\\r]|${FORBIDDEN}`, 'g');

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  // '>' only matters in ']]>', but escaping it everywhere is simpler and always valid.
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  // A raw CR would be normalised to LF (or to a space inside an attribute) by the reader.
  '\r': '&#13;',
};

/**
 * Writes a character XML cannot carry the way pytest's junitxml does (`bin_xml_escape`): as the
 * visible text "#x07" (no ampersand; it is a hint to the reader, not a character reference).
 */
function showForbidden(char: string): string {
  const code = char.charCodeAt(0);
  return `#x${code.toString(16).toUpperCase().padStart(code <= 0xff ? 2 : 4, '0')}`;
}

function replaceMatch(char: string): string {
  return ENTITIES[char] ?? showForbidden(char);
}

/** Escapes a string for use as XML element text; the result is always well-formed. */
export function escapeXmlText(value: string): string {
  return value.replace(TEXT_PATTERN, replaceMatch);
}

/** Escapes a string for use inside a double- or single-quoted XML attribute value. */
export function escapeXmlAttribute(value: string): string {
  return value.replace(ATTRIBUTE_PATTERN, replaceMatch);
}

/**
 * XMLBuilder options shared by every JUnit writer here: attributes as '@_' keys, and every value
 * escaped by the functions above rather than by the builder. Its own entities miss characters
 * XML forbids and tab/CR/LF in attributes, and its default writes an attribute whose value is
 * "true" as a bare name, which is not well-formed XML.
 */
export const ESCAPING_BUILDER_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
  processEntities: false,
  tagValueProcessor: (_name: string, value: unknown): string => escapeXmlText(String(value)),
  attributeValueProcessor: (_name: string, value: unknown): string => escapeXmlAttribute(String(value)),
} as const;
