import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';

// Benchmarks never fail on a number, but they must keep running: a quick run of every section
// (tiny sizes, one round), so that `npm run bench` cannot rot unnoticed.
// Thirteen sections, one of which packs and installs the npm package: on a loaded 2-core machine
// that has taken more than 3 minutes, so scripts/run-tests.mjs gives this file 10 (LONG_FILES).
test('every benchmark section runs in quick mode and lands in the Markdown file', { timeout: 600_000 }, () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-bench-smoke-')), 'benchmarks.md');
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'bench', 'run-all.mjs')], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT: out },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const markdown = readFileSync(out, 'utf8');
  assert.match(markdown, /^Measured \d{4}-\d{2}-\d{2} on \d+ cores .*GiB, Linux /m);
  const titles = [...markdown.matchAll(/^## (\d+)\. /gm)].map((match) => Number(match[1]));
  assert.deepEqual(titles, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  // Every section has a table with at least one row of figures.
  for (const section of markdown.split(/^## /m).slice(1)) {
    assert.match(section, /^Target: .+$/m, section);
    assert.match(section, /^\| .*\d.* \|$/m, section);
  }
});

test('without GNU time the benchmarks take CPU times from sh\'s `times`', () => {
  const script = `const l = await import(${JSON.stringify(path.join(REPO_ROOT, 'bench', 'lib.mjs'))});
    const r = l.timeCommand(['python3', '-c', 'import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.3: pass']);
    console.log(JSON.stringify({ gnu: l.hasGnuTime(), cpuMs: r.cpuMs, maxRssKib: r.maxRssKib, exitCode: r.exitCode }));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, BENCH_NO_GNU_TIME: '1' }, encoding: 'utf8' });
  const measured = JSON.parse(output) as { gnu: boolean; cpuMs: number; maxRssKib: number | null; exitCode: number };
  assert.equal(measured.gnu, false);
  assert.equal(measured.exitCode, 0);
  assert.equal(measured.maxRssKib, null);
  assert.ok(measured.cpuMs >= 250, `cpu ${measured.cpuMs} ms for 0.3 s of busy work`);
});
