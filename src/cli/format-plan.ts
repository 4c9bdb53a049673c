import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import type { CoverageReport } from '../plan/coverage.js';

/** One chunk as `run-chunks plan` shows it. */
export interface PlannedChunk {
  name: string;
  tests: number;
  workers: number;
  rest: boolean;
  forecastDurationMs: number | null;
  forecastPeakBytes: number | null;
}

/** How the plan's tests were collected: one pass of the whole suite, plus one per chunk it could not judge. */
export interface PlanCollection {
  durationMs: number;
  pytestRuns: number;
  /** Chunks collected on their own, and why. */
  separate: { name: string; reason: string }[];
}

/** What `run-chunks plan --json` prints. */
export interface PlanOutput extends CoverageReport {
  collected: number;
  collection: PlanCollection;
  chunks: PlannedChunk[];
  /** True when --strict and something is wrong (exit 1). */
  failed: boolean;
}

// Long lists are cut here in the text output; --json has them whole.
const SHOWN_ITEMS = 20;

function listed<T>(title: string, items: readonly T[], describe: (item: T) => string): string[] {
  if (items.length === 0) return [];
  const more = items.length > SHOWN_ITEMS ? [`  …and ${items.length - SHOWN_ITEMS} more (see --json)`] : [];
  return ['', `${title} (${items.length}):`, ...items.slice(0, SHOWN_ITEMS).map((item) => `  ${describe(item)}`), ...more];
}

/** The plan as text: per chunk, then orphans, overlaps and unknown markers. */
export function formatPlan(output: PlanOutput): string {
  const width = Math.max(...output.chunks.map((chunk) => chunk.name.length));
  const runs = output.collection.pytestRuns;
  const how = runs === 1 ? 'one pytest --collect-only' : `${runs} pytest --collect-only runs (${output.collection.separate.map((chunk) => chunk.name).join(', ')} on their own)`;
  const lines = [`${output.collected} tests collected in the suite in ${formatDurationMs(output.collection.durationMs)} (${how}); per chunk:`];
  for (const chunk of output.chunks) {
    const facts = [`${String(chunk.tests).padStart(6)} tests`, `${chunk.workers} worker${chunk.workers === 1 ? '' : 's'}`];
    if (chunk.forecastDurationMs !== null) facts.push(`~${formatDurationMs(chunk.forecastDurationMs)}`);
    if (chunk.forecastPeakBytes !== null) facts.push(`peak ~${formatBytes(chunk.forecastPeakBytes)}`);
    if (chunk.rest) facts.push('takes the rest');
    lines.push(`  ${chunk.name.padEnd(width)}  ${facts.join(', ')}`);
  }
  lines.push(...listed('Orphans: tests no chunk selects (they never run)', output.orphans, (nodeid) => nodeid));
  lines.push(...listed('Overlaps: tests several chunks select (they run more than once)', output.overlaps, (o) => `${o.nodeid}  (${o.chunks.join(', ')})`));
  lines.push(
    ...listed('Unknown markers: pytest does not know these (a typo selects nothing)', output.unknownMarkers, (u) => `"${u.marker}" in chunk ${u.chunk}`),
  );
  const clean = output.orphans.length === 0 && output.overlaps.length === 0 && output.unknownMarkers.length === 0;
  lines.push('', clean ? 'Every test runs exactly once.' : output.failed ? 'Plan check failed (--strict).' : 'Run with --strict to make these an error.');
  return `${lines.join('\n')}\n`;
}
