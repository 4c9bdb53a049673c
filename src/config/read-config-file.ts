import { formatMiB, readRegularFile, type RegularFileRead } from '../util/read-regular-file.js';
import { UserError } from '../util/user-error.js';

/** File looked up in the current folder when --config is not given. */
export const DEFAULT_CONFIG_FILE = 'chunks.config.json';

/** The Python project file that may hold the config instead, in the table below. */
export const PYPROJECT_FILE = 'pyproject.toml';
export const PYPROJECT_TABLE = '[tool.run-chunks]';

// Ten thousand chunks with long descriptions come to a few megabytes; a file a hundred times that
// is not a config (a log or a dump given to --config), and reading it whole would only cost memory.
const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** Reads a config file's bytes (JSON or TOML); a missing, unreadable, oversized or non-regular file is a UserError. */
export async function readConfigBytes(resolvedPath: string, displayPath: string, configPath: string | undefined, cwd: string): Promise<Buffer> {
  let read: RegularFileRead;
  try {
    read = await readRegularFile(resolvedPath, MAX_CONFIG_BYTES);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot read config file ${displayPath} (${code ?? String(error)}). Check its permissions.`);
  }
  if (read.kind === 'read') return read.bytes;
  if (read.kind === 'missing')
    throw new UserError(
      configPath === undefined
        ? `No ${DEFAULT_CONFIG_FILE} in ${cwd}, and no ${PYPROJECT_TABLE} table in a ${PYPROJECT_FILE} there. Create one (\`run-chunks init\` writes a starter config; the README's config reference lists the fields) or point to it with --config PATH.`
        : `Config file ${displayPath} does not exist. Check the path given to --config.`,
    );
  if (read.sizeBytes !== undefined)
    throw new UserError(`${displayPath} is ${read.what}, more than any config (at most ${formatMiB(MAX_CONFIG_BYTES)}). Check the path given to --config.`);
  if (read.what === 'a folder') throw new UserError(`${displayPath} is a folder, not a config file. Point --config at the JSON file (or the pyproject.toml).`);
  throw new UserError(
    `${displayPath} is ${read.what}, not a config file, so run-chunks did not read it (it reads only a regular JSON or TOML file). Point --config at the JSON file (or the pyproject.toml).`,
  );
}

