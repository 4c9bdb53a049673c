#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's test runner, one file at a
// time: the integration tests start real pytest processes, and this machine has few cores.
// Extra arguments (e.g. --test-name-pattern=oom) are passed on to `node --test`.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testRoot = path.join(root, 'dist', 'test');
const files = readdirSync(testRoot, { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.test.js'))
  .sort()
  .map((file) => path.join(testRoot, file));
if (files.length === 0) {
  console.error('run-tests: no compiled tests under dist/test; run `npm run build` first.');
  process.exit(1);
}
// The fault suite (test/faults) records each case here; a whole run turns them into a reliability
// table: .fault-results/reliability.md (ignored by git), and docs/reliability.md only when asked
// (`npm run test:doc`, i.e. --write-doc), so that `npm test` leaves the tree as it found it: the
// table holds figures measured on the machine (peaks, times), which differ from run to run.
const recordsDir = path.join(root, '.fault-results');
rmSync(recordsDir, { recursive: true, force: true });
const writeDoc = process.argv.includes('--write-doc');
const extraArgs = process.argv.slice(2).filter((arg) => arg !== '--write-doc');
// A test that hangs fails after 3 minutes instead of holding CI until its own limit. node's
// --test-timeout bounds each whole file, and a per-test `timeout` cannot raise it, so the few
// files that build and install packages (on a loaded 2-core machine, past 3 minutes) run apart,
// with 10 minutes.
const LONG_FILES = new Set(['integration/bench-smoke.test.js', 'integration/npm-package.test.js', 'integration/wheel.test.js']);
const isLong = (file) => LONG_FILES.has(path.relative(testRoot, file).split(path.sep).join('/'));
const runFiles = (selected, timeoutMs) =>
  selected.length === 0
    ? { status: 0 }
    : spawnSync(process.execPath, ['--test', '--test-concurrency=1', `--test-timeout=${timeoutMs}`, ...extraArgs, ...selected], {
        stdio: 'inherit',
        env: { ...process.env, RUN_CHUNKS_FAULT_RECORDS: recordsDir },
      });
const results = [runFiles(files.filter((file) => !isLong(file)), 180_000), runFiles(files.filter(isLong), 600_000)];
const result = results.find((run) => run.status !== 0) ?? results[0];
// Only a whole run describes the suite; a filtered one (extra arguments) writes no table.
if (extraArgs.length === 0) {
  const doc = writeDoc ? path.join(root, 'docs', 'reliability.md') : path.join(recordsDir, 'reliability.md');
  spawnSync(process.execPath, [path.join(root, 'scripts', 'reliability-doc.mjs'), doc], { stdio: 'inherit' });
}
process.exit(result.status ?? 1);
