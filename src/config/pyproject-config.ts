// `[tool.run-chunks]` in pyproject.toml: where a pytest team keeps its tools' settings. The table
// holds exactly the fields of chunks.config.json (chunks as `[[tool.run-chunks.chunks]]`), and is
// validated by the same code; problems are located by TOML line.

import { existsSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { UserError } from '../util/user-error.js';
import { tomlLineLocator, type LineLocator } from './config-locations.js';
import { decodeConfigText } from './decode-config-text.js';
import { PYPROJECT_TABLE, readConfigBytes } from './read-config-file.js';

/** Where the table sits in the document. */
const TABLE_PATH = ['tool', 'run-chunks'] as const;

/** The table's raw value (validated by the caller) and a locator of its lines. */
export interface PyprojectConfig {
  raw: unknown;
  locate: LineLocator;
}

/**
 * smol-toml builds objects without a prototype; the rest of run-chunks (and the validator's
 * messages) expects plain JSON-like values, so tables become plain objects. Other values
 * (TomlDate included, which no field accepts) are kept, so a wrong type is still named.
 */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toPlain(item)]));
  return value;
}

/** The first line of smol-toml's message, without its "Invalid TOML document: " lead (the rest is a code frame). */
function tomlProblem(error: TomlError): string {
  const first = error.message.split('\n')[0] ?? error.message;
  return first.replace(/^Invalid TOML document:\s*/i, '');
}

/**
 * Reads `[tool.run-chunks]` from a TOML file. `required: false` (looking for a config, not told
 * where): a missing file, or one that never mentions run-chunks, is undefined, so an unrelated
 * pyproject.toml is never parsed. `required: true` (--config): both are UserErrors.
 */
export async function readPyprojectConfig(resolvedPath: string, displayPath: string, options: { required: boolean }): Promise<PyprojectConfig | undefined> {
  if (!options.required && !existsSync(resolvedPath)) return undefined;
  const text = decodeConfigText(await readConfigBytes(resolvedPath, displayPath, options.required ? displayPath : undefined, ''), displayPath);
  if (!options.required && !text.includes('run-chunks')) return undefined;
  let document: unknown;
  try {
    document = toPlain(parse(text));
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    throw new UserError(`${displayPath}:${error.line}:${error.column}: the file is not valid TOML: ${tomlProblem(error)}. Fix the file near that spot (pip and pytest would refuse it too).`);
  }
  const tool = (document as { tool?: unknown }).tool;
  const table = typeof tool === 'object' && tool !== null ? (tool as Record<string, unknown>)[TABLE_PATH[1]] : undefined;
  if (table === undefined) {
    if (!options.required) return undefined;
    throw new UserError(
      `${displayPath} has no ${PYPROJECT_TABLE} table. Add one with the fields of the README's config reference (chunks as [[tool.run-chunks.chunks]]), or run \`run-chunks init\` to write a starter config.`,
    );
  }
  return { raw: table, locate: tomlLineLocator(text, TABLE_PATH) };
}
