import type { ChunkPlan } from '../plan/types.js';
import { UserError } from '../util/user-error.js';
import { yamlString } from './yaml-scalar.js';

/** One chunk as a row of a CI matrix: what a CI job needs to run it and to bound it. */
export interface MatrixEntry {
  name: string;
  required: boolean;
  /** The CI job's timeout: a backstop above run-chunks' own, never the chunk's limit itself. */
  timeoutMinutes: number;
  workers: number;
  description: string | null;
}

/** The CI systems `run-chunks matrix --format` prints for. */
export const MATRIX_FORMATS = ['github', 'gitlab'] as const;
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

// The job does more than run the chunk: checkout, installing Node and Python dependencies on a
// cold runner, the SIGTERM grace period, writing and uploading the report. A job that CI kills
// first loses report.json, so its timeout sits this far above the chunk's own.
export const SETUP_MARGIN_MINUTES = 10;
// History is a forecast, not a limit: twice the p95 leaves room for a slower runner.
export const HISTORY_DURATION_FACTOR = 2;
// Neither a timeout nor history: an hour bounds what a hung job costs (GitHub's default is 6 h).
export const DEFAULT_JOB_TIMEOUT_MINUTES = 60;
// Jobs one matrix may expand to: GitHub's documented limit per workflow run, GitLab's per parallel:matrix.
export const MAX_MATRIX_JOBS: Record<MatrixFormat, number> = { github: 256, gitlab: 200 };

const MINUTE_MS = 60_000;

/**
 * The CI job timeout for a chunk, in whole minutes. From the chunk's timeout, for every process
 * run-chunks may start for it (after an OOM, each recovery round runs the blamed test alone and
 * then the rest, each under the same timeout); else from the p95 of its past durations; else a default.
 */
export function jobTimeoutMinutes(plan: ChunkPlan, historyP95Ms: number | undefined): number {
  if (plan.timeoutMs !== undefined) {
    const attempts = plan.pytest ? 1 + 2 * plan.retryOnOom : 1;
    return Math.ceil((attempts * (plan.timeoutMs + plan.gracePeriodMs)) / MINUTE_MS) + SETUP_MARGIN_MINUTES;
  }
  if (historyP95Ms !== undefined && historyP95Ms > 0)
    return Math.ceil((historyP95Ms * HISTORY_DURATION_FACTOR) / MINUTE_MS) + SETUP_MARGIN_MINUTES;
  return DEFAULT_JOB_TIMEOUT_MINUTES;
}

/** One matrix row per plan, in plan order; `historyDurationsMs` maps chunk names to their p95 duration. */
export function buildMatrix(plans: readonly ChunkPlan[], historyDurationsMs?: ReadonlyMap<string, number>): MatrixEntry[] {
  return plans.map((plan) => ({
    name: plan.name,
    required: plan.required,
    timeoutMinutes: jobTimeoutMinutes(plan, historyDurationsMs?.get(plan.name)),
    workers: plan.workers,
    description: plan.description ?? null,
  }));
}

/**
 * The matrix as text for a CI system.
 * - github: one line of JSON, `{"include":[{name, required, timeoutMinutes, workers, description?}]}`,
 *   for `printf 'matrix=%s\n' "$(run-chunks matrix)" >> "$GITHUB_OUTPUT"` and
 *   `strategy.matrix: ${{ fromJSON(needs.<job>.outputs.matrix) }}`. A null description is left out.
 * - gitlab: a `parallel:` block with one `matrix` entry per chunk, its values as strings
 *   (RUN_CHUNKS_CHUNK, RUN_CHUNKS_REQUIRED, RUN_CHUNKS_TIMEOUT_MINUTES, RUN_CHUNKS_WORKERS) for a
 *   hand-written job. GitLab cannot take a job's `timeout` or `allow_failure` from a variable, so
 *   `run-chunks init --ci gitlab` writes one job per chunk instead.
 * Throws a UserError past the CI's limit on jobs per matrix.
 */
export function formatMatrix(entries: readonly MatrixEntry[], format: MatrixFormat): string {
  const limit = MAX_MATRIX_JOBS[format];
  if (entries.length > limit)
    throw new UserError(`The matrix has ${entries.length} chunks, but ${format === 'github' ? 'GitHub Actions' : 'GitLab'} runs at most ${limit} jobs from one matrix. Merge some chunks, or split the workflow.`);
  if (format === 'github') {
    const include = entries.map(({ description, ...entry }) => (description === null ? entry : { ...entry, description }));
    return JSON.stringify({ include });
  }
  const lines = ['parallel:', '  matrix:'];
  for (const entry of entries) {
    lines.push(
      `    - RUN_CHUNKS_CHUNK: ${yamlString(entry.name)}`,
      `      RUN_CHUNKS_REQUIRED: ${JSON.stringify(String(entry.required))}`,
      `      RUN_CHUNKS_TIMEOUT_MINUTES: ${JSON.stringify(String(entry.timeoutMinutes))}`,
      `      RUN_CHUNKS_WORKERS: ${JSON.stringify(String(entry.workers))}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
