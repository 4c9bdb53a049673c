// Validation speaks in config paths (`chunks[2].workers`); a person fixing the file wants the line.
// These locators turn a path into the line that holds it, in JSON text and in TOML text, falling
// back to the nearest enclosing key (a value inside an inline table is found at its table's line).

import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';

/** One step of a config path: an object key or an array index. */
export type PathSegment = string | number;

/** The 1-based line holding `segments`, or that of the nearest enclosing key; undefined: none known. */
export type LineLocator = (segments: readonly PathSegment[]) => number | undefined;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*/;
const INDEX = /^\[(\d+)\]/;
const QUOTED_KEY = /^\[("(?:[^"\\]|\\.)*")\]/;

/**
 * The segments of a path as validate-config writes it (`chunks[2].env["A-B"]`). A key cut short
 * for the message (`…`) ends the path there: its prefix still locates the enclosing key.
 */
export function parseIssuePath(text: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let rest = text;
  while (rest.length > 0) {
    if (segments.length > 0 && rest.startsWith('.')) rest = rest.slice(1);
    const identifier = IDENTIFIER.exec(rest);
    const index = INDEX.exec(rest);
    const quoted = QUOTED_KEY.exec(rest);
    if (identifier) {
      segments.push(identifier[0]);
      rest = rest.slice(identifier[0].length);
    } else if (index) {
      segments.push(Number(index[1]));
      rest = rest.slice(index[0].length);
    } else if (quoted) {
      try {
        segments.push(JSON.parse(quoted[1]!) as string);
      } catch {
        break;
      }
      rest = rest.slice(quoted[0].length);
    } else {
      break;
    }
  }
  return segments;
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) line += 1;
  return line;
}

/** Lines in JSON text. Used only on text JSON.parse accepted and that nests shallowly. */
export function jsonLineLocator(text: string): LineLocator {
  const root: Node | undefined = parseTree(text, [], { allowTrailingComma: false, disallowComments: true });
  return (segments) => {
    if (root === undefined) return undefined;
    for (let length = segments.length; length > 0; length -= 1) {
      const node = findNodeAtLocation(root, segments.slice(0, length) as PathSegment[]);
      // A property's value node: its parent is the property, which starts at the key.
      if (node) return lineOfOffset(text, node.parent?.type === 'property' ? node.parent.offset : node.offset);
    }
    return undefined;
  };
}

/** Scanner state carried across TOML lines: inside a multi-line string, or inside brackets. */
interface TomlScanState {
  string: '"""' | "'''" | undefined;
  depth: number;
}

/** Advances `state` over one line of a value (strings, brackets, comments). */
function scanTomlValue(line: string, state: TomlScanState): void {
  let index = 0;
  while (index < line.length) {
    if (state.string !== undefined) {
      const close = line.indexOf(state.string, index);
      if (close === -1) return;
      index = close + 3;
      state.string = undefined;
      continue;
    }
    const character = line[index]!;
    if (character === '#') return;
    if (line.startsWith('"""', index) || line.startsWith("'''", index)) {
      state.string = line.slice(index, index + 3) as '"""' | "'''";
      index += 3;
    } else if (character === '"' || character === "'") {
      // A one-line string: skip to its closing quote (basic strings have escapes).
      index += 1;
      while (index < line.length && line[index] !== character) index += character === '"' && line[index] === '\\' ? 2 : 1;
      index += 1;
    } else {
      if (character === '[' || character === '{') state.depth += 1;
      else if (character === ']' || character === '}') state.depth = Math.max(0, state.depth - 1);
      index += 1;
    }
  }
}

/** Parses a dotted TOML key (`a."b.c".d`) from the start of `text`; returns its parts and the length read. */
function readTomlKey(text: string): { parts: string[]; length: number } | undefined {
  const parts: string[] = [];
  let index = 0;
  for (;;) {
    while (text[index] === ' ' || text[index] === '\t') index += 1;
    const rest = text.slice(index);
    const bare = /^[A-Za-z0-9_-]+/.exec(rest);
    const basic = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
    const literal = /^'([^']*)'/.exec(rest);
    if (bare) {
      parts.push(bare[0]);
      index += bare[0].length;
    } else if (basic) {
      try {
        parts.push(JSON.parse(`"${basic[1]!}"`) as string);
      } catch {
        parts.push(basic[1]!);
      }
      index += basic[0].length;
    } else if (literal) {
      parts.push(literal[1]!);
      index += literal[0].length;
    } else {
      return undefined;
    }
    while (text[index] === ' ' || text[index] === '\t') index += 1;
    if (text[index] !== '.') return { parts, length: index };
    index += 1;
  }
}

/**
 * Lines in TOML text (run only on text smol-toml parsed). Headers (`[a.b]`, `[[a.b]]`) and
 * `key = value` lines are recorded under their full path, array-of-tables elements by index;
 * values inside inline tables and arrays are found at their key's line. `root` is where the
 * config sits in the document (`["tool", "run-chunks"]` in pyproject.toml).
 */
export function tomlLineLocator(text: string, root: readonly string[] = []): LineLocator {
  const lines = new Map<string, number>();
  const arrayIndex = new Map<string, number>();
  const keyOf = (segments: readonly PathSegment[]): string => JSON.stringify(segments);
  // Inserts the current element index after every prefix that names an array of tables.
  const resolve = (parts: readonly string[]): PathSegment[] => {
    const resolved: PathSegment[] = [];
    for (const part of parts) {
      resolved.push(part);
      const index = arrayIndex.get(keyOf(resolved));
      if (index !== undefined) resolved.push(index);
    }
    return resolved;
  };
  let table: PathSegment[] = [];
  const state: TomlScanState = { string: undefined, depth: 0 };
  text.split(/\r?\n/).forEach((line, lineIndex) => {
    const lineNumber = lineIndex + 1;
    if (state.string !== undefined || state.depth > 0) {
      scanTomlValue(line, state);
      return;
    }
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (trimmed.startsWith('[[')) {
      const key = readTomlKey(trimmed.slice(2));
      if (!key) return;
      const parent = resolve(key.parts.slice(0, -1));
      const arrayPath = [...parent, key.parts.at(-1)!];
      const index = (arrayIndex.get(keyOf(arrayPath)) ?? -1) + 1;
      arrayIndex.set(keyOf(arrayPath), index);
      table = [...arrayPath, index];
      if (!lines.has(keyOf(arrayPath))) lines.set(keyOf(arrayPath), lineNumber);
      lines.set(keyOf(table), lineNumber);
      return;
    }
    if (trimmed.startsWith('[')) {
      const key = readTomlKey(trimmed.slice(1));
      if (!key) return;
      table = resolve(key.parts);
      lines.set(keyOf(table), lineNumber);
      return;
    }
    const key = readTomlKey(trimmed);
    if (!key || trimmed[key.length] !== '=') return;
    // A dotted key (`leak.warmup = 3`) also stands for the tables it opens, where nothing earlier did.
    for (let length = 1; length <= key.parts.length; length += 1) {
      const full = keyOf([...table, ...key.parts.slice(0, length)]);
      if (!lines.has(full)) lines.set(full, lineNumber);
    }
    scanTomlValue(trimmed.slice(key.length + 1), state);
  });
  return (segments) => {
    const full = [...root, ...segments];
    for (let length = full.length; length >= root.length && length > 0; length -= 1) {
      const line = lines.get(keyOf(full.slice(0, length)));
      if (line !== undefined) return line;
    }
    return undefined;
  };
}
