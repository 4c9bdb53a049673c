import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { ChunkPlan } from '../../../src/plan/types.js';
import { readHistory } from '../../../src/history/history-file.js';
import { HistoryReporter, recordRunInHistory } from '../../../src/history/history-reporter.js';
import { chunkStats, testDurations } from '../../../src/history/history-stats.js';
import { chunkReport, runReport, testRecord } from '../merge/report-fixtures.js';

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-history-reporter-'));
  tempDirs.push(dir);
  return dir;
}

test('the history reporter records each finished run with its chunks\' test records, keeping the last N', async () => {
  const file = path.join(tempDir(), '.run-chunks', 'history.json');
  const warnings: string[] = [];
  for (let n = 1; n <= 4; n += 1) {
    const reporter = new HistoryReporter({ file, keepRuns: 3, warn: (message) => warnings.push(message) });
    const unit = chunkReport('unit', { durationMs: n * 1000 });
    // The reporter only needs the result and records of a chunk-finished event.
    reporter.onChunkFinished({ type: 'chunk-finished', plan: {} as ChunkPlan, result: unit, records: [testRecord('t::a', { durationMs: n * 10 })] });
    await reporter.onRunFinished({ type: 'run-finished', report: runReport([unit], { runId: `run-${n}` }) });
  }
  const history = await readHistory(file, (message) => warnings.push(message));
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    history.runs.map((run) => run.runId),
    ['run-2', 'run-3', 'run-4'],
  );
  assert.equal(chunkStats(history, 'unit')?.medianDurationMs, 3000);
  assert.deepEqual(testDurations(history, 'unit'), new Map([['t::a', 30]]));
});

test('a run in which no chunk started adds nothing; a damaged history is replaced; a failed write is a warning', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  writeFileSync(file, '{ broken');
  const warnings: string[] = [];
  const options = { file, warn: (message: string) => warnings.push(message) };
  const nothingRan = await recordRunInHistory(runReport([chunkReport('unit', { status: 'skipped', startedAt: null })]), new Map(), options);
  assert.equal(nothingRan.runs.length, 0);
  const recorded = await recordRunInHistory(runReport([chunkReport('unit')]), new Map(), options);
  assert.equal(recorded.runs.length, 1);
  assert.equal(warnings.length, 2, 'the damaged file is reported at each read until it is replaced');
  assert.equal((await readHistory(file, (message) => warnings.push(message))).runs.length, 1);
  assert.equal(warnings.length, 2);

  // A file where the history's folder should be: neither root nor anyone else can write there.
  const blocker = path.join(dir, 'not-a-folder');
  writeFileSync(blocker, '');
  const failing: string[] = [];
  const result = await recordRunInHistory(runReport([chunkReport('unit')]), new Map(), { file: path.join(blocker, 'history.json'), warn: (message) => failing.push(message) });
  assert.equal(result.runs.length, 1);
  assert.equal(failing.length, 2, 'unreadable, then unwritable');
  assert.match(failing[0]!, /could not be read \(ENOTDIR/);
  assert.match(failing[1]!, /^Could not write the run history .*not-a-folder\/history\.json \(.*\); this run is not recorded in it\.$/);
});
