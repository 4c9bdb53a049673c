import { quoteText } from '../config/quote-text.js';
import { EXIT_CODES } from '../results/outcome.js';
import { lastLines, runBounded, type BoundedRunResult } from '../runner/run-bounded.js';
import { UserError } from '../util/user-error.js';

/** How long each of init's Python runs may take, and what stops it early (Ctrl-C). */
export interface InitLimits {
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** The flag that raises timeoutMs, for the message when it runs out. */
  timeoutFlag: string;
}

/** A run's own last words, stderr first (a traceback), else stdout (pytest's summary). */
export function describeOutput(result: BoundedRunResult, lines = 5): string {
  const tail = lastLines(result.stderr, lines) || lastLines(result.stdout, lines);
  return tail === '' ? 'it printed nothing' : `its last output: ${quoteText(tail, 1200)}`;
}

/**
 * Runs one of init's Python commands (`what` names it in errors) in the project folder, in its
 * own process group, never through a shell. A timeout, an interrupt or a failed start is a
 * UserError; otherwise the run is returned, whatever its exit code.
 */
export async function runInitPython(argv: string[], what: string, projectDir: string, limits: InitLimits, env: Record<string, string> = {}): Promise<BoundedRunResult> {
  const result = await runBounded(argv, { cwd: projectDir, env: { ...process.env, ...env }, timeoutMs: limits.timeoutMs, signal: limits.signal });
  if (result.stoppedBy === 'interrupt')
    throw new UserError(`Interrupted by ${String(limits.signal?.reason ?? 'a signal')} while ${what}: Python was stopped with its whole process group, and nothing was written.`, EXIT_CODES.interrupted);
  if (result.stoppedBy === 'timeout')
    throw new UserError(
      `${what[0]!.toUpperCase()}${what.slice(1)} took more than ${limits.timeoutMs / 1000} s, so it was stopped with its whole process group; ${describeOutput(result)}. ` +
        `Something hangs at start-up or while the test modules are imported (a conftest waiting on a network, a lock, input); if the suite really needs longer, pass ${limits.timeoutFlag} with more. Nothing was written.`,
    );
  if (result.spawnError)
    throw new UserError(`Could not start ${argv[0]} for ${what} (${result.spawnError.code ?? result.spawnError.message}). Check that it is an executable Python interpreter, or pass another with --python.`);
  return result;
}
