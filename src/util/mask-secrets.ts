// Reports are shared (CI artifacts, summaries): values of variables whose names look secret
// are shown masked, so a token set in a chunk's env does not leak through them.
const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;

/** Mask shown in place of a secret value. */
export const MASKED_VALUE = '***';

/** A copy of `env` with the values of secret-looking names replaced by a mask. */
export function maskSecretEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, SECRET_NAME.test(name) ? MASKED_VALUE : value]));
}
