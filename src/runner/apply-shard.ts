import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildPytestArgv, type PytestInvocation } from '../plan/pytest-invocation.js';
import { partitionTests, type ShardSpec } from '../plan/shard.js';
import type { ChunkPlan } from '../plan/types.js';
import { UserError } from '../util/user-error.js';
import { formatNodeIdFile, parseNodeIdFile } from '../results/node-id-file.js';
import { quoteText } from '../config/quote-text.js';
import type { CollectLimits } from '../plan/collect-limits.js';
import { EXIT_CODES } from '../results/outcome.js';
import { lastLines, runBounded, type BoundedRunResult } from './run-bounded.js';
import type { SelectionSpec } from '../plan/chunk-selections.js';

/** The node ids a chunk selects, as pytest collects them, without running anything. */
export async function collectChunkTests(plan: ChunkPlan, limits: CollectLimits): Promise<string[]> {
  if (!plan.pytest?.withEventPlugin) throw new UserError(`Collecting tests needs a pytest chunk, and "${plan.name}" runs a command.`);
  return collectTests(plan.pytest, plan.cwd, plan.env, `chunk "${plan.name}"`, limits);
}

/**
 * pytest's own last words, from both streams: a usage error or a conftest's import error goes to
 * stderr, collection errors and their summary to stdout; either may hold the only useful line.
 */
export function describePytestOutput(result: Pick<BoundedRunResult, 'stdout' | 'stderr'>): string {
  const streams = [
    ['stderr', lastLines(result.stderr, 6)],
    ['stdout', lastLines(result.stdout, 6)],
  ].filter(([, tail]) => tail !== '');
  if (streams.length === 0) return 'it printed nothing';
  return `its last output: ${streams.map(([name, tail]) => `${name} ${quoteText(tail!, 800)}`).join(', ')}`;
}

/**
 * Runs one collection-only pytest (`what` names it in errors) under `limits`; a timeout, an
 * interrupt or a failed start is a UserError. Resolves to the run when pytest exited.
 */
export async function runCollection(argv: string[], cwd: string, env: Record<string, string>, what: string, limits: CollectLimits): Promise<BoundedRunResult> {
  const result = await runBounded(argv, { cwd, env: { ...process.env, ...env }, timeoutMs: limits.timeoutMs, signal: limits.signal });
  if (result.stoppedBy === 'interrupt')
    throw new UserError(`Interrupted by ${String(limits.signal?.reason ?? 'a signal')} while ${what}: pytest was stopped with its whole process group, and no chunk ran.`, EXIT_CODES.interrupted);
  if (result.stoppedBy === 'timeout')
    throw new UserError(
      `${what[0]!.toUpperCase()}${what.slice(1)} took more than ${limits.timeoutMs / 1000} s, so pytest was stopped with its whole process group; ${describePytestOutput(result)}. ` +
        'Something hangs while the test modules are imported (a conftest or a module-level call waiting on a network, a lock, input); if the suite really needs longer, raise "collectTimeout" in the config.',
    );
  if (result.spawnError)
    throw new UserError(`Could not start pytest for ${what} (${result.spawnError.code ?? result.spawnError.message}): ${argv[0]}. Check "python" in the config.`);
  return result;
}

/** What one collection found: the node ids, each one's chunks (when judged), and pytest's registered markers. */
export interface CollectedSession {
  nodeIds: string[];
  /** By node id, the judged chunks selecting it (see selections.py); empty without `judged`. */
  owners: Map<string, string[]>;
  /** Marker names registered in this session (ini files, plugins, every conftest it loaded). */
  markers: Set<string>;
}

/**
 * Collects with pytest (`--collect-only`) and the bundled plugin, which lists the selected node
 * ids, the markers the session registered and, given `judged`, which of those chunks select each
 * test. `label` names what is collected in errors; pytest's own last output is in them.
 */
export async function collectSession(
  invocation: PytestInvocation,
  cwd: string,
  env: Record<string, string>,
  label: string,
  limits: CollectLimits,
  judged: readonly SelectionSpec[] = [],
): Promise<CollectedSession> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'run-chunks-collect-'));
  try {
    const eventsFile = path.join(dir, 'events.jsonl');
    const specFile = path.join(dir, 'selections.json');
    const membershipFile = path.join(dir, 'membership.jsonl');
    const markersFile = path.join(dir, 'markers.json');
    // A rest chunk's own selection (its deselection of the others) holds in its collection too (--shard).
    const inherited = env.RUN_CHUNKS_SELECTIONS_FILE ? (JSON.parse(await readFile(env.RUN_CHUNKS_SELECTIONS_FILE, 'utf8')) as { chunks: SelectionSpec[] }) : { chunks: [] };
    const spec = { ...inherited, chunks: [...inherited.chunks, ...judged], membership: judged.length > 0 ? membershipFile : null, markers: markersFile };
    await writeFile(specFile, JSON.stringify(spec));
    // --capture=no: what a hanging conftest printed reaches the error message (fd capture would hold it).
    const argv = [...buildPytestArgv({ ...invocation, withEventPlugin: true }, 1, path.join(dir, 'junit.xml')), '--collect-only', '-q', '--capture=no'];
    const result = await runCollection(argv, cwd, { ...env, RUN_CHUNKS_EVENTS_FILE: eventsFile, RUN_CHUNKS_SELECTIONS_FILE: specFile }, `collecting the tests of ${label}`, limits);
    if (result.exitCode !== 0 && result.exitCode !== 5) {
      const how = result.exitCode === null ? `killed by ${result.signal}` : `pytest exit ${result.exitCode}`;
      throw new UserError(`Collecting the tests of ${label} failed (${how}); ${describePytestOutput(result)}. Run the chunk's command with --collect-only to see it all (run-chunks --dry-run prints it).`);
    }
    const nodeIds = parseNodeIdFile(await readFile(`${eventsFile}.collected`, 'utf8').catch(() => ''));
    const owners = new Map<string, string[]>();
    const membership = await readFile(membershipFile, 'utf8').catch(() => '');
    for (const line of membership.split('\n')) if (line !== '') {
      const [nodeid, names] = JSON.parse(line) as [string, string[]];
      owners.set(nodeid, names);
    }
    const markers = new Set(JSON.parse(await readFile(markersFile, 'utf8').catch(() => '[]')) as string[]);
    return { nodeIds, owners, markers };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The node ids `invocation` selects (see collectSession). */
export async function collectTests(invocation: PytestInvocation, cwd: string, env: Record<string, string>, label: string, limits: CollectLimits): Promise<string[]> {
  return (await collectSession(invocation, cwd, env, label, limits)).nodeIds;
}

/**
 * Narrows a chunk to shard I of N: its collected tests split by duration history, this shard's
 * list handed to the plugin. A shard that gets no test runs nothing and passes (allowEmpty), so
 * a matrix with more shards than tests never fails CI on pytest's "no tests" exit.
 */
export async function applyShard(
  plan: ChunkPlan,
  spec: ShardSpec,
  durationsMs: ReadonlyMap<string, number>,
  reportDir: string,
  limits: CollectLimits,
): Promise<ChunkPlan & { shard: ShardInfo }> {
  const tests = await collectChunkTests(plan, limits);
  const group = partitionTests(tests, durationsMs, spec.count)[spec.index - 1] ?? [];
  const selectFile = path.join(reportDir, `${plan.name}.shard-${spec.index}-of-${spec.count}.txt`);
  await writeFile(selectFile, formatNodeIdFile(group));
  return {
    ...plan,
    env: { ...plan.env, RUN_CHUNKS_SELECT_FILE: selectFile },
    allowEmpty: true,
    shard: { index: spec.index, count: spec.count, tests: group.length, collected: tests.length },
  };
}

/** Which part of a chunk this run is. */
export interface ShardInfo {
  index: number;
  count: number;
  /** Tests in this shard, and in the whole chunk. */
  tests: number;
  collected: number;
}
