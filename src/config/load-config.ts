import { createScanner, parseTree, printParseErrorCode, SyntaxKind, type ParseError } from 'jsonc-parser';
import path from 'node:path';
import { formatMiB, readRegularFile, type RegularFileRead } from '../util/read-regular-file.js';
import { UserError } from '../util/user-error.js';
import { decodeConfigText } from './decode-config-text.js';
import { findDuplicateKey } from './find-duplicate-keys.js';
import type { LoadedConfig } from './types.js';
import { asValidConfig, validateConfig } from './validate-config.js';

/** File looked up in the current folder when --config is not given. */
export const DEFAULT_CONFIG_FILE = 'chunks.config.json';

// More than this many issues at once reads as noise; the first ones are enough to start fixing.
const MAX_REPORTED_ISSUES = 10;

// Ten thousand chunks with long descriptions come to a few megabytes; a file a hundred times that
// is not a config (a log or a dump given to --config), and reading it whole would only cost memory.
const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

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

/** Reads a config file's bytes; a missing, unreadable, oversized or non-regular file is a UserError. */
async function readConfigBytes(resolvedPath: string, displayPath: string, configPath: string | undefined, cwd: string): Promise<Buffer> {
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
        ? `No ${DEFAULT_CONFIG_FILE} in ${cwd}. Create one (see the README's config reference) or point to it with --config PATH.`
        : `Config file ${displayPath} does not exist. Check the path given to --config.`,
    );
  if (read.sizeBytes !== undefined)
    throw new UserError(`${displayPath} is ${read.what}, more than any config (at most ${formatMiB(MAX_CONFIG_BYTES)}). Check the path given to --config.`);
  if (read.what === 'a folder') throw new UserError(`${displayPath} is a folder, not a config file. Point --config at the JSON file.`);
  throw new UserError(
    `${displayPath} is ${read.what}, not a config file, so run-chunks did not read it (it reads only a regular JSON file). Point --config at the JSON file.`,
  );
}

/** A UserError when the same key appears twice in one object (JSON.parse would keep the last silently). */
function assertNoDuplicateKeys(text: string, displayPath: string): void {
  const duplicate = findDuplicateKey(text);
  if (duplicate === undefined) return;
  throw new UserError(
    `${displayPath}:${duplicate.secondLine}: the key ${duplicate.path} appears twice in one object, on line ${duplicate.firstLine} and on line ${duplicate.secondLine}; JSON would silently keep only the last. Remove one of them.`,
  );
}

/** Reads, parses and validates a config file; every problem becomes a UserError (exit 2). */
export async function loadConfig(configPath: string | undefined, cwd: string): Promise<LoadedConfig> {
  const resolvedPath = path.resolve(cwd, configPath ?? DEFAULT_CONFIG_FILE);
  // A file outside the current folder is shown by its absolute path ("/dev/zero", not "../../dev/zero").
  const relativePath = path.relative(cwd, resolvedPath);
  const displayPath = relativePath === '' || relativePath.startsWith('..') ? resolvedPath : relativePath;
  const text = decodeConfigText(await readConfigBytes(resolvedPath, displayPath, configPath, cwd), displayPath);
  const raw = parseJsonText(text, displayPath);
  assertNoDuplicateKeys(text, displayPath);
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
