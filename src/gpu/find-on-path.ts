import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

function isExecutableFile(candidate: string): boolean {
  try {
    accessSync(candidate, constants.X_OK);
    return statSync(candidate).isFile();
  } catch {
    return false;
  }
}

/**
 * Where `program` would be found and run: itself when it names a path (has a "/"), otherwise the
 * first executable file of that name in `envPath`'s folders. Empty PATH entries (which a shell
 * reads as the working directory) are skipped on purpose: an `nvidia-smi` lying in the test
 * suite's folder must not be picked up by accident.
 */
export function findOnPath(program: string, envPath: string | undefined): string | undefined {
  if (program === '') return undefined;
  if (program.includes('/')) return isExecutableFile(program) ? path.resolve(program) : undefined;
  for (const folder of (envPath ?? '').split(path.delimiter)) {
    if (folder === '') continue;
    const candidate = path.join(folder, program);
    if (isExecutableFile(candidate)) return path.resolve(candidate);
  }
  return undefined;
}
