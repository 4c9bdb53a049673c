import { existsSync } from 'node:fs';
import path from 'node:path';

/** Interpreter used when the config names none and the project has no .venv. */
export const FALLBACK_PYTHON = 'python3';

/**
 * The interpreter for pytest chunks: the config's `python` (a path with a slash is taken
 * relative to the config file's folder, a bare name is looked up on PATH), else the project's
 * own `.venv/bin/python` (in the chunks' cwd, then beside the config file), else `python3`.
 */
export function resolvePython(configured: string | undefined, projectCwd: string, configDir: string): string {
  if (configured !== undefined) return configured.includes('/') ? path.resolve(configDir, configured) : configured;
  for (const folder of [projectCwd, configDir]) {
    const venvPython = path.join(folder, '.venv', 'bin', 'python');
    if (existsSync(venvPython)) return venvPython;
  }
  return FALLBACK_PYTHON;
}
