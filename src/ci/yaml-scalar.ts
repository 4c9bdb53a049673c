// Generated CI files are YAML written as text (the `yaml` package is only a dev dependency), so
// every value that comes from the user goes through here: left bare when that cannot change its
// meaning, else double-quoted.

// Bare only for printable ASCII starting with a letter, "_", "/" or "$": a leading digit, "." or
// "-" could read as a number (".5", "1e3"), an indicator or a list item.
const PLAIN_SAFE = /^[A-Za-z_/$][\x20-\x7e]*$/;
// GitLab reads YAML 1.1 (Ruby's Psych), where these are booleans or null, not strings.
const RESERVED_WORDS = /^(?:true|false|yes|no|y|n|on|off|null|~)$/i;

/**
 * A YAML scalar that reads back as exactly `text`: bare where safe, else a double-quoted string.
 * JSON's string syntax is a subset of YAML's double-quoted style, so JSON.stringify escapes it.
 */
export function yamlString(text: string): string {
  const bare =
    PLAIN_SAFE.test(text) &&
    !RESERVED_WORDS.test(text) &&
    // ": " starts a mapping value and " #" a comment; a trailing ":" or space is ambiguous too.
    !text.includes(': ') &&
    !text.includes(' #') &&
    !text.endsWith(':') &&
    !text.endsWith(' ');
  return bare ? text : JSON.stringify(text);
}
