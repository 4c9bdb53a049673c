import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';

// Benchmarks never fail on a number, but they must keep running: a tiny run of each, so that
// `npm run bench` cannot rot unnoticed.
test('the sampler benchmark runs and prints its table', () => {
  const output = execFileSync(process.execPath, [path.join(REPO_ROOT, 'bench', 'sampler-cost.mjs')], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_TREE_SIZES: '1,3', BENCH_ROUNDS: '3' },
    encoding: 'utf8',
  });
  assert.match(output, /^\| tree size \| sample kind \| processes found \| median ms \| p95 ms \|$/m);
  for (const kind of ['stat', 'full', 'detail']) assert.match(output, new RegExp(`^\\| 3 \\| ${kind} \\| 3 \\| \\d+\\.\\d+ \\| \\d+\\.\\d+ \\|$`, 'm'));
  assert.match(output, /3 processes: \d+\.\d+%/);
});
