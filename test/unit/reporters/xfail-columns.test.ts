import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chalk } from 'chalk';
import { buildGithubSummary } from '../../../src/ci/github-summary.js';
import { buildHtmlReport } from '../../../src/html/build-html-report.js';
import { renderCompactSummary } from '../../../src/reporters/compact-summary.js';
import { renderSummaryTable } from '../../../src/reporters/summary-table.js';
import type { ChunkReport } from '../../../src/results/report-types.js';
import { baseChunkReport } from '../../helpers/report-fixtures.js';
import { runReport } from '../ci/ci-fixtures.js';
import { chunkData } from '../html/html-fixtures.js';

// xfailed and xpassed columns appear only when some chunk has such a test: most suites have none,
// and their tables keep their width.

const plain = new Chalk({ level: 0 });
const PLAIN_TESTS = { total: 3, passed: 3, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 };
const WITH_XFAIL = { total: 7, passed: 3, failed: 1, skipped: 1, errors: 0, xfailed: 2, xpassed: 0 };

function chunks(withXfail: boolean): ChunkReport[] {
  return [baseChunkReport('unit', { tests: PLAIN_TESTS }), baseChunkReport('models', { status: 'failed', tests: withXfail ? WITH_XFAIL : PLAIN_TESTS })];
}

test('the terminal table has an Xfailed column only when some chunk xfailed, and no Xpassed column when none xpassed', () => {
  assert.doesNotMatch(renderSummaryTable(runReport(chunks(false)), plain), /Xfailed|Xpassed/);
  const table = renderSummaryTable(runReport(chunks(true)), plain);
  assert.match(table, /Skipped │ Xfailed │ Errors/);
  assert.doesNotMatch(table, /Xpassed/);
  assert.match(table, /models .*│ +1 │ +2 │ +0 │/, 'skipped 1, xfailed 2, errors 0');
  assert.match(table, /unit .*│ +0 │ +0 │ +0 │/, "a chunk without xfails shows 0 in the column");
});

test('the compact summary and the chunk line name "2 xfailed" and "1 xpassed" only when there are some', () => {
  assert.doesNotMatch(renderCompactSummary(runReport(chunks(false)), plain), /xfailed|xpassed/);
  const xpass = baseChunkReport('lenient', { tests: { ...PLAIN_TESTS, total: 4, xpassed: 1 } });
  const compact = renderCompactSummary(runReport([...chunks(true), xpass]), plain);
  assert.match(compact, /models .*3 passed, 1 failed, 1 skipped, 2 xfailed /);
  assert.match(compact, /lenient .*3 passed, 1 xpassed /);
});

test('the GitHub summary table has the column only when some chunk has a count for it', () => {
  assert.doesNotMatch(buildGithubSummary(runReport(chunks(false))), /Xfailed|Xpassed/);
  const markdown = buildGithubSummary(runReport(chunks(true)));
  assert.match(markdown, /\| Skipped \| Xfailed \| Errors \|/);
  assert.match(markdown, /\| --: \| --: \| --: \| --: \| --: \|/, 'one alignment cell per column');
  assert.doesNotMatch(markdown, /Xpassed/);
});

test('the HTML summary table and the chunk figures show xfailed only where there are some', () => {
  const page = (withXfail: boolean): string => {
    const data = chunks(withXfail).map((chunk) => chunkData(chunk.name, chunk));
    return buildHtmlReport(runReport(data.map((chunk) => chunk.report)), data);
  };
  assert.doesNotMatch(page(false), /Xfailed|Xpassed/);
  const html = page(true);
  assert.match(html, /<th>Skipped<\/th><th>Xfailed<\/th><th>Errors<\/th>/);
  assert.match(html, /<dt>Xfailed<\/dt><dd>2<\/dd>/);
  assert.equal((html.match(/<dt>Xfailed<\/dt>/g) ?? []).length, 1, 'a figure only in the chunk that has xfails');
  assert.doesNotMatch(html, /Xpassed/);
});
