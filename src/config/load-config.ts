import { readFile } from 'node:fs/promises';
import { parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
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

// jsonc-parser's error codes, in words a person fixing a config file would use.
const SYNTAX_PROBLEMS: Record<string, string> = {
  InvalidSymbol: 'an unexpected character',
  InvalidNumberFormat: 'a malformed number',
  PropertyNameExpected: 'a property name in double quotes was expected (is there a trailing comma?)',
  ValueExpected: 'a value was expected (is there a trailing comma, or a missing value?)',
  ColonExpected: 'a ":" was expected after the property name',
  CommaExpected: 'a "," was expected between items',
  CloseBraceExpected: 'a closing "}" was expected',
  CloseBracketExpected: 'a closing "]" was expected',
  EndOfFileExpected: 'the file should end after the top-level value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'a comment is not closed',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut short',
  InvalidUnicode: 'an invalid unicode escape',
  InvalidEscapeCharacter: 'an invalid escape sequence in a string',
  InvalidCharacter: 'a control character inside a string',
};

/**
 * Parses JSON text, turning a syntax error into a UserError that names the line and column.
 * V8's messages do not always carry a position, so the error is located with jsonc-parser.
 */
export function parseJsonText(text: string, displayPath: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const errors: ParseError[] = [];
    parseTree(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
    const first = errors[0];
    const offset = first?.offset ?? text.length;
    const code = first ? printParseErrorCode(first.error) : 'ValueExpected';
    const problem = text.trim() === '' ? 'the file is empty' : (SYNTAX_PROBLEMS[code] ?? code);
    const { line, column } = locateOffset(text, offset);
    throw new UserError(
      `${displayPath}:${line}:${column}: the config is not valid JSON: ${problem}. Fix the file near that spot (JSON allows no comments or trailing commas).`,
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
  // Editors on Windows often save a byte-order mark; it is not part of the JSON.
  const raw = parseJsonText(text.replace(/^\uFEFF/, ''), displayPath);
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
