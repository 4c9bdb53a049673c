import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseJunitCounts } from '../../src/results/parse-junit.js';
import { assertNoLeftovers, chunkOf, readReport, runCli } from '../helpers/cli.js';
import { makeXfailProject, pytestSummaryCounts } from '../helpers/xfail-project.js';

test("report.json's counts are pytest's own summary line for the same suite: xfailed and xpassed apart, a strict xpass failed", async () => {
  const dir = makeXfailProject();
  const pytest = pytestSummaryCounts(dir);
  // The suite has one of each: else this test would prove nothing.
  assert.deepEqual(pytest.counts, { failed: 2, passed: 2, skipped: 1, xfailed: 2, xpassed: 1 }, pytest.line);
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 1, result.stdout + result.stderr);
  const chunk = chunkOf(readReport(dir), 'all');
  assert.equal(chunk.status, 'failed');
  assert.equal(chunk.testsSource, 'events');
  const fromPytest: Record<string, number> = pytest.counts;
  const total = Object.values(fromPytest).reduce((sum, count) => sum + count, 0);
  const expected = { total, passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, ...fromPytest };
  assert.deepEqual(chunk.tests, expected);
  // The merged JUnit file says the same: an xfail as pytest writes it, the xpass by its property.
  const junit = readFileSync(path.join(dir, '.run-chunks/report/junit.xml'), 'utf8');
  assert.match(junit, /<skipped type="pytest\.xfail" message="known bug"/);
  assert.deepEqual(parseJunitCounts(junit), expected);
  // The chunk line and the table show them; the strict xpass is the failure the annotations would name.
  assert.match(result.stdout, /2 passed, 2 failed, 1 skipped, 2 xfailed, 1 xpassed/);
  assert.match(result.stdout, /Skipped │ Xfailed │ Xpassed │ Errors/);
  assertNoLeftovers(result.tag);
});
