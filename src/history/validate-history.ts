import { CHUNK_STATUSES } from '../results/outcome.js';
import type { PeakSource } from '../results/test-records.js';
import { HISTORY_SCHEMA_VERSION, HISTORY_TEST_OUTCOMES, type History } from './history-types.js';

// Checks a parsed history.json against its declared type before anything trusts it: a file cut
// short, edited by hand or written by another version must cost the history, never the run.

type Problem = string | undefined;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isCountOrNull(value: unknown): boolean {
  return value === null || isCount(value);
}

function checkTest(value: unknown, at: string, testIdCount: number): Problem {
  if (!Array.isArray(value) || value.length !== 4) return `${at} must be [testIndex, durationMs, outcome, rssDeltaBytes]`;
  const [index, durationMs, outcome, rssDeltaBytes] = value as unknown[];
  if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= testIdCount) return `${at}[0] must index testIds`;
  if (!isCountOrNull(durationMs)) return `${at}[1] must be a duration in ms or null`;
  if (!(HISTORY_TEST_OUTCOMES as readonly unknown[]).includes(outcome)) return `${at}[2] must be a test outcome`;
  if (rssDeltaBytes !== null && !(typeof rssDeltaBytes === 'number' && Number.isFinite(rssDeltaBytes))) return `${at}[3] must be a number of bytes or null`;
  return undefined;
}

const PEAK_SOURCES: readonly unknown[] = ['hwm', 'start-end'] satisfies readonly PeakSource[];

/** testPeaks, when there: one entry per test, null or [peakRssBytes, 'hwm' | 'start-end']. */
function checkTestPeaks(value: unknown, at: string, testCount: number): Problem {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length !== testCount) return `${at} must be absent or a list with one entry per test`;
  for (const [index, peak] of value.entries()) {
    if (peak === null) continue;
    if (!Array.isArray(peak) || peak.length !== 2 || !isCount(peak[0]) || !PEAK_SOURCES.includes(peak[1]))
      return `${at}[${index}] must be null or [peakRssBytes, "hwm" | "start-end"]`;
  }
  return undefined;
}

function checkChunk(value: unknown, at: string, testIdCount: number): Problem {
  if (!isObject(value)) return `${at} must be an object`;
  if (typeof value.name !== 'string') return `${at}.name must be a string`;
  if (!(CHUNK_STATUSES as readonly unknown[]).includes(value.status)) return `${at}.status must be a chunk status`;
  if (!isCount(value.durationMs)) return `${at}.durationMs must be a number`;
  if (!Number.isInteger(value.workers) || (value.workers as number) < 1) return `${at}.workers must be a whole number from 1`;
  for (const key of ['peakRssBytes', 'peakPssBytes', 'peakGpuBytes'] as const) {
    if (!isCountOrNull(value[key])) return `${at}.${key} must be a number or null`;
  }
  if (value.stopped !== undefined && typeof value.stopped !== 'boolean') return `${at}.stopped must be true, false or absent`;
  const shard = value.shard;
  if (shard !== null && !(isObject(shard) && Number.isInteger(shard.index) && Number.isInteger(shard.count) && (shard.index as number) >= 1 && (shard.count as number) >= 1))
    return `${at}.shard must be null or { index, count }`;
  if (!Array.isArray(value.tests)) return `${at}.tests must be an array`;
  for (const [index, test] of value.tests.entries()) {
    const problem = checkTest(test, `${at}.tests[${index}]`, testIdCount);
    if (problem) return problem;
  }
  return checkTestPeaks(value.testPeaks, `${at}.testPeaks`, value.tests.length);
}

function checkRun(value: unknown, at: string, testIdCount: number): Problem {
  if (!isObject(value)) return `${at} must be an object`;
  if (typeof value.runId !== 'string') return `${at}.runId must be a string`;
  if (typeof value.startedAt !== 'string') return `${at}.startedAt must be a string`;
  if (value.finishedAt !== null && typeof value.finishedAt !== 'string') return `${at}.finishedAt must be a string or null`;
  if (!Array.isArray(value.chunks)) return `${at}.chunks must be an array`;
  for (const [index, chunk] of value.chunks.entries()) {
    const problem = checkChunk(chunk, `${at}.chunks[${index}]`, testIdCount);
    if (problem) return problem;
  }
  return undefined;
}

// A foreign value is quoted in the problem sentence, cut to this: it could be a whole document.
const QUOTE_MAX_CHARS = 40;

function quoteValue(value: unknown): string {
  const text = JSON.stringify(value) ?? 'missing';
  return text.length > QUOTE_MAX_CHARS ? `${text.slice(0, QUOTE_MAX_CHARS)}…` : text;
}

/**
 * Says what is wrong with a parsed history file, as the end of a sentence ("has schemaVersion 2,
 * …", "is not a run-chunks history: runs[3].workers must be …"); undefined when it is a History.
 */
export function findHistoryProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'is not a run-chunks history (not a JSON object)';
  if (value.schemaVersion !== HISTORY_SCHEMA_VERSION)
    return `has schemaVersion ${quoteValue(value.schemaVersion)}, and this run-chunks reads only version ${HISTORY_SCHEMA_VERSION}`;
  if (!Array.isArray(value.testIds) || !value.testIds.every((id) => typeof id === 'string'))
    return 'is not a run-chunks history: testIds must be an array of strings';
  if (!Array.isArray(value.runs)) return 'is not a run-chunks history: runs must be an array';
  for (const [index, run] of value.runs.entries()) {
    const problem = checkRun(run, `runs[${index}]`, value.testIds.length);
    if (problem) return `is not a run-chunks history: ${problem}`;
  }
  return undefined;
}

/** Narrows a parsed value to a History (see findHistoryProblem for why it is not one). */
export function isHistory(value: unknown): value is History {
  return findHistoryProblem(value) === undefined;
}
