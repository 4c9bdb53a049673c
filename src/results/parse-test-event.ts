import type { TestCrash, TestEvent, TestOutcome } from './test-events.js';

// The events file is written by another program (the pytest plugin) and read while it grows, so
// every line is checked field by field: a torn, foreign or older-format line is dropped, never
// half-trusted.

type Json = Record<string, unknown>;
type FieldCheck = (value: unknown) => boolean;

const TEST_OUTCOMES: readonly TestOutcome[] = ['passed', 'failed', 'skipped', 'error', 'xfailed', 'xpassed'];

// Seconds become milliseconds downstream (test durations, marks on the memory timeline): a value
// must stay an exact whole number of ms there, or `1e306` would turn into Infinity.
const MAX_SECONDS = Number.MAX_SAFE_INTEGER / 1000;

// Whole numbers past 2^53 are not exact in a double: no pid, count or byte figure is that big.
const isWhole = (value: unknown): value is number => Number.isSafeInteger(value);
const isSeconds: FieldCheck = (value) => typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_SECONDS;
const isCount: FieldCheck = (value) => isWhole(value) && value >= 0;
const isString: FieldCheck = (value) => typeof value === 'string';
const isBytesOrNull: FieldCheck = (value) => value === null || isCount(value);
const isStringOrNull: FieldCheck = (value) => value === null || isString(value);
const isLineOrNull: FieldCheck = (value) => value === null || (isWhole(value) && value >= 1);
const isJsonObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
// A crash's path and line may be left out (unknown), like any nullable field.
const isCrashOrNull: FieldCheck = (value) =>
  value === null ||
  (isJsonObject(value) && isString(value.message) && isStringOrNull(value.path ?? null) && isLineOrNull(value.line ?? null));
const isOutcome: FieldCheck = (value) => TEST_OUTCOMES.includes(value as TestOutcome);

const BASE_FIELDS: Record<string, FieldCheck> = {
  pid: (value) => isWhole(value) && value > 0,
  worker: isStringOrNull,
  t: isSeconds,
};

// Fields of each event besides the base ones. Typed against TestEvent so that a new event in
// test-events.ts without an entry here is a compile error.
const EVENT_FIELDS: Record<TestEvent['event'], Record<string, FieldCheck>> = {
  'session-start': { rss: isBytesOrNull },
  collected: { count: isCount },
  'test-start': { nodeid: isString, rss: isBytesOrNull, gpu: isBytesOrNull },
  'test-end': {
    nodeid: isString,
    outcome: isOutcome,
    duration: (value) => isSeconds(value) && (value as number) >= 0,
    rss: isBytesOrNull,
    gpu: isBytesOrNull,
    message: isStringOrNull,
    longrepr: isStringOrNull,
    crash: isCrashOrNull,
    file: isStringOrNull,
    line: isLineOrNull,
    peak: isBytesOrNull,
    peakMethod: (value) => value === null || value === 'hwm',
    childPeak: isBytesOrNull,
    gpuPeak: isBytesOrNull,
    groupPeak: isBytesOrNull,
    groupStart: isBytesOrNull,
    sharedSetup: (value) => typeof value === 'boolean',
    newModules: isCount,
  },
  'worker-crashed': { crashedWorker: isString, nodeid: isStringOrNull, message: isString, exitCode: (value) => value === null || isWhole(value), signal: isStringOrNull },
  'collect-report': { nodeid: isString, outcome: (value) => value === 'failed' || value === 'skipped', longrepr: isString },
  'session-finish': { exitstatus: isWhole, peak: isBytesOrNull, groupUnavailable: isStringOrNull },
};

/** A checked crash's declared fields only, a missing path or line as null. */
function pickCrash(value: Json): TestCrash {
  return { path: (value.path as string | undefined) ?? null, line: (value.line as number | undefined) ?? null, message: value.message as string };
}

// Fields whose checked value is an object: only its declared fields travel on, as for events.
const PICKERS: ReadonlyMap<string, (value: Json) => unknown> = new Map([['crash', pickCrash]]);

function isEventName(value: unknown): value is TestEvent['event'] {
  return typeof value === 'string' && Object.hasOwn(EVENT_FIELDS, value);
}

// Every event's full list of checks, built once: a chunk of 10,000 tests reads 20,000 events,
// and building them per line was most of the garbage run-chunks made while tailing.
const CHECKS_BY_EVENT = Object.fromEntries(
  Object.entries(EVENT_FIELDS).map(([name, fields]) => [name, Object.entries({ ...BASE_FIELDS, ...fields })]),
) as Record<TestEvent['event'], [string, FieldCheck][]>;

// The plugin leaves out a field whose value is null (a passing test has no message, most have no
// GPU figures): that saves a third of each line's encoding in the test process. A field that
// may be null may therefore be missing, and reads as null; every other field must be there.
const NULLABLE_BY_EVENT = Object.fromEntries(
  Object.entries(CHECKS_BY_EVENT).map(([name, checks]) => [name, new Set(checks.filter(([, check]) => check(null)).map(([field]) => field))]),
) as unknown as Record<TestEvent['event'], ReadonlySet<string>>;

/** The record's declared fields, checked, with a missing nullable field as null; undefined if any is missing or mistyped. */
function pickFields(record: Json, event: TestEvent['event']): Json | undefined {
  const nullable = NULLABLE_BY_EVENT[event];
  // Only the declared fields, so nothing undeclared travels on into reports.
  const picked: Json = { event };
  for (const [name, check] of CHECKS_BY_EVENT[event]) {
    if (!Object.hasOwn(record, name)) {
      if (!nullable.has(name)) return undefined;
      picked[name] = null;
    } else if (check(record[name])) {
      const value = record[name];
      const pick = PICKERS.get(name);
      picked[name] = pick !== undefined && isJsonObject(value) ? pick(value) : value;
    }
    else return undefined;
  }
  return picked;
}

/**
 * Parses one line of the events file. Returns undefined for anything that is not exactly one of
 * the declared events (bad JSON, an unknown event, a mistyped field, or a missing one that may not
 * be null); never throws.
 * Fields beyond the declared ones are dropped (a newer plugin may add some).
 */
export function parseTestEvent(line: string): TestEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value)) return undefined;
  const record = value as Json;
  if (!isEventName(record.event)) return undefined;
  return pickFields(record, record.event) as unknown as TestEvent | undefined;
}

/**
 * Splits text read from the events file into events. The text after the last newline is not
 * yet a whole line (the plugin may be writing it): it comes back as `partial`, to be put in
 * front of the next read. Blank and malformed lines are skipped.
 */
export function parseTestEventLines(text: string): { events: TestEvent[]; partial: string } {
  const lines = text.split('\n');
  const partial = lines.pop() ?? '';
  const events: TestEvent[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const event = parseTestEvent(line);
    if (event) events.push(event);
  }
  return { events, partial };
}
