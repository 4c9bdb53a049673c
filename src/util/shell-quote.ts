// Python's shlex.quote rule, which reads better than the npm quoters (they backslash-escape
// "=" and parentheses): safe words stay bare, anything else is single-quoted.
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

// Control characters (ESC above all) would act on the terminal that shows the line. Inside the
// single quotes each one becomes '"$(printf '\ooo')"': plain POSIX sh, and the same byte when the
// line is pasted. Tab and newline are left as they are: harmless, and $(...) would strip a newline.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** Quotes one argument for a POSIX shell. */
export function quoteShellArg(arg: string): string {
  if (arg === '') return "''";
  if (SAFE_WORD.test(arg)) return arg;
  const quoted = `'${arg.replaceAll("'", `'"'"'`)}'`;
  return quoted.replace(CONTROL, (char) => `'"$(printf '\\${char.charCodeAt(0).toString(8).padStart(3, '0')}')"'`);
}

/** Joins an argv into a line that a POSIX shell turns back into the same argv. */
export function quoteShellCommand(argv: readonly string[]): string {
  return argv.map(quoteShellArg).join(' ');
}
