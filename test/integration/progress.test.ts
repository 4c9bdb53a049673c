import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNoLeftovers, chunkOf, makeSuiteProject, readReport, runCli } from '../helpers/cli.js';

test('without a terminal, each running chunk prints a progress line every --progress-interval', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'idle', markers: 'idle', sampleInterval: '100ms', timeout: '2m' }] });
  const result = await runCli(['--progress-interval', '300ms'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const lines = result.stdout.split('\n').filter((line) => line.startsWith('progress: '));
  assert.ok(lines.length >= 3, `only ${lines.length} progress lines:\n${result.stdout}`);
  // Tests done out of tests collected, passed count, elapsed time, time left to the 2-minute
  // timeout, memory, the running test and how long it has run (a line printed after the last test
  // finished, on a slow machine, names none).
  const full = /^progress: idle {2}\d\/4 {2}✔ \d {2}(\d+(\.\d)?)(ms|s) {2}timeout in 1m(\d\ds)? {2}RSS \d+(\.\d+)? MiB {2}tests\/test_memory\.py::test_idles\[\d\] (\d+(\.\d)?)(ms|s)$/;
  const matching = lines.filter((line) => full.test(line));
  assert.ok(matching.length > 0, lines.join('\n'));
  // The test has run no longer than the chunk.
  const toMs = (value: string, unit: string): number => Number(value) * (unit === 's' ? 1000 : 1);
  for (const line of matching) {
    const match = full.exec(line)!;
    assert.ok(toMs(match[6]!, match[8]!) <= toMs(match[1]!, match[3]!) + 100, line);
  }
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
