import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../util/user-error.js';
import type { LoadedConfig } from './types.js';
import { asValidConfig, validateConfig } from './validate-config.js';

/** File looked up in the current folder when --config is not given. */
export const DEFAULT_CONFIG_FILE = 'chunks.config.json';

// More than this many issues at once reads as noise; the first ones are enough to start fixing.
const MAX_REPORTED_ISSUES = 10;

/** Converts a character offset into 1-based line and column numbers. */
export function locateOffset(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/** Parses JSON text, turning a syntax error into a UserError that names the line and column. */
export function parseJsonText(text: string, displayPath: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const positionMatch = /position (\d+)/.exec(reason);
    const offset = positionMatch ? Number(positionMatch[1]) : text.length;
    const { line, column } = locateOffset(text, offset);
    const detail = reason.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw new UserError(
      `${displayPath}:${line}:${column}: the config is not valid JSON (${detail}). ` +
        'Check for a missing comma or quote, or a trailing comma, near that spot.',
    );
  }
}

/** Reads, parses and validates a config file; every problem becomes a UserError (exit 2). */
export async function loadConfig(configPath: string | undefined, cwd: string): Promise<LoadedConfig> {
  const resolvedPath = path.resolve(cwd, configPath ?? DEFAULT_CONFIG_FILE);
  const displayPath = path.relative(cwd, resolvedPath) || resolvedPath;
  let text: string;
  try {
    text = await readFile(resolvedPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UserError(
        configPath === undefined
          ? `No ${DEFAULT_CONFIG_FILE} in ${cwd}. Create one (see the README's config reference) or point to it with --config PATH.`
          : `Config file ${displayPath} does not exist. Check the path given to --config.`,
      );
    }
    if (code === 'EISDIR') throw new UserError(`${displayPath} is a folder, not a config file. Point --config at the JSON file.`);
    throw new UserError(`Cannot read config file ${displayPath} (${code ?? String(error)}). Check its permissions.`);
  }
  const raw = parseJsonText(text, displayPath);
  const issues = validateConfig(raw);
  if (issues.length > 0) {
    const shown = issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => `  ${issue.path}: ${issue.message}`);
    const more = issues.length > MAX_REPORTED_ISSUES ? [`  …and ${issues.length - MAX_REPORTED_ISSUES} more.`] : [];
    throw new UserError(
      `${displayPath} is not a valid run-chunks config (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${[...shown, ...more].join('\n')}`,
    );
  }
  return { config: asValidConfig(raw), configPath: resolvedPath, configDir: path.dirname(resolvedPath) };
}
