import { formatDurationMs } from '../config/parse-duration.js';
import { formatBytes } from '../config/parse-size.js';
import type { ChunkStatus, RunStatus } from '../results/outcome.js';
import type { ChunkReport, RunReport } from '../results/report-types.js';
import type { TopPeakTest } from '../results/test-records.js';
import { escapeMarkdown, markdownCode } from './markdown-text.js';
import { describeGpuPeak, describePeak, formatCount, NOTABLE_TEST_GROWTH_BYTES, occasionalCounts } from '../reporters/chunk-figures.js';
import { describeVerdict as describeRecoveryVerdict } from '../results/verdict-text.js';

/** Statuses meaning run-chunks or the kernel stopped the chunk (or a worker died) mid-run. */
export const KILLED_STATUSES: readonly ChunkStatus[] = ['timeout', 'killed', 'oom', 'memory-limit', 'gpu-memory-limit', 'crashed'];

const CHUNK_STATUS_EMOJI: Record<ChunkStatus, string> = {
  passed: '✅',
  skipped: '⏭️',
  'no-tests': '⚪',
  failed: '❌',
  error: '💥',
  crashed: '💥',
  timeout: '⏱️',
  'memory-limit': '☠️',
  'gpu-memory-limit': '☠️',
  killed: '☠️',
  oom: '☠️',
  interrupted: '⏹️',
};

const RUN_STATUS_EMOJI: Record<RunStatus, string> = { passed: '✅', failed: '❌', error: '💥', interrupted: '⏹️' };

const VERDICT_EMOJI = { stable: '🟢', warning: '🟡', leak: '🔴', unknown: '⚪' } as const;

// The summary is read on a web page (and GitHub refuses one over 1 MiB): the full lists are in report.json.
const MAX_BLAMED_PER_CHUNK = 20;
const TOP_MEMORY_TESTS_PER_CHUNK = 3;

function describeVerdict(chunk: ChunkReport): string {
  const verdict = chunk.memory?.verdict;
  return verdict === undefined ? '–' : `${VERDICT_EMOJI[verdict]} ${verdict}`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function heading(report: RunReport): string {
  const tally = new Map<string, number>();
  for (const chunk of report.chunks) tally.set(chunk.status, (tally.get(chunk.status) ?? 0) + 1);
  const statuses = [...tally].map(([status, n]) => `${n} ${status}`).join(', ');
  const plural = report.chunks.length === 1 ? 'chunk' : 'chunks';
  const lines = [
    `## ${RUN_STATUS_EMOJI[report.status]} run-chunks: ${report.status}`,
    '',
    `${report.chunks.length} ${plural} in ${formatDurationMs(report.durationMs)} (exit code ${report.exitCode}): ${statuses}.`,
  ];
  if (report.interruptedBy !== null) lines.push('', `Interrupted by ${escapeMarkdown(report.interruptedBy)}: the report holds what finished.`);
  return lines.join('\n');
}

function chunkTable(report: RunReport): string {
  const showGpu = report.chunks.some((chunk) => chunk.gpu !== null);
  const showNotRun = report.chunks.some((chunk) => (chunk.notRun ?? 0) > 0);
  const occasional = occasionalCounts(report.chunks);
  const head = ['Chunk', 'Status', 'Passed', 'Failed', 'Skipped', ...occasional.map(({ title }) => title), 'Errors', ...(showNotRun ? ['Not run'] : []), 'Duration', 'Peak memory / limit', 'Leak'];
  const align = [':--', ':--', '--:', '--:', '--:', ...occasional.map(() => '--:'), '--:', ...(showNotRun ? ['--:'] : []), '--:', '--:', ':--'];
  if (showGpu) {
    head.push('Peak GPU / limit');
    align.push('--:');
  }
  const lines = [row(head), row(align)];
  for (const chunk of report.chunks) {
    const cells = [
      chunk.required ? escapeMarkdown(chunk.name) : `${escapeMarkdown(chunk.name)} _(optional)_`,
      `${CHUNK_STATUS_EMOJI[chunk.status]} ${chunk.status}`,
      formatCount(chunk.tests?.passed),
      formatCount(chunk.tests?.failed),
      formatCount(chunk.tests?.skipped),
      ...occasional.map(({ key }) => formatCount(chunk.tests?.[key])),
      formatCount(chunk.tests?.errors),
      ...(showNotRun ? [formatCount(chunk.notRun ?? undefined)] : []),
      chunk.startedAt === null ? '–' : formatDurationMs(chunk.durationMs),
      describePeak(chunk),
      describeVerdict(chunk),
    ];
    if (showGpu) cells.push(describeGpuPeak(chunk));
    lines.push(row(cells));
  }
  return lines.join('\n');
}

function describeKilledChunk(chunk: ChunkReport): string {
  const optional = chunk.required ? '' : ' _(optional: does not fail the run)_';
  const lines = [`#### ${CHUNK_STATUS_EMOJI[chunk.status]} ${escapeMarkdown(chunk.name)}: ${chunk.status}${optional}`, '', escapeMarkdown(chunk.message)];
  if (chunk.blamedTests.length === 0) {
    lines.push('', '_No test is known to have been running when it ended._');
    return lines.join('\n');
  }
  lines.push('', row(['Blamed test', 'Reason', 'Worker', 'Its process grew', 'Chunk memory', 'Verdict']), row([':--', ':--', ':--', '--:', '--:', ':--']));
  for (const blamed of chunk.blamedTests.slice(0, MAX_BLAMED_PER_CHUNK)) {
    lines.push(
      row([
        markdownCode(blamed.nodeid, true),
        blamed.reason,
        blamed.worker === null ? '–' : escapeMarkdown(blamed.worker),
        blamed.rssGrowthBytes === null ? '–' : formatBytes(blamed.rssGrowthBytes),
        blamed.chunkRssBytes === null ? '–' : formatBytes(blamed.chunkRssBytes),
        blamed.verdict === null ? '–' : escapeMarkdown(describeRecoveryVerdict(blamed.verdict)),
      ]),
    );
  }
  const more = chunk.blamedTests.length - MAX_BLAMED_PER_CHUNK;
  if (more > 0) lines.push('', `…and ${more} more blamed tests in report.json.`);
  return lines.join('\n');
}

function killedSection(report: RunReport): string | undefined {
  // A chunk recovered to passed or failed was still killed once: its blamed tests and their verdicts belong here.
  const killed = report.chunks.filter((chunk) => KILLED_STATUSES.includes(chunk.status) || chunk.blamedTests.length > 0);
  if (killed.length === 0) return undefined;
  return ['### Killed chunks', ...killed.map(describeKilledChunk)].join('\n\n');
}

function leakSection(report: RunReport): string | undefined {
  const lines: string[] = [];
  for (const chunk of report.chunks) {
    const memory = chunk.memory;
    if (!memory) continue;
    if (memory.verdict === 'leak' || memory.verdict === 'warning')
      lines.push(`- ${VERDICT_EMOJI[memory.verdict]} **${escapeMarkdown(chunk.name)}**: ${memory.verdict}: ${escapeMarkdown(memory.verdictReason)}`);
    if (memory.threads?.onlyGrows) lines.push(`- 🟡 **${escapeMarkdown(chunk.name)}**: threads only grew, ${memory.threads.start} → ${memory.threads.end}`);
    if (memory.fds?.onlyGrows) lines.push(`- 🟡 **${escapeMarkdown(chunk.name)}**: open file descriptors only grew, ${memory.fds.start} → ${memory.fds.end}`);
  }
  if (lines.length === 0) return undefined;
  const failing = report.failOnLeak ? '\n\n--fail-on-leak is on: a required chunk judged to leak fails the run.' : '';
  return `### Memory leaks\n\n${lines.join('\n')}${failing}`;
}

/** "333 MiB exact peak (+300 MiB while it ran, gw0)", or "≥ 150 MiB peak (…)" for a lower bound. */
function describeNeededTest(test: TopPeakTest): string {
  const facts: string[] = [];
  if (test.peakRiseBytes !== null) facts.push(`+${formatBytes(test.peakRiseBytes)} while it ran`);
  if (test.groupPeakRiseBytes !== null && test.groupPeakRiseBytes >= NOTABLE_TEST_GROWTH_BYTES) facts.push(`+${formatBytes(test.groupPeakRiseBytes)} with its children`);
  else if (test.childPeakRssBytes !== null && test.childPeakRssBytes >= NOTABLE_TEST_GROWTH_BYTES) facts.push(`a child process ≥ ${formatBytes(test.childPeakRssBytes)}`);
  if (test.gpuPeakBytes !== null) facts.push(`GPU peak ${formatBytes(test.gpuPeakBytes)}`);
  if (test.worker !== null) facts.push(escapeMarkdown(test.worker));
  const peak = test.peakRssSource === 'hwm' ? `${formatBytes(test.peakRssBytes)} exact peak` : `≥ ${formatBytes(test.peakRssBytes)} peak`;
  return facts.length === 0 ? peak : `${peak} (${facts.join(', ')})`;
}

function neededMemorySection(report: RunReport): string | undefined {
  // As in the terminal: a test whose process barely rose above its start did not need the memory itself.
  const listed = report.chunks.flatMap((chunk) =>
    chunk.topPeakTests
      .filter((test) => (test.peakRiseBytes ?? 0) >= NOTABLE_TEST_GROWTH_BYTES)
      .slice(0, TOP_MEMORY_TESTS_PER_CHUNK)
      .map((test) => ({ chunk, test })),
  );
  if (listed.length === 0) return undefined;
  const exact = "exact: the kernel's high-water mark, VmHWM, reset at the test's start";
  const how = listed.every(({ test }) => test.peakRssSource === 'hwm') ? exact : `${exact}; "≥": a lower bound, the larger of its RSS at start and end, where the reset was not permitted`;
  const lines = listed.map(({ chunk, test }) => `- **${escapeMarkdown(chunk.name)}**: ${markdownCode(test.nodeid, false)} ${describeNeededTest(test)}`);
  return `### Tests that needed the most memory\n\nThe highest RSS of each test's own process while it ran (${how}).\n\n${lines.join('\n')}`;
}

function keptMemorySection(report: RunReport): string | undefined {
  const lines: string[] = [];
  for (const chunk of report.chunks) {
    const top = chunk.topRetainedTests.filter((test) => test.rssDeltaBytes >= NOTABLE_TEST_GROWTH_BYTES).slice(0, TOP_MEMORY_TESTS_PER_CHUNK);
    for (const test of top) lines.push(`- **${escapeMarkdown(chunk.name)}**: ${markdownCode(test.nodeid, false)} +${formatBytes(test.rssDeltaBytes)}`);
  }
  if (lines.length === 0) return undefined;
  return `### Tests that kept the most memory\n\nHow much each test's process grew from its start to its end.\n\n${lines.join('\n')}`;
}

/**
 * The run as GitHub-flavoured Markdown for the job summary: a heading with the run's status, a
 * table of chunks, the killed chunks with their blamed tests, leak verdicts, the tests that
 * needed the most memory and those that kept the most. Names and messages are escaped, so they
 * can neither break the table nor inject HTML.
 */
export function buildGithubSummary(report: RunReport): string {
  const sections = [heading(report), chunkTable(report), killedSection(report), leakSection(report), neededMemorySection(report), keptMemorySection(report)];
  return `${sections.filter((section) => section !== undefined).join('\n\n')}\n`;
}
