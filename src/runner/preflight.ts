import { existsSync } from 'node:fs';
import { execa } from 'execa';
import type { ChunkPlan } from '../plan/types.js';

// Asks the chunk's own interpreter, with the chunk's own environment, whether it can find what
// the command needs. Finding (importlib's find_spec) costs a Python start-up, some 30 ms; importing
// pytest would cost a quarter of a second more on every run. An install that is found but broken
// still fails, inside the chunk, with pytest's own traceback in its log.
const FIND_CHECK = [
  'import importlib.util, json, sys',
  'found = {}',
  'for name in sys.argv[1:]:',
  '    try:',
  '        found[name] = importlib.util.find_spec(name) is not None',
  '    except Exception:',
  '        found[name] = False',
  'print(json.dumps(found))',
].join('\n');

const RUN_CHUNKS_PREFIX = 'RUN_CHUNKS_';

// An interpreter that takes longer than this to import pytest is hung, not slow.
const CHECK_TIMEOUT_MS = 60_000;

type ProbeResult = { ok: true; found: Record<string, boolean> } | { ok: false; problem: string };

async function probePython(python: string, cwd: string, env: Record<string, string>): Promise<ProbeResult> {
  const result = await execa(python, ['-c', FIND_CHECK, 'pytest', 'xdist'], {
    cwd,
    env,
    reject: false,
    timeout: CHECK_TIMEOUT_MS,
    stdin: 'ignore',
  });
  if (result.code === 'ENOENT')
    return {
      ok: false,
      problem: `Python interpreter "${python}" was not found. Set "python" in chunks.config.json to an interpreter that has pytest, or create the project's venv: python3 -m venv .venv && .venv/bin/pip install pytest pytest-xdist.`,
    };
  try {
    return { ok: true, found: JSON.parse(String(result.stdout).trim().split('\n').at(-1) ?? '') as Record<string, boolean> };
  } catch {
    const detail = String(result.stderr).trim().split('\n').at(-1) || result.shortMessage;
    return { ok: false, problem: `Python interpreter "${python}" failed while checking for pytest (${detail}).` };
  }
}

function describeProblem(plan: ChunkPlan, python: string, probe: ProbeResult): string | undefined {
  if (!probe.ok) return probe.problem;
  if (!probe.found.pytest) return `pytest is not installed for ${python}. Install it with: ${python} -m pip install pytest`;
  if (plan.needsXdist && !probe.found.xdist)
    return (
      `chunk "${plan.name}" asks for ${plan.workers} workers, but pytest-xdist is not installed for ${python}. ` +
      `Install it with: ${python} -m pip install pytest-xdist (or set "workers": 1, or run with --no-parallel).`
    );
  return undefined;
}

/**
 * The chunk's environment without the variables run-chunks sets per chunk (its name, its events
 * and selection files): they cannot change what Python imports, and keeping them would probe
 * again for every chunk, a Python start-up and a pytest import (a quarter of a second) each.
 */
function withoutRunChunksVariables(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith(RUN_CHUNKS_PREFIX)));
}

/**
 * Checks, before spawning a chunk, what would otherwise fail obscurely inside it: a missing
 * working directory, interpreter, pytest or pytest-xdist. Resolves to a message, or undefined
 * when the chunk can start. Probes are cached per interpreter, directory and environment.
 */
export function createPreflight(): (plan: ChunkPlan) => Promise<string | undefined> {
  const probes = new Map<string, Promise<ProbeResult>>();
  return async (plan) => {
    if (!existsSync(plan.cwd)) return `the working directory ${plan.cwd} does not exist. Fix "cwd" in chunks.config.json.`;
    if (plan.runner !== 'pytest' || plan.python === undefined) return undefined;
    const sharedEnv = withoutRunChunksVariables(plan.env);
    const key = JSON.stringify([plan.python, plan.cwd, sharedEnv]);
    let probe = probes.get(key);
    if (!probe) {
      probe = probePython(plan.python, plan.cwd, sharedEnv);
      probes.set(key, probe);
    }
    return describeProblem(plan, plan.python, await probe);
  };
}
