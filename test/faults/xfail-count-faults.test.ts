// pytest's xfailed and xpassed tests: run-chunks' counts once folded them into skipped and passed,
// so its totals did not match pytest's own summary line for the same suite.
import assert from 'node:assert/strict';
import { chunkOf, readReport, runCli } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase } from '../helpers/fault-case.js';
import { makeXfailProject, pytestSummaryCounts } from '../helpers/xfail-project.js';

faultCase('report', "a suite with xfail, non-strict and strict xpass tests: report.json counts as pytest's summary line does", async (r) => {
  const dir = makeXfailProject();
  const pytest = pytestSummaryCounts(dir);
  const result = await runCli([], { cwd: dir });
  const chunk = chunkOf(readReport(dir), 'all');
  r.outcomeOf(result.exitCode, chunk.status);
  const tests = chunk.tests!;
  r.did(`pytest: "${pytest.line.replace(/=/g, '').trim()}"; report.json: ${tests.passed} passed, ${tests.failed} failed, ${tests.skipped} skipped, ${tests.xfailed} xfailed, ${tests.xpassed} xpassed`);
  assert.deepEqual({ passed: tests.passed, failed: tests.failed, skipped: tests.skipped, xfailed: tests.xfailed, xpassed: tests.xpassed }, { passed: 0, failed: 0, skipped: 0, xfailed: 0, xpassed: 0, ...pytest.counts });
  r.held("passed, failed, skipped, xfailed and xpassed equal pytest's own summary line (a strict xpass among the failed)");
  assert.equal(chunk.status, 'failed');
  assert.equal(result.exitCode, 1);
  r.held('the chunk fails for its one plain failure and its strict xpass only, exit 1 as pytest');
  checkNoLeftovers(r, result.tag);
});
