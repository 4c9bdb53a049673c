// Per-test memory on test/fixtures/memory-suite, with real pytest and real allocations: each
// test's exact peak (VmHWM reset at its start), and the leak verdict judged from each pytest
// process's series of tests, with and without xdist.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { ChunkReport } from '../../src/results/report-types.js';
import { assertNoLeftovers, chunkOf, FIXTURES_DIR, readReport, runCli, VENV_PYTHON, writeConfig } from '../helpers/cli.js';

const MIB = 1024 * 1024;
const LEAKY_TEST = 'tests/test_leaky.py::test_keeps_four_mib';

function memorySuite(chunks: Record<string, unknown>[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'run-chunks-per-test-memory-'));
  cpSync(path.join(FIXTURES_DIR, 'memory-suite'), dir, { recursive: true });
  writeConfig(dir, { python: VENV_PYTHON, testPaths: ['tests'], chunks });
  return dir;
}

function seriesOf(chunk: ChunkReport): NonNullable<NonNullable<ChunkReport['memory']>['testSeries']> {
  const series = chunk.memory?.testSeries;
  assert.ok(series, `${chunk.name} has no test series: ${chunk.memory?.verdictReason}`);
  return series;
}

describe('per-test memory', () => {
  test('each test\'s peak is exact however briefly it is held; what it kept is ranked apart', async () => {
    const dir = memorySuite([{ name: 'peaks', markers: 'peaks or healthy', workers: 1 }]);
    const result = await runCli([], { cwd: dir });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const chunk = chunkOf(readReport(dir), 'peaks');
    const events = readFileSync(path.join(dir, '.run-chunks/report/peaks/events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const starts = new Map(events.filter((event) => event.event === 'test-start').map((event) => [event.nodeid as string, event.rss as number]));
    for (const hold of ['1ms', '10ms', '100ms', '1s']) {
      const nodeid = `tests/test_peaks.py::test_holds_a_peak[${hold}]`;
      const end = events.find((event) => event.event === 'test-end' && event.nodeid === nodeid);
      assert.ok(end, `no test-end for ${nodeid}`);
      assert.equal(end.peakMethod, 'hwm');
      // The truth: the process's RSS at the start plus the 300 MiB block (filled, so resident).
      const rise = (end.peak as number) - starts.get(nodeid)!;
      assert.ok(Math.abs(rise - 300 * MIB) <= 0.02 * 300 * MIB, `${hold}: rose ${(rise / MIB).toFixed(1)} MiB, not 300 MiB ± 2%`);
      // Freed before the test ended: it kept next to nothing.
      assert.ok((end.rss as number) - starts.get(nodeid)! < 8 * MIB, `${hold}: kept ${(end.rss as number) - starts.get(nodeid)!}`);
    }
    // The four 300 MiB holders need the most; none of them is among what was kept.
    const top = chunk.topPeakTests.slice(0, 4).map((entry) => entry.nodeid).sort();
    assert.deepEqual(top, ['1ms', '100ms', '10ms', '1s'].map((hold) => `tests/test_peaks.py::test_holds_a_peak[${hold}]`).sort());
    assert.ok(chunk.topPeakTests.every((entry) => entry.peakRssSource === 'hwm'));
    assert.ok(chunk.topPeakTests[0]!.peakRiseBytes! >= 0.98 * 300 * MIB);
    assert.equal(chunk.topRetainedTests[0]?.nodeid, 'tests/test_healthy.py::test_uses_the_model[0]', 'the module fixture is kept by its first user');
    assert.ok(!chunk.topRetainedTests.some((entry) => entry.nodeid.startsWith('tests/test_peaks.py')), JSON.stringify(chunk.topRetainedTests));
    // The chunk's headline peak names its source, and is at least the exact per-test one.
    const peak = chunk.memory!.peak!;
    assert.ok(['cgroup', 'per-test hwm', 'sampled'].includes(peak.source));
    if (peak.source !== 'cgroup') assert.ok(peak.bytes >= chunk.topPeakTests[0]!.peakRssBytes, JSON.stringify(peak));
    // pytest's own whole-session peak, kept across the per-test resets: at least any test's.
    assert.equal(chunk.memory!.pytestPeakSum?.processes, 1);
    assert.ok(chunk.memory!.pytestPeakSum!.bytes >= chunk.topPeakTests[0]!.peakRssBytes, JSON.stringify(chunk.memory!.pytestPeakSum));
    assert.match(result.stdout, /peaks: tests that needed the most memory \(exact peak of the test's process, VmHWM\)\n {5}\d+(\.\d+)? MiB {2}tests\/test_peaks\.py::test_holds_a_peak\[/);
    assertNoLeftovers(result.tag);
  });

  test('a test\'s peak with its children comes from its process\'s own cgroup, a child never waited for included (workers 1 and 2)', async () => {
    const dir = memorySuite([
      { name: 'alone', markers: 'children', workers: 1 },
      { name: 'workers', markers: 'children', workers: 2 },
    ]);
    const result = await runCli([], { cwd: dir });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const report = readReport(dir);
    for (const name of ['alone', 'workers']) {
      const chunk = chunkOf(report, name);
      const figures = chunk.memory!.testCgroupPeaks;
      if (chunk.evidence?.cgroup?.memoryController !== true) {
        // No chunk cgroup with memory counters on this system: no such figure, and none made up.
        assert.equal(figures, null);
        assert.ok(chunk.topPeakTests.every((entry) => entry.groupPeakRiseBytes === null));
        continue;
      }
      assert.ok(figures, `${name}: no testCgroupPeaks`);
      assert.match(figures.source, /^cgroup v[12] memory\.(max_usage_in_bytes|peak) of each test process's own cgroup$/);
      assert.deepEqual(figures.unavailable, [], `${name}: ${figures.unavailable.join('; ')}`);
      const byTest = new Map(chunk.topPeakTests.map((entry) => [entry.nodeid.split('::')[1], entry]));
      for (const test of ['test_child_waited_for', 'test_child_not_waited_for']) {
        const rise = byTest.get(test)?.groupPeakRiseBytes;
        assert.ok(rise !== null && rise !== undefined && rise >= 195 * MIB, `${name} ${test}: rise with children ${rise === null || rise === undefined ? rise : (rise / MIB).toFixed(1)} MiB, not >= 195`);
        // Its own process never held the child's memory.
        assert.ok(byTest.get(test)!.peakRiseBytes! < 50 * MIB, JSON.stringify(byTest.get(test)));
      }
      // getrusage hears only of the child that was waited for.
      assert.ok(byTest.get('test_child_waited_for')!.childPeakRssBytes! >= 195 * MIB);
      assert.equal(byTest.get('test_child_not_waited_for')!.childPeakRssBytes, null);
      // Each process's cgroup was removed with the chunk's.
      assert.equal(chunk.evidence!.cgroup!.removed, true);
      const junit = readFileSync(path.join(dir, '.run-chunks/report/junit.xml'), 'utf8');
      assert.match(junit, /<property name="groupPeakRiseBytes" value="\d{9,}"\/>/);
    }
    assertNoLeftovers(result.tag);
  });

  for (const workers of [1, 2]) {
    test(`a test that keeps 4 MiB on each of 60 calls is judged "leak" and named; the healthy tests are not (workers: ${workers})`, async () => {
      const dir = memorySuite([
        { name: 'leaky', markers: 'leaky', workers },
        { name: 'healthy', markers: 'healthy', workers },
      ]);
      const result = await runCli([], { cwd: dir });
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      const report = readReport(dir);
      const leaky = chunkOf(report, 'leaky');
      const healthy = chunkOf(report, 'healthy');
      const leakySeries = seriesOf(leaky);
      assert.equal(leaky.memory!.verdictSource, 'test-series');
      assert.equal(leaky.memory!.verdict, 'leak', leaky.memory!.verdictReason);
      // One process per worker, each judged from its own tests.
      assert.equal(leakySeries.processes.length, workers);
      assert.ok(leakySeries.processes.every((one) => one.verdict === 'leak' && one.bytesPerTest! > 3.5 * MIB && one.bytesPerTest! < 4.5 * MIB), JSON.stringify(leakySeries.processes));
      assert.equal(leakySeries.suspects[0]?.test, LEAKY_TEST);
      assert.ok(leakySeries.suspects[0]!.share > 0.9, JSON.stringify(leakySeries.suspects));
      assert.match(leaky.memory!.verdictReason, /carried by tests\/test_leaky\.py::test_keeps_four_mib \(\d+ runs/);

      assert.equal(healthy.memory!.verdictSource, 'test-series');
      assert.notEqual(healthy.memory!.verdict, 'leak', healthy.memory!.verdictReason);
      assert.notEqual(healthy.memory!.verdict, 'warning', healthy.memory!.verdictReason);
      // The model (48 MiB, module scope) and the lru cache (16 × 2 MiB) grew memory, and neither is a leak.
      assert.ok(seriesOf(healthy).processes.some((one) => one.verdict === 'stable'), JSON.stringify(seriesOf(healthy).processes));

      // The controller and each worker (or pytest alone) reported its whole-session peak.
      assert.equal(leaky.memory!.pytestPeakSum?.processes, workers === 1 ? 1 : workers + 1);
      assert.match(result.stdout, /leaky: memory leak: /);
      const failing = await runCli(['--fail-on-leak'], { cwd: dir });
      assert.equal(failing.exitCode, 1, failing.stdout + failing.stderr);
      assert.match(failing.stdout, /--fail-on-leak: the run fails because leaky leaked memory/);
      assertNoLeftovers(result.tag);
      assertNoLeftovers(failing.tag);
    });
  }
});
