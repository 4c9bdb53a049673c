import type { JunitSuite, JunitTestCase } from './junit-writer.js';
import type { ChunkReport } from './report-types.js';
import { bareRecord, type TestRecord } from './test-records.js';

/**
 * One test's JUnit case, with its memory as properties (bytes) for CI tools that show them, and
 * for `run-chunks merge`, which reads them back (src/merge/junit-test-records.ts): peakRssBytes
 * with peakRssSource ('hwm' exact, 'start-end' a lower bound), childPeakRssBytes, groupPeakRiseBytes
 * (with its children, from its process's own cgroup), gpuPeakBytes.
 */
export function recordToJunitCase(record: TestRecord): JunitTestCase {
  const properties: Record<string, string | number> = {};
  if (record.rssStartBytes !== null && record.rssEndBytes !== null) properties.rssDeltaBytes = record.rssEndBytes - record.rssStartBytes;
  if (record.rssEndBytes !== null) properties.rssEndBytes = record.rssEndBytes;
  if (record.gpuStartBytes !== null && record.gpuEndBytes !== null) properties.gpuDeltaBytes = record.gpuEndBytes - record.gpuStartBytes;
  // The peak travels with its source: 'start-end' is only a lower bound, and a reader must know.
  if (record.peakRssBytes !== null && record.peakRssSource !== null) {
    properties.peakRssBytes = record.peakRssBytes;
    properties.peakRssSource = record.peakRssSource;
  }
  if (record.childPeakRssBytes !== null) properties.childPeakRssBytes = record.childPeakRssBytes;
  if (record.groupPeakRiseBytes !== null) properties.groupPeakRiseBytes = record.groupPeakRiseBytes;
  if (record.gpuPeakBytes !== null) properties.gpuPeakBytes = record.gpuPeakBytes;
  if (record.worker !== null) properties.worker = record.worker;
  if (record.attempt > 1) properties.attempt = record.attempt;
  return {
    nodeid: record.nodeid,
    // A test whose xdist worker died is as broken as one killed with its chunk.
    outcome: record.outcome === 'crashed' ? 'killed' : record.outcome,
    durationMs: record.durationMs,
    message: record.message,
    details: record.longrepr,
    file: record.file,
    line: record.line,
    properties,
  };
}

/** The records of never-started tests: collected, but absent from every attempt's results. */
export function notRunRecords(collectedIds: readonly string[] | null, records: readonly TestRecord[], reason: string): TestRecord[] {
  if (collectedIds === null) return [];
  const seen = new Set(records.map((record) => record.nodeid));
  return collectedIds.filter((nodeid) => !seen.has(nodeid)).map((nodeid) => bareRecord(nodeid, 'not-run', reason, 1));
}

/** A chunk as one JUnit test suite, with its status and memory peak as suite properties. */
export function chunkToJunitSuite(report: ChunkReport, records: readonly TestRecord[]): JunitSuite {
  const properties: Record<string, string | number> = { status: report.status, message: report.message };
  if (report.exitCode !== null) properties.exitCode = report.exitCode;
  if (report.signal !== null) properties.signal = report.signal;
  if (report.memory) properties.peakRssBytes = report.memory.peakRssBytes;
  if (report.gpu) properties.peakGpuBytes = report.gpu.peakBytes;
  return {
    name: report.name,
    timestamp: report.startedAt,
    durationMs: report.durationMs,
    properties,
    cases: records.map(recordToJunitCase),
    systemOut: `Full output: ${report.logFile}`,
  };
}
