import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildGithubSummary } from '../../../src/ci/github-summary.js';
import { GithubSummaryReporter } from '../../../src/ci/github-summary-reporter.js';
import { escapeMarkdown, markdownCode } from '../../../src/ci/markdown-text.js';
import { chunkReport, failedRun, HOSTILE_NODEID, memory, runReport, topPeak } from './ci-fixtures.js';

/** Cells of a Markdown table row, split on unescaped pipes (as GFM does). */
function cells(row: string): string[] {
  return row
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** The tables of a Markdown text: runs of lines starting with "|". */
function tableBlocks(markdown: string): string[][] {
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    if (!current) blocks.push((current = []));
    current.push(line);
  }
  return blocks;
}

test('the summary has a heading, the chunk table, killed chunks with blamed tests, leaks and top memory tests', () => {
  const markdown = buildGithubSummary(failedRun());
  const headings = markdown.split('\n').filter((line) => line.startsWith('#'));
  assert.deepEqual(headings, ['## 💥 run-chunks: error', '### Killed chunks', '#### ☠️ stress: oom', '### Memory leaks', '### Tests that needed the most memory', '### Tests that kept the most memory']);
  assert.match(markdown, /^3 chunks in 4m05s \(exit code 3\): 1 passed, 1 failed, 1 oom\.$/m);
  assert.match(markdown, /^killed by the kernel OOM killer \(SIGKILL\) at 7\.8 GiB$/m);
  assert.match(markdown, /^- 🔴 \*\*integration\*\*: leak: grew 40% \(allowed 10%\) at 2 MiB\/s without levelling off$/m);
  assert.match(markdown, /^- \*\*integration\*\*: `tests\/test_i\.py::test_cache` \+300 MiB$/m);
  assert.match(markdown, /^- \*\*integration\*\*: `tests\/test_i\.py::test_alloc` 800 MiB exact peak \(\+700 MiB while it ran, gw0\)$/m);
});

test('the tests that needed the most memory are listed apart from those that kept it, each peak marked exact or "≥" a lower bound', () => {
  const MiB = 1024 * 1024;
  const markdown = buildGithubSummary(
    runReport([
      chunkReport('models', {
        topPeakTests: [
          topPeak('tests/test_m.py::test_load', 2048 * MiB, { peakRiseBytes: 1900 * MiB, childPeakRssBytes: 600 * MiB, gpuPeakBytes: 3 * 1024 * MiB, worker: 'gw_1' }),
          topPeak(HOSTILE_NODEID, 500 * MiB, { peakRssSource: 'start-end', peakRiseBytes: 400 * MiB, worker: null }),
          topPeak('tests/test_m.py::test_third', 300 * MiB, { peakRiseBytes: 200 * MiB }),
          topPeak('tests/test_m.py::test_fourth', 290 * MiB, { peakRiseBytes: 200 * MiB }),
        ],
      }),
      chunkReport('quiet', { topPeakTests: [topPeak('tests/test_q.py::test_baseline', 900 * MiB, { peakRiseBytes: 2 * MiB })] }),
    ]),
  );
  const section = markdown.slice(markdown.indexOf('### Tests that needed the most memory'));
  assert.doesNotMatch(markdown, /### Tests that kept the most memory/, 'nothing was kept: that list is not shown');
  assert.match(section, /^The highest RSS of each test's own process while it ran \(exact: the kernel's high-water mark, VmHWM, reset at the test's start; "≥": a lower bound, /m);
  const items = section.split('\n').filter((line) => line.startsWith('- '));
  assert.deepEqual(items, [
    '- **models**: `tests/test_m.py::test_load` 2 GiB exact peak (+1.86 GiB while it ran, a child process ≥ 600 MiB, GPU peak 3 GiB, gw\\_1)',
    `- **models**: ${markdownCode(HOSTILE_NODEID, false)} ≥ 500 MiB peak (+400 MiB while it ran)`,
    '- **models**: `tests/test_m.py::test_third` 300 MiB exact peak (+200 MiB while it ran, gw0)',
  ]);
  assert.ok(!items[1]!.split(markdownCode(HOSTILE_NODEID, false)).join('').includes('<'), 'the hostile id stays inside its code span');
  assert.doesNotMatch(section, /test_baseline/, 'a test whose process barely rose did not need the memory itself');
  const exactOnly = buildGithubSummary(runReport([chunkReport('one', { topPeakTests: [topPeak('t.py::a', 300 * MiB, { peakRiseBytes: 250 * MiB })] })]));
  assert.doesNotMatch(exactOnly, /"≥"/, 'the lower-bound note only where a listed peak is one');
});

test('every table row keeps its column count, whatever the test ids contain', () => {
  const markdown = buildGithubSummary(failedRun());
  const [chunks, blamed] = tableBlocks(markdown);
  assert.ok(chunks && blamed);
  for (const table of [chunks, blamed]) {
    const width = cells(table[0]!).length;
    for (const row of table) assert.equal(cells(row).length, width, row);
  }
  assert.deepEqual(cells(chunks[0]!), ['Chunk', 'Status', 'Passed', 'Failed', 'Skipped', 'Errors', 'Duration', 'Peak memory / limit', 'Leak']);
  assert.deepEqual(cells(chunks[3]!), ['integration _(optional)_', '❌ failed', '1', '2', '0', '0', '1.5s', '3 GiB sampled / 4 GiB', '🔴 leak']);
  assert.deepEqual(cells(chunks[4]!).slice(0, 2), ['stress', '☠️ oom']);
  assert.deepEqual(cells(blamed[2]!), ['`tests/test_s.py::test_big`', 'oom', 'gw1', '6 GiB', '7.8 GiB', 'killed again when run alone (oom-deterministic)']);
  assert.equal(blamed.length, 4);
});

test('a hostile test id stays text: no raw HTML, the pipe escaped, backticks fenced', () => {
  const markdown = buildGithubSummary(failedRun());
  const row = markdown.split('\n').find((line) => line.includes('alert(1)'))!;
  const [nodeidCell] = cells(row);
  // A code span (its fence longer than the backtick run inside) shows "<script>" as text; GFM
  // drops the backslash before "|" inside a table cell before reading it.
  const span = '``tests/test_x.py::test_pipe[a\\|b<script>alert(1)</script>*x*`y`]``';
  assert.equal(nodeidCell, span);
  assert.equal(nodeidCell!.replace('\\|', '|').slice(2, -2), HOSTILE_NODEID);
  assert.ok(!markdown.split(span).join('').includes('<'), 'a "<" outside the code span would be read as HTML');
});

test('escapeMarkdown and markdownCode', () => {
  assert.equal(escapeMarkdown('a|b <img src=x> *em* `c` [l](u) @user :smile:'), 'a\\|b \\<img src=x\\> \\*em\\* \\`c\\` \\[l\\](u) \\@user \\:smile\\:');
  assert.equal(escapeMarkdown('two\nlines\r\n  here'), 'two lines here');
  assert.equal(markdownCode('a`b', false), '``a`b``');
  assert.equal(markdownCode('`edge`', false), '`` `edge` ``');
  assert.equal(markdownCode('a|b', false), '`a|b`');
  assert.equal(markdownCode('a|b', true), '`a\\|b`');
});

test('a passing run has only the heading and the table; an interrupted one says so', () => {
  const passing = buildGithubSummary(runReport([chunkReport('unit', { memory: null, startedAt: null })]));
  assert.equal(
    passing,
    [
      '## ✅ run-chunks: passed',
      '',
      '1 chunk in 5m (exit code 0): 1 passed.',
      '',
      '| Chunk | Status | Passed | Failed | Skipped | Errors | Duration | Peak memory / limit | Leak |',
      '| :-- | :-- | --: | --: | --: | --: | --: | --: | :-- |',
      '| unit | ✅ passed | 3 | 0 | 0 | 0 | – | – | – |',
      '',
    ].join('\n'),
  );
  const interrupted = buildGithubSummary(runReport([chunkReport('unit', { status: 'interrupted', memory: memory(1024) })], { status: 'interrupted', exitCode: 130, interruptedBy: 'SIGINT' }));
  assert.match(interrupted, /^## ⏹️ run-chunks: interrupted$/m);
  assert.match(interrupted, /^Interrupted by SIGINT: the report holds what finished\.$/m);
});

test('the reporter appends to GITHUB_STEP_SUMMARY; a failed write throws with the path', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-summary-'));
  try {
    const file = path.join(dir, 'step_summary');
    writeFileSync(file, 'earlier step\n');
    await new GithubSummaryReporter(file).onRunFinished({ type: 'run-finished', report: failedRun() });
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith('earlier step\n## 💥 run-chunks: error'));

    const missing = path.join(dir, 'no', 'such', 'dir', 'summary');
    await assert.rejects(new GithubSummaryReporter(missing).onRunFinished({ type: 'run-finished', report: failedRun() }), (error: Error) => {
      assert.match(error.message, /could not append the job summary to GITHUB_STEP_SUMMARY \(.*no\/such\/dir\/summary\): ENOENT/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('limits written in decimal units show in them, with the peak beside them in the same units', () => {
  const peak = { bytes: 2.9e9, source: 'cgroup' as const, detail: 'memory.max_usage_in_bytes' };
  const markdown = buildGithubSummary(
    runReport([
      chunkReport('decimal', {
        memory: memory(2.9e9, { limitBytes: 3e9, peak }),
        gpu: { peakBytes: 1.5e9, attribution: 'process', limitBytes: 2e9, devices: [] },
      }),
      chunkReport('binary', { memory: memory(2.9e9, { limitBytes: 4 * 1024 ** 3, peak }) }),
    ]),
  );
  const [chunks] = tableBlocks(markdown);
  assert.deepEqual(cells(chunks![2]!).slice(-3), ['2.9 GB cgroup / 3 GB', '🟢 stable', '1.5 GB / 2 GB']);
  assert.deepEqual(cells(chunks![3]!).slice(-3), ['2.7 GiB cgroup / 4 GiB', '🟢 stable', '–']);
});
