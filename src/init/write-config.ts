import { lstatSync } from 'node:fs';
import { appendFile, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'smol-toml';
import { DEFAULT_CONFIG_FILE } from '../config/load-config.js';
import { describeFsError } from '../util/describe-fs-error.js';
import { UserError } from '../util/user-error.js';

/** Where the starter config goes: a chunks.config.json (new, or replacing one under --force), or a table appended to a pyproject.toml. */
export type ConfigTarget =
  | { kind: 'json'; file: string; replaces: boolean }
  | { kind: 'pyproject'; file: string; original: Buffer; exists: boolean };

const PYPROJECT_FILE = 'pyproject.toml';
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
  let parsed: { tool?: Record<string, unknown> };
  try {
    parsed = parse(original.toString('utf8')) as typeof parsed;
  } catch (error) {
    const first = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UserError(`${name} is not valid TOML (${first}), so init cannot check what it would append. Fix it, or write a chunks.config.json instead with --output chunks.config.json.`);
  }
  if (parsed.tool?.['run-chunks'] !== undefined)
    throw new UserError(
      `${name} already has a [tool.run-chunks] table: ${NEVER_OVERWRITES}${force ? ' (--force replaces only a chunks.config.json, never part of a pyproject.toml)' : ''}. ` +
        'Check it with run-chunks plan, or edit it; to start again, delete the table and its [[tool.run-chunks.chunks]] yourself.',
    );
  return { kind: 'pyproject', file, original, exists: true };
}

/**
 * Decides where to write, before anything slow runs: `--output` (a .json file, or a
 * pyproject.toml), else chunks.config.json when it exists (replaced only under --force), else
 * pyproject.toml when it exists, else a new chunks.config.json. An existing config is refused.
 */
export async function chooseConfigTarget(projectDir: string, output: string | undefined, force: boolean): Promise<ConfigTarget> {
  if (output !== undefined) {
    const file = path.resolve(projectDir, output);
    if (path.basename(file) === PYPROJECT_FILE) return pyprojectTarget(file, projectDir, force);
    if (file.endsWith('.json')) return jsonTarget(file, projectDir, force);
    throw new UserError(`--output ${output}: init writes a .json config (e.g. chunks.config.json) or a table in a pyproject.toml; give a path ending in .json or pyproject.toml.`);
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
