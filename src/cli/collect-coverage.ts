import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import type { LoadedConfig } from '../config/types.js';
import { restSelection } from '../plan/coverage.js';
import { describeSelection, splitSelections, type SelectionSplit } from '../plan/chunk-selections.js';
import type { ChunkPlan } from '../plan/types.js';
import type { CollectLimits } from '../plan/collect-limits.js';
import { collectChunkTests, collectSession } from '../runner/apply-shard.js';
import { allOrFirstError } from '../util/all-or-first-error.js';
import { UserError } from '../util/user-error.js';
import { formatNodeIdFile } from '../results/node-id-file.js';
import { planChunks } from './plan-chunks.js';
import { withCollectProgress } from './collect-progress.js';

/** Every chunk's selection and the whole suite, as pytest collects them. */
export interface Collections {
  universe: string[];
  /** By chunk name; a rest chunk's selection is what the others leave. */
  selections: Map<string, string[]>;
  /** Marker names registered in the collections (every conftest they loaded included). */
  knownMarkers: Set<string>;
  /** Chunks that got a collection of their own, and why. */
  separate: { name: string; reason: string }[];
  /** pytest processes started, and the wall time they took together. */
  pytestRuns: number;
  durationMs: number;
}

/** Name of the plan that stands for the whole suite when no chunk takes the rest. */
const SUITE_PLAN_NAME = '(the whole suite)';

/**
 * The session that stands for the whole suite: the rest chunk's own (its args, cwd and env, the
 * config's testPaths), else one planned from `defaults` alone, as a chunk with no selection.
 */
export function suitePlan(loaded: LoadedConfig, plans: readonly ChunkPlan[], reportDir: string): ChunkPlan {
  const rest = plans.find((plan) => plan.rest && plan.pytest !== undefined);
  if (rest) return rest;
  const suiteOnly = { ...loaded, config: { ...loaded.config, chunks: [{ name: SUITE_PLAN_NAME }] } };
  return planChunks(suiteOnly, { chunks: [], noParallel: true, passthroughArgs: plans[0]?.pytest?.passthroughArgs ?? [], sampleIntervalMs: undefined, retryOnOom: undefined }, reportDir)[0]!;
}

/** The notice for chunks collected on their own (a one-pass judgement would not be exact). */
export function describeSeparate(split: Pick<SelectionSplit, 'separate'>, why: (its: string) => string): string | undefined {
  if (split.separate.length === 0) return undefined;
  const one = split.separate.length === 1;
  const listed = split.separate.map(({ plan, reason }) => `chunk "${plan.name}" ${reason}`).join('; ');
  return `${listed}: ${one ? 'it is' : 'they are'} collected on ${one ? 'its' : 'their'} own (pytest --collect-only) ${why(one ? 'its' : 'their')}.`;
}

/**
 * Collects the whole suite once, with the bundled plugin judging which chunks select each test,
 * plus one collection for each chunk it cannot judge exactly (see chunk-selections.ts).
 */
export async function collectAll(
  loaded: LoadedConfig,
  plans: readonly ChunkPlan[],
  limits: CollectLimits,
  reportDir: string,
  notice: (message: string) => void,
): Promise<Collections> {
  const pytestPlans = plans.filter((plan) => plan.pytest !== undefined);
  if (pytestPlans.length === 0) throw new UserError('There is nothing to collect: no chunk runs pytest (runner "command").');
  const base = suitePlan(loaded, pytestPlans, reportDir);
  const others = pytestPlans.filter((plan) => !plan.rest);
  const split = splitSelections(base, others, existsSync);
  const note = describeSeparate(split, () => 'as well as the one collection of the whole suite');
  if (note) notice(note);
  const startedAt = Date.now();
  const [suite, ...separate] = await withCollectProgress(() =>
    runCollections(
      [
        (own: CollectLimits) => collectSession(base.pytest!, base.cwd, base.env, base.rest ? `the whole suite (as chunk "${base.name}" runs it)` : 'the whole suite', own, split.judged),
        ...split.separate.map(({ plan }) => (own: CollectLimits) => collectSession(plan.pytest!, plan.cwd, plan.env, `chunk "${plan.name}"`, own)),
      ],
      limits,
    ),
  );
  const selections = new Map<string, string[]>(split.judged.map((spec) => [spec.name, []]));
  for (const [nodeid, owners] of suite!.owners) for (const owner of owners) selections.get(owner)!.push(nodeid);
  split.separate.forEach(({ plan }, index) => selections.set(plan.name, separate[index]!.nodeIds));
  const rest = pytestPlans.find((plan) => plan.rest);
  if (rest) selections.set(rest.name, restSelection(suite!.nodeIds, selections.values()));
  // Config order, as the chunks are listed.
  const ordered = new Map(pytestPlans.flatMap((plan) => (selections.has(plan.name) ? [[plan.name, selections.get(plan.name)!] as const] : [])));
  const knownMarkers = new Set([suite!, ...separate].flatMap((session) => [...session!.markers]));
  return {
    universe: suite!.nodeIds,
    selections: ordered,
    knownMarkers,
    separate: split.separate.map(({ plan, reason }) => ({ name: plan.name, reason })),
    pytestRuns: 1 + split.separate.length,
    durationMs: Date.now() - startedAt,
  };
}

/**
 * Runs collections a few at once (each imports every test module: a few keep a small machine
 * responsive). When one fails, the others are stopped (their process groups), those not started
 * never start, and the first failure is thrown only once every started one has ended, so each has
 * removed its temp folder before the caller reports the error and exits.
 */
async function runCollections<T>(collections: readonly ((limits: CollectLimits) => Promise<T>)[], limits: CollectLimits): Promise<T[]> {
  const stop = new AbortController();
  const outer = limits.signal;
  const forward = (): void => stop.abort(outer?.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });
  const own: CollectLimits = { ...limits, signal: stop.signal };
  const limit = pLimit({ concurrency: Math.max(1, Math.min(4, os.availableParallelism())), rejectOnClear: true });
  try {
    return await allOrFirstError(
      collections.map((collect) => limit(() => collect(own))),
      () => {
        limit.clearQueue();
        if (!stop.signal.aborted) stop.abort('another collection failed');
      },
    );
  } finally {
    outer?.removeEventListener('abort', forward);
  }
}

/** What the rest chunk deselects: every other chunk's selection, in words (--dry-run). */
export function describeRest(rest: ChunkPlan, allPlans: readonly ChunkPlan[]): string {
  const split = splitSelections(rest, allPlans.filter((plan) => plan.pytest !== undefined && !plan.rest), existsSync);
  const chunks = [...split.judged.map((spec) => describeSelection(spec, rest.cwd)), ...split.separate.map(({ plan }) => `${plan.name} (collected on its own first: it ${split.separate.find((s) => s.plan === plan)!.reason})`)];
  return chunks.length === 0 ? 'every test (no other pytest chunk)' : `every test not selected by chunks ${chunks.join(', ')}`;
}

/**
 * Gives a `rest: true` chunk its selection for this run, inside its own pytest session: the
 * bundled plugin deselects every test another chunk selects (selections.py), so the suite is
 * collected once, as part of the chunk's own run. Chunks it cannot judge exactly are collected
 * first, and their tests listed for it. An empty rest passes (allowEmpty).
 */
export async function applyRest(allPlans: readonly ChunkPlan[], rest: ChunkPlan, reportDir: string, limits: CollectLimits, notice: (message: string) => void): Promise<ChunkPlan> {
  const split = splitSelections(rest, allPlans.filter((plan) => plan.pytest !== undefined && !plan.rest), existsSync);
  const note = describeSeparate(split, (its) => `before chunk "${rest.name}" starts, which then leaves out ${its} tests`);
  if (note) notice(note);
  let nodeIds: string | null = null;
  if (split.separate.length > 0) {
    const collected = await withCollectProgress(() => runCollections(split.separate.map(({ plan }) => (own: CollectLimits) => collectChunkTests(plan, own)), limits));
    nodeIds = path.join(reportDir, `${rest.name}.rest.txt`);
    await writeFile(nodeIds, formatNodeIdFile(collected.flat()));
  }
  const specFile = path.join(reportDir, `${rest.name}.rest.json`);
  await writeFile(specFile, `${JSON.stringify({ chunks: split.judged, nodeIds, deselect: true }, null, 2)}\n`);
  return { ...rest, env: { ...rest.env, RUN_CHUNKS_SELECTIONS_FILE: specFile }, allowEmpty: true };
}
