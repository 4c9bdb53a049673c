// Width assumed when stdout is no terminal and COLUMNS is unset (progress lines in CI logs).
const DEFAULT_COLUMNS = 120;

/**
 * The width output is fitted to: the terminal's, else COLUMNS (the shell's convention, and how a
 * log viewer or a test asks for a narrow layout), else DEFAULT_COLUMNS.
 */
export function terminalColumns(stream: NodeJS.WriteStream = process.stdout): number {
  if (stream.isTTY && stream.columns > 0) return stream.columns;
  const fromEnv = Number(process.env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv >= 20 ? fromEnv : DEFAULT_COLUMNS;
}
