import path from 'node:path';
import { formatDurationMs } from '../config/parse-duration.js';
import type { ChunkConfig } from '../config/types.js';
import type { ChunkPlan } from '../plan/types.js';
import { maskSecretArgs, maskSecretEnv } from '../util/mask-secrets.js';
import { quoteShellArg, quoteShellCommand } from '../util/shell-quote.js';

/**
 * `--dry-run`: each chunk's exact command, cwd, env additions, workers and timeout; runs nothing.
 * Secret-looking env values and arguments are masked, as in the reports.
 */
export function formatDryRun(plans: readonly ChunkPlan[], parallelChunks: number, reportDir: string, describeRest?: (rest: ChunkPlan) => string): string {
  const mode = parallelChunks > 1 && plans.length > 1 ? `up to ${parallelChunks} at once` : 'one at a time';
  const lines = [`Dry run: ${plans.length} chunk${plans.length === 1 ? '' : 's'} would run ${mode}; nothing was started.`, `Report dir: ${reportDir}`];
  for (const plan of plans) {
    const facts = [`${plan.workers} worker${plan.workers === 1 ? '' : 's'}`];
    facts.push(plan.timeoutMs === undefined ? 'no timeout' : `timeout ${formatDurationMs(plan.timeoutMs)}`);
    facts.push(`grace ${formatDurationMs(plan.gracePeriodMs)}`);
    if (!plan.required) facts.push('optional');
    if (plan.allowEmpty) facts.push('may select no tests');
    const env = Object.entries(maskSecretEnv(plan.env)).map(([name, value]) => `${name}=${quoteShellArg(value)}`);
    lines.push(
      '',
      `${plan.name}${plan.description ? `: ${plan.description}` : ''}`,
      `  workers/limits: ${facts.join(', ')}`,
      ...(plan.workersReason ? [`  ${plan.workersReason}`] : []),
      `  cwd: ${plan.cwd}`,
      `  env: ${env.join(' ')}`,
      `  log: ${plan.logFile}`,
      `  $ ${quoteShellCommand(maskSecretArgs(plan.argv))}`,
      // Pasted alone, that command runs the whole suite: the bundled plugin narrows it when run-chunks runs it.
      ...(plan.rest && describeRest ? [`  selects: ${describeRest(plan)}; the bundled plugin leaves the others' tests out inside this session (RUN_CHUNKS_SELECTIONS_FILE, written when the run starts): the command alone runs the whole suite`] : []),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `--list`: chunk names with their workers and descriptions. */
export function formatChunkList(chunks: readonly ChunkConfig[], configPath: string, cwd: string): string {
  const width = Math.max(...chunks.map((chunk) => chunk.name.length));
  const lines = chunks.map((chunk) => {
    const workers = chunk.workers === undefined ? '' : `[${chunk.workers} worker${chunk.workers === 1 ? '' : 's'}] `;
    return `${chunk.name.padEnd(width)}  ${workers}${chunk.description ?? ''}`.trimEnd();
  });
  return `Chunks in ${path.relative(cwd, configPath) || configPath}:\n${lines.join('\n')}\n`;
}
