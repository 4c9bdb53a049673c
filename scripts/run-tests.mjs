#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's test runner, one file at a
// time: the integration tests start real pytest processes, and this machine has few cores.
// Extra arguments (e.g. --test-name-pattern=oom) are passed on to `node --test`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareWithDoc, readRecords } from './reliability-doc.mjs';

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
// The fault suite (test/faults) records each case here. A whole run turns the records into the
// reliability table, .fault-results/reliability.md (ignored by git: the table holds figures measured
// on the machine, so `npm test` leaves the tree as it found it), and checks that the committed
// docs/reliability.md lists exactly the cases that ran: a case added, renamed or removed without
// `npm run docs` fails the run. `--docs` (npm run docs) runs only the files that hold fault cases and
// rewrites docs/reliability.md.
const recordsDir = path.join(root, '.fault-results');
rmSync(recordsDir, { recursive: true, force: true });
const writeDoc = process.argv.includes('--docs');
const extraArgs = process.argv.slice(2).filter((arg) => arg !== '--docs');
const holdsFaultCases = (file) => readFileSync(file, 'utf8').includes('faultCase(');
const selectedFiles = writeDoc ? files.filter(holdsFaultCases) : files;
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
const results = [runFiles(selectedFiles.filter((file) => !isLong(file)), 180_000), runFiles(selectedFiles.filter(isLong), 600_000)];
const result = results.find((run) => run.status !== 0) ?? results[0];
let status = result.status ?? 1;
// Only a whole run describes the suite; a filtered one (extra arguments) writes no table.
if (extraArgs.length === 0) {
  const committed = path.join(root, 'docs', 'reliability.md');
  const doc = writeDoc ? committed : path.join(recordsDir, 'reliability.md');
  const written = spawnSync(process.execPath, [path.join(root, 'scripts', 'reliability-doc.mjs'), doc], { stdio: 'inherit', env: { ...process.env, RUN_CHUNKS_FAULT_RECORDS: recordsDir } });
  if (written.status !== 0) status = status || 1;
  if (!writeDoc) status = checkCommittedDoc(committed) || status;
}
process.exit(status);

/** 0 when docs/reliability.md lists exactly the fault cases that ran; else says what differs and returns 1. */
function checkCommittedDoc(committed) {
  const records = readRecords(recordsDir);
  const { added, removed } = compareWithDoc(records, existsSync(committed) ? readFileSync(committed, 'utf8') : '');
  if (added.length === 0 && removed.length === 0) {
    console.log(`run-tests: docs/reliability.md lists the ${records.length} fault cases that ran.`);
    return 0;
  }
  const list = (label, keys) => (keys.length === 0 ? [] : [`  ${label}:`, ...keys.map((key) => `    ${key}`)]);
  console.error(
    [
      `run-tests: docs/reliability.md is out of date: ${added.length} fault case(s) ran that it does not list, and it lists ${removed.length} that no longer exist.`,
      ...list('not in the doc', added),
      ...list('in the doc, not run', removed),
      'Run `npm run docs` to regenerate it from the fault suite, and commit the result.',
    ].join('\n'),
  );
  return 1;
}
