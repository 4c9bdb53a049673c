import path from 'node:path';
import { formatDurationMs } from '../config/parse-duration.js';
import { formatLimit, type SizeSpec } from '../config/parse-size.js';
import type { ChunkConfig } from '../config/types.js';
import type { ChunkPlan } from '../plan/types.js';
import { MASKED_VALUE, maskSecretArgs, maskSecretEnv } from '../util/mask-secrets.js';
import { describeConcurrency } from '../reporters/terminal-reporter.js';
import { quoteShellArg, quoteShellCommand } from '../util/shell-quote.js';

/** A memoryLimit or gpuMemoryLimit as written: "3 GB", "4 GiB", "50%" (of the machine's memory or the GPUs'). */
function describeLimit(spec: SizeSpec): string {
  return spec.kind === 'percent' ? `${spec.percent}%` : formatLimit(spec.bytes);
}

/**
 * The chunk's command as one line a POSIX shell runs when it is pasted: `env` with the chunk's
 * variables (PYTHONPATH above all: without the plugin's folder pytest cannot load it), in the
 * chunk's folder when that is not where run-chunks was started.
 */
function pasteableCommand(plan: ChunkPlan, startCwd: string): string {
  // Names are plain (the config allows only [A-Za-z_][A-Za-z0-9_]*): only the value needs quoting.
  const env = Object.entries(maskSecretEnv(plan.env)).map(([name, value]) => `${name}=${quoteShellArg(value)}`);
  const command = [...(env.length > 0 ? ['env', ...env] : []), quoteShellCommand(maskSecretArgs(plan.argv))].join(' ');
  // In a subshell: pasting it leaves the user's shell in its own folder.
  return plan.cwd === startCwd ? command : `(cd ${quoteShellArg(plan.cwd)} && ${command})`;
}

/** `"dist": "memory"` in --dry-run: what the scheduler will know, and what a pasted command lacks. */
function describeMemoryDist(plan: ChunkPlan): string {
  if (plan.workers <= 1) return 'dist memory: one worker, nothing to schedule';
  const known = plan.testForecasts?.size ?? 0;
  const budget = plan.memoryLimit ? `the memoryLimit of ${describeLimit(plan.memoryLimit)}` : 'the memory available when it starts';
  return (
    `dist memory: tests start when their forecast fits ${budget} less a tenth; ${known} test${known === 1 ? '' : 's'} forecast from this chunk's history, the rest by file, chunk or default. ` +
    `The plan file (RUN_CHUNKS_MEMORY_SCHEDULE) is written when the chunk starts: pasted, the command runs xdist's load scheduling`
  );
}

/**
 * `--dry-run`: each chunk's exact command (pasteable), cwd, workers, timeout and memory limits;
 * runs nothing. Secret-looking env values and arguments are masked, as in the reports.
 */
export function formatDryRun(
  plans: readonly ChunkPlan[],
  parallelChunks: number,
  memoryBudgetBytes: number | undefined,
  reportDir: string,
  startCwd: string,
  describeRest?: (rest: ChunkPlan) => string,
): string {
  const mode = describeConcurrency(plans.length, parallelChunks, memoryBudgetBytes);
  const lines = [`Dry run: ${plans.length} chunk${plans.length === 1 ? '' : 's'} would run ${mode}; nothing was started.`, `Report dir: ${reportDir}`];
  for (const plan of plans) {
    const facts = [`${plan.workers} worker${plan.workers === 1 ? '' : 's'}`];
    facts.push(plan.timeoutMs === undefined ? 'no timeout' : `timeout ${formatDurationMs(plan.timeoutMs)}`);
    facts.push(`grace ${formatDurationMs(plan.gracePeriodMs)}`);
    if (plan.memoryLimit) facts.push(`memoryLimit ${describeLimit(plan.memoryLimit)}`);
    if (plan.gpuMemoryLimit) facts.push(`gpuMemoryLimit ${describeLimit(plan.gpuMemoryLimit)}`);
    if (!plan.required) facts.push('optional');
    if (plan.allowEmpty) facts.push('may select no tests');
    const shownEnv = maskSecretEnv(plan.env);
    const masked = Object.keys(plan.env).filter((name) => shownEnv[name] !== plan.env[name]);
    lines.push(
      '',
      `${plan.name}${plan.description ? `: ${plan.description}` : ''}`,
      `  workers/limits: ${facts.join(', ')}`,
      ...(plan.workersReason ? [`  ${plan.workersReason}`] : []),
      `  cwd: ${plan.cwd}`,
      `  log: ${plan.logFile}`,
      // Pasted alone, a rest chunk's command runs the whole suite: the bundled plugin narrows it when run-chunks runs it.
      ...(plan.rest && describeRest ? [`  selects: ${describeRest(plan)}; the bundled plugin leaves the others' tests out inside this session (RUN_CHUNKS_SELECTIONS_FILE, written when the run starts): the command alone runs the whole suite`] : []),
      ...(plan.pytest?.dist === 'memory' ? [`  ${describeMemoryDist(plan)}`] : []),
      ...(masked.length > 0 ? [`  ${masked.join(', ')} ${masked.length === 1 ? 'is' : 'are'} masked as ${MASKED_VALUE} below: put in the real value before pasting.`] : []),
      `  $ ${pasteableCommand(plan, startCwd)}`,
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
