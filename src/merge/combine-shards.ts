// `--shard I/N` spreads one chunk over N machines, so merging their report dirs meets the same
// chunk N times. Those entries are shards of one chunk, not a mistake: they become one chunk
// entry again, as if one machine had run the whole chunk, judged by its worst shard.
import type { MemorySummary } from '../monitor/summarize-memory.js';
import { compareSeverity } from '../results/outcome.js';
import type { TestCounts } from '../results/parse-junit.js';
import type { ChunkReport } from '../results/report-types.js';
import { TOP_MEMORY_TESTS } from '../results/test-records.js';

/** Whether these entries of one chunk name are distinct shards of one --shard I/N split. */
export function areShardsOfOneChunk(entries: readonly ChunkReport[]): boolean {
  const count = entries[0]?.shard?.count;
  const indexes = new Set(entries.map((entry) => entry.shard?.index));
  return count !== undefined && entries.every((entry) => entry.shard?.count === count) && indexes.size === entries.length;
}

function sumCounts(counts: readonly (TestCounts | null)[]): TestCounts | null {
  const present = counts.filter((count): count is TestCounts => count !== null);
  if (present.length === 0) return null;
  return present.reduce((sum, count) => ({
    total: sum.total + count.total,
    passed: sum.passed + count.passed,
    failed: sum.failed + count.failed,
    skipped: sum.skipped + count.skipped,
    errors: sum.errors + count.errors,
    xfailed: sum.xfailed + count.xfailed,
    xpassed: sum.xpassed + count.xpassed,
  }));
}

function sumOrNull(values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : present.reduce((sum, value) => sum + value, 0);
}

function label(shard: ChunkReport): string {
  return `shard ${shard.shard!.index}/${shard.shard!.count}`;
}

const VERDICT_SEVERITY: readonly MemorySummary['verdict'][] = ['unknown', 'stable', 'warning', 'leak'];

function peakOf(chunk: ChunkReport): number {
  return chunk.memory === null ? -1 : (chunk.memory.peakPssBytes ?? chunk.memory.peakRssBytes);
}

/** The highest shard's memory, with the worst shard's leak verdict (so --fail-on-leak still sees a leak). */
function combineMemory(shards: readonly ChunkReport[]): ChunkReport['memory'] {
  const measured = shards.filter((shard) => shard.memory !== null);
  if (measured.length === 0) return null;
  const highest = measured.reduce((top, shard) => (peakOf(shard) > peakOf(top) ? shard : top));
  const worst = measured.reduce((top, shard) => (VERDICT_SEVERITY.indexOf(shard.memory!.verdict) > VERDICT_SEVERITY.indexOf(top.memory!.verdict) ? shard : top));
  if (worst.memory!.verdict === highest.memory!.verdict) return highest.memory;
  return { ...highest.memory!, verdict: worst.memory!.verdict, verdictReason: `${label(worst)}: ${worst.memory!.verdictReason}` };
}

/** The shard that decides the chunk's status: the worst of those that ran tests (an empty shard passes). */
function decidingShard(shards: readonly ChunkReport[]): ChunkReport {
  const ran = shards.filter((shard) => shard.status !== 'no-tests' && shard.status !== 'skipped');
  const pool = ran.length > 0 ? ran : shards;
  return pool.reduce((worst, shard) => (compareSeverity(shard.status, worst.status) > 0 ? shard : worst));
}

/**
 * One chunk entry from the entries of its shards (see areShardsOfOneChunk): status, message,
 * exit code and signal of the worst shard; test counts, notRun and oomKillDelta summed; blamed
 * tests, attempts and warnings of every shard; the top memory tests of all shards; the highest
 * memory and GPU peaks; startedAt the earliest and durationMs the longest shard's (they ran side by
 * side). `shard` becomes null and `mergedShards` lists each shard's own figures; a shard missing
 * from the split is named in `warnings`, and makes a chunk that would pass an 'error'.
 */
export function combineShards(entries: readonly ChunkReport[]): ChunkReport {
  const shards = [...entries].sort((a, b) => a.shard!.index - b.shard!.index);
  const first = shards[0]!;
  if (shards.length === 1 && first.shard!.count === 1) return first;
  const deciding = decidingShard(shards);
  const count = first.shard!.count;
  const missing = Array.from({ length: count }, (_, index) => index + 1).filter((index) => !shards.some((shard) => shard.shard!.index === index));
  const starts = shards.flatMap((shard) => (shard.startedAt === null ? [] : [shard.startedAt])).sort();
  const gpus = shards.flatMap((shard) => (shard.gpu === null ? [] : [shard.gpu]));
  // A shard that no dir holds ran (or did not run) tests nobody saw: the chunk cannot be green.
  const incomplete = missing.length > 0 && compareSeverity(deciding.status, 'error') < 0;
  return {
    ...first,
    status: incomplete ? 'error' : deciding.status,
    message: incomplete
      ? `only ${shards.length} of ${count} shards were merged: shard ${missing.join(', ')} has no report (${label(deciding)}: ${deciding.message})`
      : `${label(deciding)}: ${deciding.message} (${shards.length} of ${count} shards merged)`,
    exitCode: deciding.exitCode,
    signal: deciding.signal,
    pid: deciding.pid,
    workers: Math.max(...shards.map((shard) => shard.workers)),
    startedAt: starts[0] ?? null,
    durationMs: Math.max(...shards.map((shard) => shard.durationMs)),
    logFile: deciding.logFile,
    junitFile: deciding.junitFile,
    tests: sumCounts(shards.map((shard) => shard.tests)),
    testsSource: shards.find((shard) => shard.testsSource !== null)?.testsSource ?? null,
    notRun: sumOrNull(shards.map((shard) => shard.notRun)),
    blamedTests: shards.flatMap((shard) => shard.blamedTests),
    topRetainedTests: shards
      .flatMap((shard) => shard.topRetainedTests)
      .sort((a, b) => b.rssDeltaBytes - a.rssDeltaBytes)
      .slice(0, TOP_MEMORY_TESTS),
    topPeakTests: shards
      .flatMap((shard) => shard.topPeakTests)
      .sort((a, b) => b.peakRssBytes - a.peakRssBytes)
      .slice(0, TOP_MEMORY_TESTS),
    attempts: shards.flatMap((shard) => shard.attempts),
    shard: null,
    oomKillDelta: sumOrNull(shards.map((shard) => shard.oomKillDelta)),
    evidence: shards.find((shard) => shard.evidence !== null)?.evidence ?? null,
    isolation: shards.find((shard) => shard.isolation !== null)?.isolation ?? null,
    isolationDecision: shards.find((shard) => shard.isolationDecision)?.isolationDecision ?? null,
    memory: combineMemory(shards),
    gpu: gpus.length === 0 ? null : gpus.reduce((top, gpu) => (gpu.peakBytes > top.peakBytes ? gpu : top)),
    mergedShards: shards.map((shard) => ({
      index: shard.shard!.index,
      count: shard.shard!.count,
      status: shard.status,
      message: shard.message,
      startedAt: shard.startedAt,
      durationMs: shard.durationMs,
      peakRssBytes: shard.memory?.peakRssBytes ?? null,
      logFile: shard.logFile,
    })),
    warnings: [
      ...(missing.length > 0 ? [`Only ${shards.length} of ${count} shards were merged: the tests of shard ${missing.join(', ')} are missing.`] : []),
      ...shards.flatMap((shard) => shard.warnings.map((warning) => `${label(shard)}: ${warning}`)),
    ],
  };
}
