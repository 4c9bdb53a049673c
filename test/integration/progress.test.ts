import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNoLeftovers, chunkOf, makeSuiteProject, readReport, runCli } from '../helpers/cli.js';

test('without a terminal, each running chunk prints a progress line every --progress-interval', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'idle', markers: 'idle', sampleInterval: '100ms' }] });
  const result = await runCli(['--progress-interval', '300ms'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const lines = result.stdout.split('\n').filter((line) => line.startsWith('progress: '));
  assert.ok(lines.length >= 3, `only ${lines.length} progress lines:\n${result.stdout}`);
  // Tests done out of tests collected, passed count, elapsed time, memory, the running test (a
  // line printed after the last test finished, on a slow machine, names none).
  const full = /^progress: idle {2}\d\/4 {2}✔ \d {2}\d+(\.\d)?(ms|s) {2}RSS \d+(\.\d+)? MiB {2}tests\/test_memory\.py::test_idles\[\d\]$/;
  assert.ok(lines.some((line) => full.test(line)), lines.join('\n'));
  assert.equal(chunkOf(readReport(dir), 'idle').tests?.passed, 4);
  assertNoLeftovers(result.tag);
});

test('blamed tests and the tests that kept the most memory are listed under the summary table', async () => {
  const { dir } = makeSuiteProject({
    chunks: [
      { name: 'memhog', markers: 'memhog' },
      { name: 'selfkill', markers: 'selfkill', retryOnOom: 0 },
    ],
  });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  assert.match(result.stdout, /memhog: tests that kept the most memory\n {2}\+ *\d+(\.\d+)? MiB {2}tests\/test_memhog\.py::test_b_keeps_100_mib/);
  assert.match(result.stdout, /selfkill: blamed tests\/test_selfkill\.py::test_b_kills_its_own_process \(killed/);
});
