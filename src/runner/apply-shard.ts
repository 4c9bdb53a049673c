import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildPytestArgv, type PytestInvocation } from '../plan/pytest-invocation.js';
import { partitionTests, type ShardSpec } from '../plan/shard.js';
import type { ChunkPlan } from '../plan/types.js';
import { UserError } from '../util/user-error.js';
import { formatNodeIdFile, parseNodeIdFile } from '../results/node-id-file.js';

// Collecting a big suite imports every test module; minutes would mean it is stuck.
const COLLECT_TIMEOUT_MS = 10 * 60_000;

/** The node ids a chunk selects, as pytest collects them, without running anything. */
export async function collectChunkTests(plan: ChunkPlan): Promise<string[]> {
  if (!plan.pytest?.withEventPlugin) throw new UserError(`Collecting tests needs a pytest chunk, and "${plan.name}" runs a command.`);
  return collectTests(plan.pytest, plan.cwd, plan.env, `chunk "${plan.name}"`);
}

/**
 * Collects with pytest (`--collect-only`) and the bundled plugin, which lists the selected node
 * ids. `label` names what is collected in errors.
 */
export async function collectTests(invocation: PytestInvocation, cwd: string, env: Record<string, string>, label: string): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'run-chunks-collect-'));
  try {
    const eventsFile = path.join(dir, 'events.jsonl');
    const argv = [...buildPytestArgv({ ...invocation, withEventPlugin: true }, 1, path.join(dir, 'junit.xml')), '--collect-only', '-q'];
    const result = await execa(argv[0]!, argv.slice(1), {
      cwd,
      env: { ...env, RUN_CHUNKS_EVENTS_FILE: eventsFile },
      reject: false,
      timeout: COLLECT_TIMEOUT_MS,
      stdin: 'ignore',
    });
    if (result.exitCode !== 0 && result.exitCode !== 5) {
      const tail = String(result.stdout).trim().split('\n').slice(-3).join(' / ');
      throw new UserError(`Collecting the tests of ${label} failed (pytest exit ${result.exitCode ?? result.code}): ${tail}`);
    }
    const text = await readFile(`${eventsFile}.collected`, 'utf8').catch(() => '');
    return parseNodeIdFile(text);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Narrows a chunk to shard I of N: its collected tests split by duration history, this shard's
 * list handed to the plugin. A shard that gets no test runs nothing and passes (allowEmpty), so
 * a matrix with more shards than tests never fails CI on pytest's "no tests" exit.
 */
export async function applyShard(plan: ChunkPlan, spec: ShardSpec, durationsMs: ReadonlyMap<string, number>, reportDir: string): Promise<ChunkPlan & { shard: ShardInfo }> {
  const tests = await collectChunkTests(plan);
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
