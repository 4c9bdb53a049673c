import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readChunkTests } from '../../src/history/history-tests.js';
import type { History } from '../../src/history/history-types.js';
import { testPeakForecasts } from '../../src/history/test-peak-stats.js';
import { testRecordsFromJunit } from '../../src/merge/junit-test-records.js';
import { assertNoLeftovers, chunkOf, FIXTURES_DIR, makeProject, readReport, runCli, VENV_PYTHON, writeConfig } from '../helpers/cli.js';

const MiB = 1024 * 1024;
// test_peaks.py holds this much in each test, however briefly.
const HELD_BYTES = 300 * MiB;

function readHistoryFile(file: string): History {
  return JSON.parse(readFileSync(file, 'utf8')) as History;
}

test('each test\'s exact peak goes into junit.xml, back out of it through merge, into the history, and `run-chunks history` lists it', async () => {
  const dir = makeProject({});
  cpSync(path.join(FIXTURES_DIR, 'memory-suite'), dir, { recursive: true });
  writeConfig(dir, { python: VENV_PYTHON, chunks: [{ name: 'peaks', markers: 'peaks' }] });

  const run = await runCli(['--report-dir', 'r1', '--history', 'run.json'], { cwd: dir });
  assertNoLeftovers(run.tag);
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);

  const junit = testRecordsFromJunit(readFileSync(path.join(dir, 'r1', 'junit.xml'), 'utf8')).get('peaks')!;
  assert.equal(junit.length, 4);
  for (const record of junit) {
    assert.equal(record.peakRssSource, 'hwm', record.nodeid);
    assert.ok(record.peakRssBytes! >= HELD_BYTES, `${record.nodeid}: peak ${record.peakRssBytes} below the ${HELD_BYTES} bytes it held`);
  }

  const merged = await runCli(['merge', 'r1', '--report-dir', 'm', '--history', 'merged.json'], { cwd: dir });
  assertNoLeftovers(merged.tag);
  assert.equal(merged.exitCode, 0, merged.stdout + merged.stderr);
  const ran = chunkOf(readReport(dir, 'r1'), 'peaks').topPeakTests;
  assert.equal(ran.length, 4);
  assert.deepEqual(chunkOf(readReport(dir, 'm'), 'peaks').topPeakTests, ran, 'the merged report keeps the run\'s topPeakTests');
  const peaksOf = (file: string) => {
    const history = readHistoryFile(path.join(dir, file));
    return [...readChunkTests(history, history.runs[0]!.chunks[0]!)].map(([nodeid, sample]) => [nodeid, sample.peak]);
  };
  const recorded = peaksOf('run.json');
  assert.equal(recorded.length, 4);
  assert.deepEqual(peaksOf('merged.json'), recorded, 'a merged run records the same test peaks as the run itself');
  assert.deepEqual(
    recorded,
    junit.map((record) => [record.nodeid, { bytes: record.peakRssBytes, source: 'hwm' }]),
  );

  const forecasts = testPeakForecasts(readHistoryFile(path.join(dir, 'run.json')));
  const oneSecond = forecasts.get('tests/test_peaks.py::test_holds_a_peak[1s]')!;
  assert.deepEqual([oneSecond.runs, oneSecond.allExact], [1, true]);
  assert.ok(oneSecond.p95PeakRssBytes >= HELD_BYTES);

  const printed = await runCli(['history', '--history', 'run.json'], { cwd: dir });
  assertNoLeftovers(printed.tag);
  assert.equal(printed.exitCode, 0, printed.stderr);
  assert.match(printed.stdout, /Tests with the highest peak RSS/);
  assert.match(printed.stdout, /│ tests\/test_peaks\.py::test_holds_a_peak\[1ms\] +│ +1 │ +3\d\d MiB │ exact/);
});
