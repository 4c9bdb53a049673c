import { fileURLToPath } from 'node:url';
import type { DistMode } from '../config/types.js';

/** What a pytest chunk runs, apart from its worker count and result file (which attempts vary). */
export interface PytestInvocation {
  python: string;
  testPaths: string[];
  markers: string | undefined;
  keyword: string | undefined;
  dist: DistMode | undefined;
  args: string[];
  passthroughArgs: string[];
  /** Load the bundled event plugin (python/run_chunks_events/) with -p. */
  withEventPlugin: boolean;
  /** pytest-xdist is importable (found by the preflight): one worker then passes -n 0. Unknown until then. */
  xdistImportable?: boolean;
}

/** Name under which the bundled plugin is loaded (`-p run_chunks_events`). */
export const EVENT_PLUGIN_MODULE = 'run_chunks_events';

/** The folder holding the bundled pytest plugin: `python/` at the package root (dist/src/plan → root). */
export function bundledPluginDir(): string {
  return fileURLToPath(new URL('../../../python', import.meta.url));
}

/**
 * `python -m pytest [paths] -m EXPR -k KW [-n W --dist D] -p run_chunks_events --junitxml=FILE
 * [args] [passthrough]`. Workers 1 runs without xdist: it passes -n 0 where xdist is importable
 * (an `addopts = -n 4` would start workers otherwise), and leaves -n out where it is not (there
 * -n is an unknown option).
 */
export function buildPytestArgv(invocation: PytestInvocation, workers: number, junitPath: string): string[] {
  const argv = [invocation.python, '-m', 'pytest', ...invocation.testPaths];
  if (invocation.markers) argv.push('-m', invocation.markers);
  if (invocation.keyword) argv.push('-k', invocation.keyword);
  if (workers > 1) {
    argv.push('-n', String(workers));
    // "memory" is xdist's load distribution with the plugin's scheduler (RUN_CHUNKS_MEMORY_SCHEDULE).
    if (invocation.dist) argv.push('--dist', invocation.dist === 'memory' ? 'load' : invocation.dist);
  } else if (invocation.xdistImportable === true) {
    argv.push('-n', '0');
  }
  if (invocation.withEventPlugin) argv.push('-p', EVENT_PLUGIN_MODULE);
  argv.push(`--junitxml=${junitPath}`, ...invocation.args, ...invocation.passthroughArgs);
  return argv;
}
