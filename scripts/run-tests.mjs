#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's test runner, one file at a
// time: the integration tests start real pytest processes, and this machine has few cores.
// Extra arguments (e.g. --test-name-pattern=oom) are passed on to `node --test`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
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
// A test that hangs fails after 3 minutes instead of holding CI until its own limit.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=180000', ...process.argv.slice(2), ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
