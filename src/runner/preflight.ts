import { existsSync } from 'node:fs';
import { quoteText } from '../config/quote-text.js';
import { buildPytestArgv } from '../plan/pytest-invocation.js';
import type { ChunkPlan } from '../plan/types.js';
import { lastLines, runBounded } from './run-bounded.js';

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

// Finding two modules takes a Python start-up; one that takes this long is hung (a sitecustomize.py
// or a wrapper script waiting on something), not slow.
export const PROBE_TIMEOUT_MS = 30_000;

type ProbeResult = { ok: true; found: Record<string, boolean> } | { ok: false; problem: string } | { ok: false; interrupted: true };

/** The probe's own output for a message: its last lines, quoted, or "it printed nothing". */
function describeOutput(stdout: string, stderr: string): string {
  const tail = lastLines(`${stdout}\n${stderr}`, 5);
  return tail === '' ? 'it printed nothing' : `its last output: ${quoteText(tail, 600)}`;
}

async function probePython(python: string, cwd: string, env: Record<string, string>, signal: AbortSignal | undefined): Promise<ProbeResult> {
  const result = await runBounded([python, '-c', FIND_CHECK, 'pytest', 'xdist'], {
    cwd,
    env: { ...process.env, ...env },
    timeoutMs: PROBE_TIMEOUT_MS,
    signal,
  });
  if (result.stoppedBy === 'interrupt') return { ok: false, interrupted: true };
  if (result.spawnError?.code === 'ENOENT')
    return {
      ok: false,
      problem: `Python interpreter "${python}" was not found. Set "python" in the config (chunks.config.json or [tool.run-chunks]) to an interpreter that has pytest, or create the project's venv: python3 -m venv .venv && .venv/bin/pip install pytest pytest-xdist.`,
    };
  if (result.spawnError)
    return { ok: false, problem: `Python interpreter "${python}" could not be started (${result.spawnError.code ?? result.spawnError.message}). Check that it is an executable file.` };
  if (result.stoppedBy === 'timeout')
    return {
      ok: false,
      problem:
        `Python interpreter "${python}" did not answer within ${PROBE_TIMEOUT_MS / 1000} s while checking for pytest, so it was stopped with its whole process group; ` +
        `${describeOutput(result.stdout, result.stderr)}. Something it runs at start-up hangs (a sitecustomize.py, a .pth file, a wrapper script): run ${python} -c pass to see it.`,
    };
  try {
    return { ok: true, found: JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as Record<string, boolean> };
  } catch {
    const how = result.exitCode === null ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
    return { ok: false, problem: `Python interpreter "${python}" failed while checking for pytest (${how}; ${describeOutput(result.stdout, result.stderr)}).` };
  }
}

function describeProblem(plan: ChunkPlan, python: string, probe: ProbeResult & { ok: true }): string | undefined {
  if (!probe.found.pytest) return `pytest is not installed for ${python}. Install it with: ${python} -m pip install pytest`;
  if (plan.needsXdist && !probe.found.xdist)
    return (
      `chunk "${plan.name}" asks for ${plan.workers} workers, but pytest-xdist is not installed for ${python}. ` +
      `Install it with: ${python} -m pip install pytest-xdist (or set "workers": 1, or run with --no-parallel).`
    );
  return undefined;
}

/**
 * The plan as it will run: with xdist importable, a one-worker pytest chunk passes -n 0, so that
 * an `addopts = -n 4` in the project's pytest.ini cannot bring the workers back (without xdist,
 * -n would be an unknown option, and nothing can bring them back).
 */
function withXdistKnown(plan: ChunkPlan, xdistImportable: boolean): ChunkPlan {
  if (plan.pytest === undefined || plan.junitPath === undefined || !xdistImportable) return plan;
  const pytest = { ...plan.pytest, xdistImportable };
  return { ...plan, pytest, argv: buildPytestArgv(pytest, plan.workers, plan.junitPath) };
}

/** What the preflight decided about a chunk: run this plan, or a problem, or stop (the run was interrupted). */
export type PreflightVerdict = { kind: 'ready'; plan: ChunkPlan } | { kind: 'problem'; message: string } | { kind: 'interrupted' };

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
 * working directory, interpreter, pytest or pytest-xdist. Resolves to the plan to run (see
 * withXdistKnown), a problem, or `interrupted` when `signal` aborted the probe. Probes are
 * cached per interpreter, directory and environment.
 */
export function createPreflight(signal?: AbortSignal): (plan: ChunkPlan) => Promise<PreflightVerdict> {
  const probes = new Map<string, Promise<ProbeResult>>();
  return async (plan) => {
    if (!existsSync(plan.cwd)) return { kind: 'problem', message: `the working directory ${plan.cwd} does not exist. Fix "cwd" in the config (chunks.config.json or [tool.run-chunks]).` };
    if (plan.runner !== 'pytest' || plan.python === undefined) return { kind: 'ready', plan };
    const sharedEnv = withoutRunChunksVariables(plan.env);
    const key = JSON.stringify([plan.python, plan.cwd, sharedEnv]);
    let probe = probes.get(key);
    if (!probe) {
      probe = probePython(plan.python, plan.cwd, sharedEnv, signal);
      probes.set(key, probe);
    }
    const result = await probe;
    if (!result.ok) return 'interrupted' in result ? { kind: 'interrupted' } : { kind: 'problem', message: result.problem };
    const problem = describeProblem(plan, plan.python, result);
    return problem === undefined ? { kind: 'ready', plan: withXdistKnown(plan, result.found.xdist === true) } : { kind: 'problem', message: problem };
  };
}
