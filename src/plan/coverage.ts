// Which test lands where: pure analysis of what each chunk collected against the whole suite.

/** What `run-chunks plan` found. */
export interface CoverageReport {
  /** Tests that no chunk selects: they silently never run. */
  orphans: string[];
  /** Tests that several chunks select: they run more than once. */
  overlaps: { nodeid: string; chunks: string[] }[];
  /** Marker names in chunks' marker expressions that pytest does not know. */
  unknownMarkers: { chunk: string; marker: string }[];
}

const EXPRESSION_WORDS = new Set(['and', 'or', 'not', 'True', 'False', 'None']);

/** The marker names a pytest -m expression mentions ("unit and not (slow or gpu)" → unit, slow, gpu). */
export function markerNames(expression: string): string[] {
  // Keyword arguments of marker calls (`marker(name="x")`) are not markers: drop what is inside parentheses after a name.
  const withoutArguments = expression.replace(/\b(?!(?:and|or|not)\b)([A-Za-z_][A-Za-z0-9_]*)\([^()]*\)/g, "$1");
  const names = withoutArguments.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  return [...new Set(names.filter((name) => !EXPRESSION_WORDS.has(name)))];
}

/**
 * Compares each chunk's collected tests with the whole suite's: orphans, overlaps, and marker
 * names pytest does not know (a typo there selects nothing, silently).
 */
export function analyzeCoverage(
  universe: readonly string[],
  selections: ReadonlyMap<string, readonly string[]>,
  markerExpressions: ReadonlyMap<string, string>,
  knownMarkers: ReadonlySet<string>,
): CoverageReport {
  const owners = new Map<string, string[]>();
  for (const [chunk, tests] of selections) {
    for (const nodeid of new Set(tests)) {
      const list = owners.get(nodeid);
      if (list) list.push(chunk);
      else owners.set(nodeid, [chunk]);
    }
  }
  const orphans = universe.filter((nodeid) => !owners.has(nodeid));
  const overlaps = [...owners].filter(([, chunks]) => chunks.length > 1).map(([nodeid, chunks]) => ({ nodeid, chunks }));
  const unknownMarkers = [...markerExpressions].flatMap(([chunk, expression]) =>
    markerNames(expression)
      .filter((marker) => !knownMarkers.has(marker))
      .map((marker) => ({ chunk, marker })),
  );
  return { orphans, overlaps, unknownMarkers };
}

/** The tests a `rest: true` chunk runs: everything in the suite that no other chunk selects. */
export function restSelection(universe: readonly string[], others: Iterable<readonly string[]>): string[] {
  const taken = new Set<string>();
  for (const tests of others) for (const nodeid of tests) taken.add(nodeid);
  return universe.filter((nodeid) => !taken.has(nodeid));
}
