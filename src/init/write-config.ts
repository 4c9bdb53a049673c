import { lstatSync } from 'node:fs';
import { appendFile, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'smol-toml';
import { DEFAULT_CONFIG_FILE, PYPROJECT_FILE, PYPROJECT_TABLE } from '../config/read-config-file.js';
import { describeFsError } from '../util/describe-fs-error.js';
import { UserError } from '../util/user-error.js';

/** Where the starter config goes: a JSON file (new, or replacing one under --force), or a table appended to a TOML file (pyproject.toml). */
export type ConfigTarget =
  | { kind: 'json'; file: string; replaces: boolean }
  | { kind: 'pyproject'; file: string; original: Buffer; exists: boolean };

// A pyproject.toml is a few kilobytes; one this big is not what the user means.
const MAX_PYPROJECT_BYTES = 16 * 1024 * 1024;

const NEVER_OVERWRITES = 'run-chunks init never overwrites a config';

function shown(file: string, projectDir: string): string {
  const relative = path.relative(projectDir, file);
  return relative === '' || relative.startsWith('..') ? file : relative;
}

function kindOf(file: string): 'missing' | 'file' | 'other' {
  try {
    return lstatSync(file).isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

function jsonTarget(file: string, projectDir: string, force: boolean): ConfigTarget {
  const kind = kindOf(file);
  if (kind === 'other') throw new UserError(`${shown(file, projectDir)} exists and is not a regular file, so init leaves it alone. Move it away, or write elsewhere with --output PATH.`);
  if (kind === 'file' && !force)
    throw new UserError(`${shown(file, projectDir)} already exists: ${NEVER_OVERWRITES}. Check it with run-chunks plan, or edit it; to replace it with a new starter config, pass --force.`);
  return { kind: 'json', file, replaces: kind === 'file' };
}

async function pyprojectTarget(file: string, projectDir: string, force: boolean): Promise<ConfigTarget> {
  const name = shown(file, projectDir);
  const kind = kindOf(file);
  if (kind === 'missing') return { kind: 'pyproject', file, original: Buffer.alloc(0), exists: false };
  if (kind === 'other') throw new UserError(`${name} is not a regular file, so init leaves it alone. Write a chunks.config.json instead with --output chunks.config.json.`);
  let original: Buffer;
  try {
    original = await readFile(file);
  } catch (error) {
    throw new UserError(`Cannot read ${name} (${describeFsError(error)}). Check its permissions, or write a chunks.config.json with --output chunks.config.json.`);
  }
  if (original.length > MAX_PYPROJECT_BYTES) throw new UserError(`${name} is ${original.length} bytes, more than a pyproject.toml holds; init leaves it alone. Write a chunks.config.json with --output chunks.config.json.`);
  const table = readTable(original);
  if ('invalid' in table) throw new UserError(`${name} is not valid TOML (${table.invalid}), so init cannot check what it would append. Fix it, or write a chunks.config.json instead with --output chunks.config.json.`);
  if (table.hasTable)
    throw new UserError(
      `${name} already has a ${PYPROJECT_TABLE} table: ${NEVER_OVERWRITES}${force ? ' (--force replaces only a chunks.config.json, never part of a pyproject.toml)' : ''}. ` +
        'Check it with run-chunks plan, or edit it; to start again, delete the table and its [[tool.run-chunks.chunks]] yourself.',
    );
  return { kind: 'pyproject', file, original, exists: true };
}

/** Whether TOML text has a [tool.run-chunks] table, or why it does not parse. */
function readTable(bytes: Buffer): { hasTable: boolean } | { invalid: string } {
  try {
    const parsed = parse(bytes.toString('utf8')) as { tool?: Record<string, unknown> };
    return { hasTable: parsed.tool?.['run-chunks'] !== undefined };
  } catch (error) {
    return { invalid: (error instanceof Error ? error.message.split('\n')[0]! : String(error)).replace(/^Invalid TOML document:\s*/i, '') };
  }
}

async function hasTableAt(file: string): Promise<boolean> {
  if (kindOf(file) !== 'file') return false;
  const table = await readFile(file).then(readTable, () => undefined);
  return table !== undefined && 'hasTable' in table && table.hasTable;
}

/** A UserError when writing `target` would leave both chunks.config.json and a [tool.run-chunks] table in one folder, which run-chunks refuses to choose between. */
async function refuseSecondConfig(target: ConfigTarget, projectDir: string): Promise<ConfigTarget> {
  const folder = path.dirname(target.file);
  const json = path.join(folder, DEFAULT_CONFIG_FILE);
  const pyproject = path.join(folder, PYPROJECT_FILE);
  const twoConfigs = 'run-chunks refuses two configs in one folder (it will not guess which one you meant)';
  if (target.kind === 'json' && target.file === json && (await hasTableAt(pyproject)))
    throw new UserError(`${shown(pyproject, projectDir)} already holds the config, in its ${PYPROJECT_TABLE} table; ${twoConfigs}. Edit that table, or delete it first to have a chunks.config.json instead.`);
  if (target.kind === 'pyproject' && target.file === pyproject && kindOf(json) !== 'missing')
    throw new UserError(`${shown(json, projectDir)} already holds the config; a ${PYPROJECT_TABLE} table beside it would make two, and ${twoConfigs}. Edit ${DEFAULT_CONFIG_FILE}, or delete it first to keep the config in ${PYPROJECT_FILE}.`);
  return target;
}

/**
 * Decides where to write, before anything slow runs: `--output` (a .json file, or a .toml
 * file such as pyproject.toml), else chunks.config.json when it exists (replaced only under
 * --force), else pyproject.toml when it exists, else a new chunks.config.json. An existing config is refused,
 * and so is a second one beside it.
 */
export async function chooseConfigTarget(projectDir: string, output: string | undefined, force: boolean): Promise<ConfigTarget> {
  return refuseSecondConfig(await chooseFile(projectDir, output, force), projectDir);
}

async function chooseFile(projectDir: string, output: string | undefined, force: boolean): Promise<ConfigTarget> {
  if (output !== undefined) {
    const file = path.resolve(projectDir, output);
    // As --config reads them: a .toml file holds the config in its [tool.run-chunks] table, anything else is JSON.
    if (file.toLowerCase().endsWith('.toml')) return pyprojectTarget(file, projectDir, force);
    if (file.toLowerCase().endsWith('.json')) return jsonTarget(file, projectDir, force);
    throw new UserError(`--output ${output}: init writes a .json config (e.g. chunks.config.json) or a ${PYPROJECT_TABLE} table in a .toml file (pyproject.toml); give a path ending in .json or .toml.`);
  }
  const json = path.join(projectDir, DEFAULT_CONFIG_FILE);
  if (kindOf(json) !== 'missing') return jsonTarget(json, projectDir, force);
  const pyproject = path.join(projectDir, PYPROJECT_FILE);
  if (kindOf(pyproject) !== 'missing') return pyprojectTarget(pyproject, projectDir, force);
  return jsonTarget(json, projectDir, force);
}

/** Writes `text` to the target: a new (or, under --force, replaced) JSON file, or appended to the pyproject.toml, whose bytes stay as they were before it. */
export async function writeConfigText(target: ConfigTarget, text: string, projectDir: string): Promise<void> {
  const name = shown(target.file, projectDir);
  try {
    if (target.kind === 'json') {
      // 'wx' fails if the file appeared since it was checked: never overwritten by accident.
      await writeFile(target.file, text, { flag: target.replaces ? 'w' : 'wx' });
      return;
    }
    await appendFile(target.file, text, { flag: target.exists ? 'a' : 'ax' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError(`${name} appeared while init ran: ${NEVER_OVERWRITES}. Run init again to see what is there.`);
    throw new UserError(`Cannot write ${name} (${describeFsError(error)}). Check the folder's permissions, or write elsewhere with --output PATH.`);
  }
  if (target.kind === 'pyproject') await checkAppended(target, Buffer.from(text, 'utf8'), name);
}

/** After appending: the file must be its old bytes and then the table, nothing else; otherwise it is put back as it was. */
async function checkAppended(target: ConfigTarget & { kind: 'pyproject' }, appended: Buffer, name: string): Promise<void> {
  const now = await readFile(target.file);
  if (now.equals(Buffer.concat([target.original, appended]))) return;
  if (now.subarray(0, target.original.length).equals(target.original)) await truncate(target.file, target.original.length);
  throw new UserError(`${name} changed while init appended to it, so init took its table back out. Run init again.`);
}
