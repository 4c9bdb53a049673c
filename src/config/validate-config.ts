import {
  CHUNK_FIELDS,
  COMMAND_ONLY_FIELDS,
  JUNIT_PLACEHOLDER,
  LEAK_FIELDS,
  MAX_CHUNKS,
  MAX_SIZE_BYTES,
  PYTEST_ONLY_FIELDS,
  TOP_LEVEL_FIELDS,
  type FieldSpec,
} from './config-fields.js';
import { didYouMean } from './did-you-mean.js';
import { MAX_DURATION_MS, MAX_SAMPLE_INTERVAL_MS, MIN_SAMPLE_INTERVAL_MS, parseDurationMs, parseIntervalMs } from './parse-duration.js';
import { parseSizeBytes, parseSizeMagnitude, parseSizeSpec } from './parse-size.js';
import { quoteText } from './quote-text.js';
import type { RunChunksConfig } from './types.js';

/** One problem found in a config, located by its JSON path (e.g. `chunks[2].workers`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A key that reads as an identifier is shown as `.key` in a path; any other as `["key"]`, escaped.
const PLAIN_KEY_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
// The report dir keeps its own files (report.json, junit.xml, report.html, <chunk>.rest.json, <chunk>.rest.txt)
// beside the chunk folders: a chunk named like one of them would take or delete its place.
const REPORT_FILE_SUFFIX_PATTERN = /\.(?:json|jsonl|xml|html|txt|log)$/i;
// "-5s" and "-1GB" are not typos of a format but of a sign: say so rather than "not a duration".
const NEGATIVE_PATTERN = /^\s*-\s*\d/;
const TOP_LEVEL_KEYS = [...Object.keys(TOP_LEVEL_FIELDS), 'defaults', 'chunks'];
const CHUNK_KEYS = Object.keys(CHUNK_FIELDS);
const DEFAULT_KEYS = CHUNK_KEYS.filter((key) => key !== 'name');

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON path of `key` inside the object at `parent` ('' for the top level). */
export function keyPath(parent: string, key: string): string {
  if (!PLAIN_KEY_PATTERN.test(key)) return `${parent}[${quoteText(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${quoteText(value)}`;
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value} ${String(value)}`;
}

/** Checks one value against its spec; returns a message, or undefined when it is valid. */
function checkField(spec: FieldSpec, value: unknown): string | undefined {
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string') return `must be a string, got ${describeValue(value)}.`;
      if (value.length === 0) return 'must not be empty.';
      if (spec.maxLength !== undefined && value.length > spec.maxLength)
        return `must be at most ${spec.maxLength} characters long, got ${value.length}.`;
      if (spec.pattern && !spec.pattern.test(value)) return `${describeValue(value)} is not allowed: ${spec.patternHint}.`;
      return undefined;
    case 'string-array': {
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
        return `must be an array of strings, got ${describeValue(value)}. Write it like ["a", "b"].`;
      if (spec.minItems !== undefined && value.length < spec.minItems)
        return 'must not be empty: give the program and its arguments, e.g. ["make", "test"].';
      if (value.some((item) => item === '')) return 'must not contain empty strings.';
      return undefined;
    }
    case 'integer':
      if (spec.allowAuto && value === 'auto') return undefined;
      if (typeof value !== 'number' || !Number.isInteger(value))
        return `must be a whole number from ${spec.min} to ${spec.max}, got ${describeValue(value)}.`;
      if (value < spec.min || value > spec.max) return `must be from ${spec.min} to ${spec.max}, got ${value}.`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false, got ${describeValue(value)}.`;
    case 'enum':
      if (typeof value === 'string' && spec.values.includes(value)) return undefined;
      return `must be one of ${spec.values.map((v) => `"${v}"`).join(', ')}, got ${describeValue(value)}.${
        typeof value === 'string' ? didYouMean(value, spec.values) : ''
      }`;
    case 'duration': {
      const hint = 'Write a duration such as "90s", "30m" or "1h30m".';
      if (typeof value !== 'string') return `must be a duration string, got ${describeValue(value)}. ${hint}`;
      if (NEGATIVE_PATTERN.test(value)) return `must be longer than zero, got ${quoteText(value)}. ${hint}`;
      const durationMs = parseDurationMs(value);
      if (durationMs === undefined) return `${describeValue(value)} is not a duration. ${hint}`;
      if (durationMs <= 0) return `must be longer than zero, got ${quoteText(value)}. ${hint}`;
      if (durationMs > MAX_DURATION_MS) return `${quoteText(value)} is longer than the 7-day maximum.`;
      return undefined;
    }
    case 'size':
      return checkSize(value, spec.allowPercent);
    case 'interval': {
      const hint = `Write a duration such as "500ms" or "0.2s", or a number of milliseconds, from ${MIN_SAMPLE_INTERVAL_MS}ms to 60s.`;
      if (typeof value !== 'string' && typeof value !== 'number') return `must be a duration or a number of milliseconds, got ${describeValue(value)}. ${hint}`;
      const intervalMs = parseIntervalMs(value);
      if (intervalMs === undefined) return `${describeValue(value)} is not a duration. ${hint}`;
      if (intervalMs < MIN_SAMPLE_INTERVAL_MS || intervalMs > MAX_SAMPLE_INTERVAL_MS)
        return `${typeof value === 'string' ? quoteText(value) : String(value)} is out of range. ${hint}`;
      return undefined;
    }
    case 'leak':
      return checkLeak(value);
    case 'env': {
      if (!isObject(value)) return `must be an object of NAME: "value" pairs, got ${describeValue(value)}.`;
      for (const [name, envValue] of Object.entries(value)) {
        if (!ENV_NAME_PATTERN.test(name))
          return `has the invalid variable name ${quoteText(name)}: use letters, digits and "_", not starting with a digit.`;
        if (typeof envValue !== 'string')
          return `variable ${name} must be a string, got ${describeValue(envValue)}. Quote numbers and booleans, e.g. "1".`;
      }
      return undefined;
    }
  }
}

const SIZE_HINT = 'Write a size such as "512MiB", "4GB" or "1.5GiB"';

function checkSize(value: unknown, allowPercent: boolean): string | undefined {
  const hint = allowPercent ? `${SIZE_HINT}, or a percentage such as "60%".` : `${SIZE_HINT}.`;
  if (typeof value !== 'string') return `must be a size string, got ${describeValue(value)}. ${hint}`;
  if (allowPercent && /^\s*-?\d+(?:\.\d+)?\s*%\s*$/.test(value) && !(parseFloat(value) > 0 && parseFloat(value) <= 100))
    return `must be a percentage above 0% and at most 100%, got ${quoteText(value)}.`;
  if (NEGATIVE_PATTERN.test(value)) return `must be larger than zero, got ${quoteText(value)}. ${hint}`;
  const spec = parseSizeSpec(value);
  if (spec === undefined && parseSizeMagnitude(value) !== undefined) return `${quoteText(value)} is larger than the 1 PiB maximum.`;
  if (spec === undefined || (spec.kind === 'percent' && !allowPercent)) {
    const bare = /^\s*\d+(?:\.\d+)?\s*$/.test(value) ? ' A bare number is ambiguous: add a unit.' : '';
    return `${describeValue(value)} is not a size.${bare} ${hint}`;
  }
  if (spec.kind === 'percent') return undefined;
  if (spec.bytes <= 0) return `must be larger than zero, got ${quoteText(value)}. ${hint}`;
  if (spec.bytes > MAX_SIZE_BYTES) return `${quoteText(value)} is larger than the 1 PiB maximum.`;
  return undefined;
}

function checkLeak(value: unknown): string | undefined {
  const example = 'Write it like {"maxGrowthPercent": 10, "maxSlope": "1MB/s", "warmup": "5s"}.';
  if (!isObject(value)) return `must be an object, got ${describeValue(value)}. ${example}`;
  const known = Object.keys(LEAK_FIELDS);
  for (const key of Object.keys(value)) if (!known.includes(key)) return `has the unknown field ${quoteText(key)}.${didYouMean(key, known)} Known fields: ${known.join(', ')}.`;
  const { maxGrowthPercent, maxSlope, warmup } = value;
  if (maxGrowthPercent !== undefined && (typeof maxGrowthPercent !== 'number' || !(maxGrowthPercent > 0) || maxGrowthPercent > 10_000))
    return `maxGrowthPercent must be a number above 0 (a percentage, e.g. 10), got ${describeValue(maxGrowthPercent)}.`;
  if (maxSlope !== undefined) {
    const perSecond = typeof maxSlope === 'string' ? /^(.*)\/s$/.exec(maxSlope.trim())?.[1] : undefined;
    const bytes = perSecond === undefined ? undefined : parseSizeBytes(perSecond);
    if (bytes === undefined || bytes <= 0) return `maxSlope must be a rate such as "1MB/s" or "512KiB/s", got ${describeValue(maxSlope)}.`;
  }
  if (warmup !== undefined) {
    const warmupMs = typeof warmup === 'string' ? parseDurationMs(warmup) : undefined;
    if (warmupMs === undefined || warmupMs > MAX_DURATION_MS) return `warmup must be a duration such as "5s" or "1m", got ${describeValue(warmup)}.`;
  }
  return undefined;
}

function checkKnownKeys(object: JsonObject, known: readonly string[], path: string, issues: ConfigIssue[]): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      issues.push({
        path: keyPath(path, key),
        message: `is not a known field.${didYouMean(key, known)} Known fields: ${known.join(', ')}.`,
      });
    }
  }
}

function checkFields(object: JsonObject, specs: Record<string, FieldSpec>, path: string, issues: ConfigIssue[]): void {
  for (const [key, value] of Object.entries(object)) {
    const spec = specs[key];
    if (!spec) continue;
    const message = checkField(spec, value);
    if (message) issues.push({ path: keyPath(path, key), message });
  }
}

function checkRunnerFields(object: JsonObject, runner: string, path: string, issues: ConfigIssue[]): void {
  const misplaced = runner === 'command' ? PYTEST_ONLY_FIELDS : COMMAND_ONLY_FIELDS;
  for (const key of misplaced) {
    if (key in object) {
      issues.push({
        path: `${path}.${key}`,
        message:
          runner === 'command'
            ? `is a pytest option, but "runner" is "command". Put it in the chunk's "command" argv instead.`
            : `only applies when "runner" is "command" (the runner is "pytest"). Set "runner": "command" at the top level, or remove it.`,
      });
    }
  }
}

/**
 * "{junit}" in the command and a "junit" path both say where the JUnit file is: two answers to one
 * question, so one of them would be silently wrong. Each side may come from the chunk or the defaults.
 */
function checkJunitPlaceholder(chunk: JsonObject, defaults: JsonObject, path: string, issues: ConfigIssue[]): void {
  const command = 'command' in chunk ? chunk.command : defaults.command;
  const usesPlaceholder = Array.isArray(command) && command.some((part) => typeof part === 'string' && part.includes(JUNIT_PLACEHOLDER));
  if (!usesPlaceholder) return;
  const junitFrom = 'junit' in chunk ? `${path}.junit` : 'junit' in defaults ? 'defaults.junit' : undefined;
  if (junitFrom === undefined) return;
  issues.push({
    path: `${path}.junit`,
    message:
      `is set (${junitFrom}) while the chunk's "command" has "${JUNIT_PLACEHOLDER}": both say where the JUnit file goes. ` +
      `Keep "${JUNIT_PLACEHOLDER}" (run-chunks replaces it with <report-dir>/<chunk>/junit.xml) and remove "junit", or write the path in the command and keep "junit".`,
  });
}

/** The rules on a chunk's name beyond its characters: unique (ignoring case), not named like a report file. */
function checkChunkName(name: string, index: number, chunks: readonly unknown[], seenNames: Map<string, number>, issues: ConfigIssue[]): void {
  const path = `chunks[${index}].name`;
  if (REPORT_FILE_SUFFIX_PATTERN.test(name) && CHUNK_FIELDS.name.pattern.test(name))
    issues.push({
      path,
      message: `${quoteText(name)} ends like a file the report dir keeps beside the chunk folders (.json, .jsonl, .xml, .html, .txt, .log). Choose a name without that ending.`,
    });
  const earlier = seenNames.get(name.toLowerCase());
  if (earlier === undefined) {
    seenNames.set(name.toLowerCase(), index);
    return;
  }
  const earlierName = (chunks[earlier] as JsonObject).name as string;
  issues.push({
    path,
    message:
      earlierName === name
        ? `${quoteText(name)} is already the name of chunks[${earlier}]. Chunk names must be unique.`
        : `${quoteText(name)} differs from chunks[${earlier}]'s ${quoteText(earlierName)} only in case, and the two would share a report folder on macOS and Windows. Chunk names must be unique, ignoring case.`,
  });
}

function validateChunks(value: unknown, config: JsonObject, issues: ConfigIssue[]): void {
  if (!Array.isArray(value)) {
    issues.push({ path: 'chunks', message: `must be an array of chunk objects, got ${describeValue(value)}.` });
    return;
  }
  if (value.length === 0) {
    issues.push({ path: 'chunks', message: 'is empty. Add at least one chunk, e.g. {"name": "unit", "markers": "not slow"}.' });
    return;
  }
  if (value.length > MAX_CHUNKS) {
    issues.push({
      path: 'chunks',
      message: `has ${value.length} chunks; at most ${MAX_CHUNKS} are allowed. Each chunk is a pytest run of its own: group tests into fewer chunks (by markers or paths).`,
    });
    return;
  }
  const runner = config.runner === 'command' ? 'command' : 'pytest';
  const defaults = isObject(config.defaults) ? config.defaults : {};
  // Keyed by the lower-cased name: on macOS and Windows "Unit" and "unit" are the same folder.
  const seenNames = new Map<string, number>();
  let restChunk: number | undefined;
  value.forEach((chunk, index) => {
    const path = `chunks[${index}]`;
    if (!isObject(chunk)) {
      issues.push({ path, message: `must be an object with at least a "name", got ${describeValue(chunk)}.` });
      return;
    }
    checkKnownKeys(chunk, CHUNK_KEYS, path, issues);
    if (!('name' in chunk)) issues.push({ path: `${path}.name`, message: 'is missing. Every chunk needs a unique "name".' });
    checkFields(chunk, CHUNK_FIELDS, path, issues);
    checkRunnerFields(chunk, runner, path, issues);
    if (typeof chunk.name === 'string') checkChunkName(chunk.name, index, value, seenNames, issues);
    if (chunk.rest === true) {
      const earlier = restChunk;
      if (earlier !== undefined)
        issues.push({ path: `${path}.rest`, message: `only one chunk may take the rest, and chunks[${earlier}] already does. Remove "rest" from one of them.` });
      else restChunk = index;
    }
    if (runner === 'command' && !('command' in chunk) && !('command' in defaults))
      issues.push({ path: `${path}.command`, message: 'is missing: with "runner": "command" every chunk needs a "command" argv array (or one in "defaults").' });
    if (runner === 'command') checkJunitPlaceholder(chunk, defaults, path, issues);
  });
}

/** Validates parsed JSON as a run-chunks config; returns every issue found (empty when valid). */
export function validateConfig(raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!isObject(raw)) {
    return [{ path: '(root)', message: `must be a JSON object with a "chunks" array, got ${describeValue(raw)}.` }];
  }
  checkKnownKeys(raw, TOP_LEVEL_KEYS, '', issues);
  checkFields(raw, TOP_LEVEL_FIELDS, '', issues);
  if ('defaults' in raw) {
    if (!isObject(raw.defaults)) {
      issues.push({ path: 'defaults', message: `must be an object of chunk fields, got ${describeValue(raw.defaults)}.` });
    } else {
      if ('name' in raw.defaults) issues.push({ path: 'defaults.name', message: 'cannot be a default: every chunk needs its own name.' });
      if ('rest' in raw.defaults) issues.push({ path: 'defaults.rest', message: 'cannot be a default: only one chunk may take the rest.' });
      checkKnownKeys(raw.defaults, [...DEFAULT_KEYS, 'name'], 'defaults', issues);
      checkFields(raw.defaults, CHUNK_FIELDS, 'defaults', issues);
      checkRunnerFields(raw.defaults, raw.runner === 'command' ? 'command' : 'pytest', 'defaults', issues);
    }
  }
  if (!('chunks' in raw)) issues.push({ path: 'chunks', message: 'is missing. Add a "chunks" array with at least one chunk.' });
  else validateChunks(raw.chunks, raw, issues);
  return issues;
}

/** Narrows validated JSON to the config type (call only when validateConfig returned no issues). */
export function asValidConfig(raw: unknown): RunChunksConfig {
  return raw as RunChunksConfig;
}
