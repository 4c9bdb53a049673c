/** Exit code for usage and configuration errors. */
export const USAGE_EXIT_CODE = 2;

/**
 * A mistake the user can fix (bad flag, bad config, missing file). The CLI prints its message
 * as one paragraph with no stack trace and exits with `exitCode`.
 */
export class UserError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = USAGE_EXIT_CODE) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}
