// Reports are shared (CI artifacts, summaries, logs): values of variables and options whose names
// look secret are shown masked, so a token set in a chunk's env or passed as an argument does not
// leak through them. Only what the config and the command line name is ever shown: run-chunks'
// own environment is passed to the chunks but never written anywhere.
const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;

/** Mask shown in place of a secret value. */
export const MASKED_VALUE = '***';

/** A copy of `env` with the values of secret-looking names replaced by a mask. */
export function maskSecretEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, SECRET_NAME.test(name) ? MASKED_VALUE : value]));
}

// `--api-token=x`, `-password=x`, and the `NAME=x` of `env NAME=x …` or pytest's `-o name=x`.
const NAMED_VALUE = /^(-{0,2}[A-Za-z_][\w.-]*)=/;
// `--api-token x`: an option alone, whose value is the next argument.
const OPTION_ALONE = /^-{1,2}[A-Za-z_][\w.-]*$/;

/**
 * A copy of a command's argv with the values of secret-looking options masked, for showing it:
 * `--token=x` and `API_KEY=x` become `--token=***` and `API_KEY=***`, and the argument after a
 * secret-looking option alone (`--token x`) becomes `***` unless it is itself an option. The
 * program (argv[0]) is kept. A flag that takes no value (`--no-auth`) may hide the next argument
 * too: a masked word costs less than a leaked token.
 */
export function maskSecretArgs(argv: readonly string[]): string[] {
  return argv.map((arg, index) => {
    if (index === 0) return arg;
    const named = NAMED_VALUE.exec(arg);
    if (named) return SECRET_NAME.test(named[1]!) ? `${named[1]}=${MASKED_VALUE}` : arg;
    const previous = argv[index - 1]!;
    const isValueOfSecretOption = OPTION_ALONE.test(previous) && SECRET_NAME.test(previous) && !arg.startsWith('-');
    return isValueOfSecretOption ? MASKED_VALUE : arg;
  });
}
