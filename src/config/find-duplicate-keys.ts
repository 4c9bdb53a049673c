import { visit, type JSONPath } from 'jsonc-parser';
import { keyPath } from './validate-config.js';

// JSON.parse keeps the last of two equal keys without a word, so `"workers": 8` followed later by
// `"workers": 1` silently runs one worker. A config with a key twice is refused instead.

/** A key found twice in one object: its JSON path and the 1-based lines of both. */
export interface DuplicateKey {
  path: string;
  firstLine: number;
  secondLine: number;
}

/** The JSON path of the object at `segments` ('' for the top level), written as the validator writes paths. */
function formatPath(segments: JSONPath): string {
  return segments.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : keyPath(text, segment)), '');
}

/** The first key that appears twice in one object of `text` (valid JSON), or undefined. */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  // One map per open object: key → the 0-based line it was first seen on.
  const open: Map<string, number>[] = [];
  let found: DuplicateKey | undefined;
  visit(
    text,
    {
      onObjectBegin: () => {
        open.push(new Map());
        return found === undefined;
      },
      onObjectEnd: () => void open.pop(),
      onObjectProperty: (property, _offset, _length, startLine, _startCharacter, pathSupplier) => {
        const keys = open.at(-1);
        if (keys === undefined || found !== undefined) return;
        const firstLine = keys.get(property);
        if (firstLine === undefined) keys.set(property, startLine);
        else found = { path: keyPath(formatPath(pathSupplier()), property), firstLine: firstLine + 1, secondLine: startLine + 1 };
      },
    },
    { disallowComments: true },
  );
  return found;
}
