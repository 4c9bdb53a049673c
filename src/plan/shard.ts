import { createHash } from 'node:crypto';

/** `--shard I/N`: this machine runs group `index` (1-based) of `count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** Parses "2/4"; undefined when the text is not I/N with 1 <= I <= N. */
export function parseShardSpec(text: string): ShardSpec | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return index >= 1 && count >= 1 && index <= count && count <= 1024 ? { index, count } : undefined;
}

// A stable tie-breaker that does not depend on collection order: the same test lands in the
// same shard on every machine, whatever order pytest listed them in.
function stableKey(nodeid: string): string {
  return createHash('sha1').update(nodeid).digest('hex');
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// Tests with no history at all count as this long, so they still spread out evenly.
const DEFAULT_TEST_DURATION_MS = 1_000;

/**
 * Splits a chunk's tests into `count` groups balanced by duration: longest first onto the least
 * loaded group (ties by a hash of the test id, so every machine computes the same split). Tests
 * with no history get the median duration of those that have one.
 */
export function partitionTests(nodeids: readonly string[], durationsMs: ReadonlyMap<string, number>, count: number): string[][] {
  const known = nodeids.flatMap((nodeid) => (durationsMs.has(nodeid) ? [durationsMs.get(nodeid)!] : []));
  const fallbackMs = median(known) ?? DEFAULT_TEST_DURATION_MS;
  const weighted = [...new Set(nodeids)]
    .map((nodeid) => ({ nodeid, durationMs: durationsMs.get(nodeid) ?? fallbackMs, key: stableKey(nodeid) }))
    .sort((a, b) => b.durationMs - a.durationMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const groups = Array.from({ length: count }, () => ({ loadMs: 0, tests: [] as string[] }));
  for (const test of weighted) {
    let lightest = groups[0]!;
    for (const group of groups) if (group.loadMs < lightest.loadMs) lightest = group;
    lightest.loadMs += test.durationMs;
    lightest.tests.push(test.nodeid);
  }
  return groups.map((group) => group.tests);
}
