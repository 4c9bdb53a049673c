import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HTML_REPORT_FILE_NAME, HtmlReporter, writeHtmlReport } from '../../../src/html/html-reporter.js';
import type { ChunkPlan } from '../../../src/plan/types.js';
import { bareRecord } from '../../../src/results/test-records.js';
import { chunkReport, runReport } from '../ci/ci-fixtures.js';

test('HtmlReporter writes <report-dir>/report.html at the end of the run, with the records of each chunk', async () => {
  const reportDir = path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-html-reporter-')), 'report');
  mkdirSync(path.join(reportDir, 'unit'), { recursive: true });
  writeFileSync(path.join(reportDir, 'unit', 'samples.jsonl'), '{"t":0,"rssBytes":1048576}\n{"t":500,"rssBytes":2097152}\n');
  const chunk = chunkReport('unit', { status: 'failed', logFile: path.join(reportDir, 'unit', 'output.log') });
  const reporter = new HtmlReporter();
  assert.equal(reporter.name, 'html');
  reporter.onChunkFinished({ type: 'chunk-finished', plan: {} as ChunkPlan, result: chunk, records: [bareRecord('tests/t.py::test_x', 'failed', 'assert <b>', 1)] });
  await reporter.onRunFinished({ type: 'run-finished', report: runReport([chunk], { reportDir }) });
  const page = readFileSync(path.join(reportDir, HTML_REPORT_FILE_NAME), 'utf8');
  assert.match(page, /<td class="nodeid">tests\/t\.py::test_x<\/td><td>failed<\/td><td class="num">1<\/td><td class="message">assert &lt;b&gt;/);
  assert.match(page, /<polyline class="series rss"/);
  // Written atomically: no temporary file is left beside it.
  assert.deepEqual(readdirSync(reportDir).sort(), [HTML_REPORT_FILE_NAME, 'unit']);
});

test('writeHtmlReport creates the report dir, and returns the path it wrote', async () => {
  const reportDir = path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-html-reporter-')), 'merged', 'report');
  const file = await writeHtmlReport(runReport([chunkReport('a')], { reportDir }));
  assert.equal(file, path.join(reportDir, 'report.html'));
  assert.match(readFileSync(file, 'utf8'), /^<!DOCTYPE html>/);
});
