// Python's shlex.quote rule, which reads better than the npm quoters (they backslash-escape
// "=" and parentheses): safe words stay bare, anything else is single-quoted.
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for a POSIX shell. */
export function quoteShellArg(arg: string): string {
  if (arg === '') return "''";
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'"'"'`)}'`;
}

/** Joins an argv into a line that a POSIX shell turns back into the same argv. */
export function quoteShellCommand(argv: readonly string[]): string {
  return argv.map(quoteShellArg).join(' ');
}
