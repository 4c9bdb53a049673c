import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import type { LoadedConfig } from '../config/types.js';
import { restSelection } from '../plan/coverage.js';
import type { ChunkPlan } from '../plan/types.js';
import type { CollectLimits } from '../plan/collect-limits.js';
import { collectChunkTests, collectTests, runCollection } from '../runner/apply-shard.js';
import { UserError } from '../util/user-error.js';
import { formatNodeIdFile } from '../results/node-id-file.js';

/** Every chunk's selection and the whole suite, as pytest collects them. */
export interface Collections {
  universe: string[];
  /** By chunk name; a rest chunk's selection is what the others leave. */
  selections: Map<string, string[]>;
}

/** The whole suite: the config's testPaths with no marker or keyword selection. */
async function collectUniverse(loaded: LoadedConfig, template: ChunkPlan, limits: CollectLimits): Promise<string[]> {
  const cwd = path.resolve(loaded.configDir, loaded.config.cwd ?? '.');
  return collectTests(
    { ...template.pytest!, testPaths: loaded.config.testPaths ?? [], markers: undefined, keyword: undefined, args: [], passthroughArgs: [] },
    cwd,
    template.env,
    'the whole suite',
    limits,
  );
}

/** Collects every pytest chunk (in parallel, a few at a time) and the whole suite. */
export async function collectAll(loaded: LoadedConfig, plans: readonly ChunkPlan[], limits: CollectLimits): Promise<Collections> {
  const pytestPlans = plans.filter((plan) => plan.pytest !== undefined);
  if (pytestPlans.length === 0) throw new UserError('There is nothing to collect: no chunk runs pytest (runner "command").');
  // Collection imports every test module: a few at once keep a small machine responsive.
  const limit = pLimit(Math.max(1, Math.min(4, os.availableParallelism())));
  const [universe, ...collected] = await Promise.all([
    limit(() => collectUniverse(loaded, pytestPlans[0]!, limits)),
    ...pytestPlans.filter((plan) => !plan.rest).map((plan) => limit(async () => [plan.name, await collectChunkTests(plan, limits)] as const)),
  ]);
  const selections = new Map<string, string[]>(collected as (readonly [string, string[]])[]);
  const rest = pytestPlans.find((plan) => plan.rest);
  if (rest) selections.set(rest.name, restSelection(universe as string[], selections.values()));
  return { universe: universe as string[], selections };
}

/** Marker names pytest knows in this project (`pytest --markers`: registered and built-in). */
export async function collectKnownMarkers(plan: ChunkPlan, limits: CollectLimits): Promise<Set<string>> {
  const argv = [plan.pytest!.python, '-m', 'pytest', '--markers', '-p', 'no:cacheprovider', '--capture=no'];
  const result = await runCollection(argv, plan.cwd, plan.env, 'listing the markers pytest knows', limits);
  return new Set([...result.stdout.matchAll(/^@pytest\.mark\.([A-Za-z_][A-Za-z0-9_]*)/gm)].map((match) => match[1]!));
}

/**
 * Gives a `rest: true` chunk its tests for this run: the suite minus every other chunk's
 * selection, as a list the bundled plugin keeps. An empty rest passes (allowEmpty).
 */
export async function applyRest(loaded: LoadedConfig, allPlans: readonly ChunkPlan[], rest: ChunkPlan, reportDir: string, limits: CollectLimits): Promise<ChunkPlan> {
  const { selections } = await collectAll(loaded, allPlans, limits);
  const selectFile = path.join(reportDir, `${rest.name}.rest.txt`);
  await writeFile(selectFile, formatNodeIdFile(selections.get(rest.name) ?? []));
  return { ...rest, env: { ...rest.env, RUN_CHUNKS_SELECT_FILE: selectFile }, allowEmpty: true };
}
