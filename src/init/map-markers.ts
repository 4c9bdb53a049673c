// From the markers a suite's tests carry to the chunks of a starter config: pure, so that every
// rule below has a table-driven test. See marker-categories.ts for the categories and synonyms.

import { BUILTIN_MARKERS, categoryOf, MARKER_CATEGORIES, type MarkerCategory, type WorkerRule } from './marker-categories.js';
import { matchesMarkerExpression } from './match-marker-expression.js';

/** A collected test and the names of the markers it carries (its own, its class's, its module's, its parameter's). */
export interface CollectedTest {
  nodeid: string;
  markers: readonly string[];
}

export interface MappingInput {
  tests: readonly CollectedTest[];
  /** Marker names pytest knows (`pytest --markers`): only these go into expressions, so `plan` finds no unknown marker. */
  registered: ReadonlySet<string>;
  cores: number;
  /** pytest-xdist is importable: without it every chunk gets one worker. */
  xdist: boolean;
}

/** One chunk of the starter config, with what init says about it. */
export interface DraftChunk {
  name: string;
  /** The -m expression; undefined for the rest chunk. */
  markers: string | undefined;
  rest: boolean;
  description: string;
  workers: number;
  /** Tests it selects now. */
  tests: number;
  /** Why it exists and has that many workers, in a sentence. */
  reason: string;
}

export interface MarkerMapping {
  chunks: DraftChunk[];
  /** Markers the tests carry (pytest's own left out), most used first. */
  markersInUse: { marker: string; tests: number }[];
  /** Tests with markers of two or more categories, and the one chunk that runs each. */
  multiCategory: { nodeid: string; markers: string[]; chunk: string }[];
  /** Markers the tests carry that pytest does not know: left out of every expression. */
  unregistered: { marker: string; tests: number; category: string | undefined }[];
  /** Registered markers in use that belong to no category: their tests go to rest unless another marker places them. */
  uncategorised: { marker: string; tests: number }[];
  /** Categories whose every test also carries a later category's marker, so they got no chunk. */
  absorbed: { chunk: string; markers: string[]; tests: number }[];
}

// Above this pytest-xdist has nothing to gain and run-chunks' config refuses the count.
const MAX_WORKERS = 512;
const REST_RULE: WorkerRule = 'half-cores';
const REST_WHY = 'nothing says what they need';

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** `a` or `(a or b)`: one term of an -m expression. */
function anyOf(markers: readonly string[]): string {
  return markers.length === 1 ? markers[0]! : `(${markers.join(' or ')})`;
}

/** The worker count for a rule, and how it came about, after "N workers". */
export function chooseWorkers(rule: WorkerRule, why: string, cores: number, xdist: boolean, tests: number): { workers: number; because: string } {
  const cores1 = Math.max(1, cores);
  const byRule = rule === 'all-cores' ? cores1 : rule === 'half-cores' ? Math.max(1, Math.floor(cores1 / 2)) : 1;
  const ruleText = rule === 'all-cores' ? `all ${plural(cores1, 'core')}` : rule === 'half-cores' ? `half of ${plural(cores1, 'core')}` : '';
  if (byRule > 1 && !xdist)
    return { workers: 1, because: `1 worker, since pytest-xdist is not installed for this Python (${byRule} = ${ruleText} otherwise, ${why})` };
  // More workers than tests only costs start-up; a chunk with none yet (rest) keeps the rule's count for those to come.
  const workers = Math.min(byRule, tests > 0 ? tests : byRule, MAX_WORKERS);
  if (rule === 'one') return { workers, because: `1 worker: ${why}` };
  if (workers < byRule) return { workers, because: `${plural(workers, 'worker')}, one per test (${ruleText} would be ${byRule}, ${why})` };
  return { workers, because: `${plural(workers, 'worker')} = ${ruleText}${why.startsWith('because') ? ', ' : ': '}${why}` };
}

function countMarkers(tests: readonly CollectedTest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const test of tests) for (const marker of new Set(test.markers)) if (!BUILTIN_MARKERS.has(marker)) counts.set(marker, (counts.get(marker) ?? 0) + 1);
  return counts;
}

/** The project's markers of a category, canonical synonym first, each spelling once. */
function ownMarkers(category: MarkerCategory, usable: readonly string[]): string[] {
  const index = (marker: string): number => category.synonyms.indexOf(marker.toLowerCase());
  return usable.filter((marker) => categoryOf(marker) === category).sort((a, b) => index(a) - index(b) || a.localeCompare(b));
}

/**
 * The chunks for a suite: one per category whose markers its tests carry, each leaving out the
 * markers of the chunks after it (so a test runs once, in the later chunk), and always a `rest`
 * chunk that takes every test no other chunk selects.
 */
export function mapMarkers(input: MappingInput): MarkerMapping {
  const counts = countMarkers(input.tests);
  const inUse = [...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([marker, tests]) => ({ marker, tests }));
  const usable = inUse.map((entry) => entry.marker).filter((marker) => input.registered.has(marker));
  const markerSets = input.tests.map((test) => new Set(test.markers));
  const kept: DraftChunk[] = [];
  const absorbed: MarkerMapping['absorbed'] = [];
  let later: string[] = [];
  // From the last category to the first: each one's exclusions are the markers of the chunks kept after it.
  for (const category of [...MARKER_CATEGORIES].reverse()) {
    const own = ownMarkers(category, usable);
    if (own.length === 0) continue;
    const markers = later.length === 0 ? anyOf(own) : `${anyOf(own)} and not ${anyOf(later)}`;
    const tests = markerSets.filter((set) => matchesMarkerExpression(markers, set)).length;
    const carrying = markerSets.filter((set) => own.some((marker) => set.has(marker))).length;
    if (tests === 0) {
      absorbed.push({ chunk: category.chunk, markers: own, tests: carrying });
      continue;
    }
    const { workers, because } = chooseWorkers(category.workers, category.workersWhy, input.cores, input.xdist, tests);
    const elsewhere = carrying - tests;
    const marked = `${plural(tests, 'test')} marked ${own.join(' or ')}`;
    kept.unshift({
      name: category.chunk,
      markers,
      rest: false,
      description: `Tests marked ${own.join(' or ')}: ${category.describe}`,
      workers,
      tests,
      reason: `${marked}${elsewhere === 0 ? '' : elsewhere === 1 ? ' (1 more carries a later chunk\'s marker too and runs there)' : ` (${elsewhere} more carry a later chunk's marker too and run there)`}; ${because}.`,
    });
    later = [...own, ...later];
  }
  const selects = (set: ReadonlySet<string>): DraftChunk[] => kept.filter((chunk) => matchesMarkerExpression(chunk.markers!, set));
  const owners = markerSets.map(selects);
  // The expressions are built to be disjoint; a test in two chunks is a bug here, not the user's.
  const twice = owners.findIndex((chunks) => chunks.length > 1);
  if (twice !== -1) throw new Error(`init's chunks overlap on ${input.tests[twice]!.nodeid}: ${owners[twice]!.map((chunk) => chunk.name).join(', ')}`);
  const restTests = owners.filter((chunks) => chunks.length === 0).length;
  const rest = chooseWorkers(REST_RULE, REST_WHY, input.cores, input.xdist, restTests);
  kept.push({
    name: 'rest',
    markers: undefined,
    rest: true,
    description: 'Every test no other chunk selects, so none is left out',
    workers: rest.workers,
    tests: restTests,
    reason: `${restTests === 0 ? 'No test is left for it now; it takes' : `${plural(restTests, 'test')} no other chunk selects (unmarked, or marked only with markers of no category), and`} any test added later without a category marker; ${rest.because}.`,
  });
  const multiCategory = input.tests.flatMap((test, index) => {
    const order = (marker: string): number => MARKER_CATEGORIES.indexOf(categoryOf(marker)!);
    const categorised = test.markers.filter((marker) => usable.includes(marker) && categoryOf(marker) !== undefined).sort((a, b) => order(a) - order(b));
    const categories = new Set(categorised.map((marker) => categoryOf(marker)!.chunk));
    return categories.size > 1 ? [{ nodeid: test.nodeid, markers: categorised, chunk: owners[index]![0]?.name ?? 'rest' }] : [];
  });
  return {
    chunks: kept,
    markersInUse: inUse,
    multiCategory,
    unregistered: inUse.filter((entry) => !input.registered.has(entry.marker)).map((entry) => ({ ...entry, category: categoryOf(entry.marker)?.chunk })),
    uncategorised: inUse.filter((entry) => input.registered.has(entry.marker) && categoryOf(entry.marker) === undefined),
    absorbed,
  };
}
