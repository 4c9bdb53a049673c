import path from 'node:path';
import type { LoadedConfig } from '../config/types.js';
import { createPlans } from '../plan/create-plans.js';
import { expandGlobSync, realPathOrResolved } from '../plan/expand-path-globs.js';
import { bundledPluginDir } from '../plan/pytest-invocation.js';
import { resolvePython } from '../plan/resolve-python.js';
import type { ChunkPlan } from '../plan/types.js';
import type { CliOptions } from './parse-args.js';

/** Plans the selected chunks with this machine's facts (interpreter, plugin folder, globs). */
export function planChunks(
  loaded: LoadedConfig,
  options: Pick<CliOptions, 'chunks' | 'noParallel' | 'passthroughArgs' | 'sampleIntervalMs' | 'retryOnOom'>,
  reportDir: string,
  autoWorkers?: (chunkName: string) => { workers: number; reason: string },
): ChunkPlan[] {
  const projectCwd = path.resolve(loaded.configDir, loaded.config.cwd ?? '.');
  return createPlans(loaded, {
    selectedChunks: options.chunks,
    noParallel: options.noParallel,
    reportDir,
    passthroughArgs: options.passthroughArgs,
    sampleIntervalMs: options.sampleIntervalMs,
    retryOnOom: options.retryOnOom,
    pluginDir: bundledPluginDir(),
    inheritedPythonPath: process.env.PYTHONPATH,
    python: resolvePython(loaded.config.python, projectCwd, loaded.configDir),
    expandGlob: expandGlobSync,
    realPath: realPathOrResolved,
    autoWorkers,
  });
}

