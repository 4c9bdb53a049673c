import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';

// Benchmarks never fail on a number, but they must keep running: a quick run of every section
// (tiny sizes, one round), so that `npm run bench` cannot rot unnoticed.
test('every benchmark section runs in quick mode and lands in the Markdown file', () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-bench-smoke-')), 'benchmarks.md');
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'bench', 'run-all.mjs')], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT: out },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const markdown = readFileSync(out, 'utf8');
  assert.match(markdown, /^Measured \d{4}-\d{2}-\d{2} on \d+ cores .*GiB, Linux /m);
  const titles = [...markdown.matchAll(/^## (\d)\. /gm)].map((match) => Number(match[1]));
  assert.deepEqual(titles, [1, 2, 3, 4, 5, 6, 7]);
  // Every section has a table with at least one row of figures.
  for (const section of markdown.split(/^## /m).slice(1)) {
    assert.match(section, /^Target: .+$/m, section);
    assert.match(section, /^\| .*\d.* \|$/m, section);
  }
});
