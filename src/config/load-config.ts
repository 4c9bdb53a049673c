import { createScanner, parseTree, printParseErrorCode, SyntaxKind, type ParseError } from 'jsonc-parser';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { UserError } from '../util/user-error.js';
import { decodeConfigText } from './decode-config-text.js';
import { findDuplicateKey } from './find-duplicate-keys.js';
import { parseIssuePath, type LineLocator } from './config-locations.js';
import { DEFAULT_CONFIG_FILE, PYPROJECT_FILE, PYPROJECT_TABLE, readConfigBytes } from './read-config-file.js';
import { readPyprojectConfig } from './pyproject-config.js';
import type { LoadedConfig } from './types.js';
import { asValidConfig, validateConfig, type ConfigIssue } from './validate-config.js';

export { DEFAULT_CONFIG_FILE } from './read-config-file.js';

// More than this many issues at once reads as noise; the first ones are enough to start fixing.
const MAX_REPORTED_ISSUES = 10;

// jsonc-parser's parseTree recurses once per nesting level and overflows the stack somewhere past
// ten thousand; a config nests four levels deep, so deeper text is located without it.
const MAX_LOCATED_NESTING = 1000;

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

/** Offset of the bracket that first nests deeper than MAX_LOCATED_NESTING, or undefined. The scanner does not recurse. */
function findExcessiveNesting(text: string): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) {
      depth += 1;
      if (depth > MAX_LOCATED_NESTING) return scanner.getTokenOffset();
    } else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) {
      depth -= 1;
    }
  }
  return undefined;
}

/** Where the first syntax error of `text` is, and what it is in words. */
function locateSyntaxError(text: string): { offset: number; problem: string } {
  if (text.trim() === '') return { offset: text.length, problem: 'the file is empty' };
  const tooDeep = findExcessiveNesting(text);
  if (tooDeep !== undefined) return { offset: tooDeep, problem: `brackets nest more than ${MAX_LOCATED_NESTING} levels deep` };
  const errors: ParseError[] = [];
  parseTree(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
  const first = errors[0];
  const code = first ? printParseErrorCode(first.error) : 'ValueExpected';
  return { offset: first?.offset ?? text.length, problem: SYNTAX_PROBLEMS[code] ?? code };
}

/**
 * Parses JSON text, turning a syntax error into a UserError that names the line and column.
 * V8's messages do not always carry a position, so the error is located with jsonc-parser.
 */
export function parseJsonText(text: string, displayPath: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const { offset, problem } = locateSyntaxError(text);
    const { line, column } = locateOffset(text, offset);
    throw new UserError(
      `${displayPath}:${line}:${column}: the config is not valid JSON: ${problem}. Fix the file near that spot (JSON allows no comments or trailing commas).`,
    );
  }
}

/** A UserError when the same key appears twice in one object (JSON.parse would keep the last silently). */
function assertNoDuplicateKeys(text: string, displayPath: string): void {
  const duplicate = findDuplicateKey(text);
  if (duplicate === undefined) return;
  throw new UserError(
    `${displayPath}:${duplicate.secondLine}: the key ${duplicate.path} appears twice in one object, on line ${duplicate.firstLine} and on line ${duplicate.secondLine}; JSON would silently keep only the last. Remove one of them.`,
  );
}

/** Where a file's path is shown: relative to the current folder, or absolute outside it ("/dev/zero", not "../../dev/zero"). */
function displayPathOf(resolvedPath: string, cwd: string): string {
  const relativePath = path.relative(cwd, resolvedPath);
  return relativePath === '' || relativePath.startsWith('..') ? resolvedPath : relativePath;
}

/**
 * The config file to read: --config's, else chunks.config.json or a pyproject.toml holding
 * [tool.run-chunks] in the current folder. Both at once is an error that names both: run-chunks
 * will not guess which of two configs a team meant.
 */
async function findConfigFile(configPath: string | undefined, cwd: string): Promise<{ resolvedPath: string; format: 'json' | 'toml' }> {
  if (configPath !== undefined) {
    const resolvedPath = path.resolve(cwd, configPath);
    return { resolvedPath, format: resolvedPath.toLowerCase().endsWith('.toml') ? 'toml' : 'json' };
  }
  const jsonPath = path.resolve(cwd, DEFAULT_CONFIG_FILE);
  const pyprojectPath = path.resolve(cwd, PYPROJECT_FILE);
  const pyproject = await readPyprojectConfig(pyprojectPath, PYPROJECT_FILE, { required: false });
  if (pyproject !== undefined && existsSync(jsonPath))
    throw new UserError(
      `Two run-chunks configs in ${cwd}: ${DEFAULT_CONFIG_FILE} and the ${PYPROJECT_TABLE} table in ${PYPROJECT_FILE}. run-chunks will not guess which one you meant: remove one of them, or choose with --config ${DEFAULT_CONFIG_FILE} or --config ${PYPROJECT_FILE}.`,
    );
  return pyproject !== undefined ? { resolvedPath: pyprojectPath, format: 'toml' } : { resolvedPath: jsonPath, format: 'json' };
}

/** The validation problems as one error, each on its own line (with its file and line where it can be located). */
function invalidConfigError(where: string, issues: readonly ConfigIssue[], locate: LineLocator | undefined, linePrefix: string, rootName: string): UserError {
  const shown = issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => {
    const line = locate?.(parseIssuePath(issue.path));
    const shownPath = issue.path === '(root)' ? rootName : issue.path;
    return line === undefined ? `  ${shownPath}: ${issue.message}` : `  ${linePrefix}:${line}: ${shownPath}: ${issue.message}`;
  });
  const more = issues.length > MAX_REPORTED_ISSUES ? [`  …and ${issues.length - MAX_REPORTED_ISSUES} more.`] : [];
  return new UserError(`${where} is not a valid run-chunks config (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${[...shown, ...more].join('\n')}`);
}

/** Reads, parses and validates a config file; every problem becomes a UserError (exit 2). */
export async function loadConfig(configPath: string | undefined, cwd: string): Promise<LoadedConfig> {
  const { resolvedPath, format } = await findConfigFile(configPath, cwd);
  const displayPath = displayPathOf(resolvedPath, cwd);
  if (format === 'toml') {
    const table = (await readPyprojectConfig(resolvedPath, displayPath, { required: true }))!;
    const issues = validateConfig(table.raw);
    // TOML text is located line by line; only JSON configs are checked for keys given twice, TOML forbids them itself.
    if (issues.length > 0) throw invalidConfigError(`${displayPath} ${PYPROJECT_TABLE}`, issues, table.locate, displayPath, PYPROJECT_TABLE);
    return { config: asValidConfig(table.raw), configPath: resolvedPath, configDir: path.dirname(resolvedPath) };
  }
  const text = decodeConfigText(await readConfigBytes(resolvedPath, displayPath, configPath, cwd), displayPath);
  const raw = parseJsonText(text, displayPath);
  assertNoDuplicateKeys(text, displayPath);
  const issues = validateConfig(raw);
  if (issues.length > 0) throw invalidConfigError(displayPath, issues, undefined, displayPath, '(root)');
  return { config: asValidConfig(raw), configPath: resolvedPath, configDir: path.dirname(resolvedPath) };
}

