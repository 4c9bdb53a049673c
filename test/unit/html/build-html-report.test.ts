import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildHtmlReport, CONTENT_SECURITY_POLICY } from '../../../src/html/build-html-report.js';
import type { FailedTest, HtmlChunkData } from '../../../src/html/html-input.js';
import { MAX_TEST_MARKS } from '../../../src/html/memory-chart.js';
import { MAX_LISTED_FAILURES, PAGE_SIZE } from '../../../src/html/test-tables.js';
import { memory, runReport } from '../ci/ci-fixtures.js';
import { chunkData, mark, MIB, samples } from './html-fixtures.js';

const EVIL = `<script>window.__pwned=1</script><img src=x onerror="alert('x')">`;

function build(chunks: HtmlChunkData[]): string {
  return buildHtmlReport(runReport(chunks.map((chunk) => chunk.report)), chunks);
}

function count(text: string, pattern: RegExp): number {
  return (text.match(new RegExp(pattern.source, 'g')) ?? []).length;
}

/** The y coordinates of a polyline's points. */
function polylineYs(svg: string, cls: string): number[] {
  const points = new RegExp(`<polyline class="${cls}" points="([^"]*)"`).exec(svg)?.[1];
  assert.ok(points !== undefined, `no polyline ${cls}`);
  return points.split(' ').map((pair) => Number(pair.split(',')[1]));
}

function hostileChunk(): HtmlChunkData {
  const nodeid = `tests/test_x.py::test_evil[${EVIL}]`;
  const failed: FailedTest = { nodeid, outcome: 'failed', message: `AssertionError: ${EVIL}`, longrepr: `E   ${EVIL}`, attempt: 1 };
  return chunkData(
    `evil${EVIL}`,
    {
      status: 'oom',
      message: `killed while ${EVIL} ran`,
      description: EVIL,
      warnings: [EVIL],
      env: { [`X${EVIL}`]: EVIL },
      commandLine: `pytest -k '${EVIL}'`,
      cwd: EVIL,
      blamedTests: [{ nodeid, reason: 'oom', evidence: 'the only test running when the chunk was stopped', worker: EVIL, chunkRssBytes: 10, rssGrowthBytes: 5, verdict: null }],
      topRetainedTests: [{ nodeid, rssDeltaBytes: 5 * MIB, rssEndBytes: null, gpuDeltaBytes: null, worker: EVIL }],
      attempts: [
        { attempt: 1, kind: 'initial', startedAt: '2026-05-01T10:00:00.000Z', status: 'oom', message: EVIL, exitCode: null, signal: 'SIGKILL', workers: 1, durationMs: 10, tests: null, peakRssBytes: null, peakPssBytes: null, logFile: EVIL },
        { attempt: 2, kind: 'blamed-alone', startedAt: '2026-05-01T10:00:01.000Z', status: 'oom', message: EVIL, exitCode: null, signal: 'SIGKILL', workers: 1, durationMs: 10, tests: null, peakRssBytes: null, peakPssBytes: null, logFile: EVIL },
      ],
      memory: memory(200 * MIB, { verdictReason: EVIL }),
    },
    { testMarks: [mark(500, nodeid, 5 * MIB, 'killed'), mark(100, `a${EVIL}`)], failedTests: [failed] },
  );
}

test('names, ids, messages and paths holding <script> come out as text, in elements and in attributes', () => {
  const page = build([hostileChunk()]);
  assert.equal(count(page, /<script/), 1, 'only the page’s own script');
  assert.equal(count(page, /<img/), 0);
  assert.ok(!page.includes(EVIL));
  assert.ok(page.includes('&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;'));
  // Every attribute value is quoted and holds no raw quote or angle bracket.
  for (const [, value] of page.matchAll(/\s[a-z-]+="([^"]*)"/g)) assert.doesNotMatch(value!, /[<>]/);
  // The hover text of the blamed test's marker names it, escaped.
  assert.match(page, /<g class="mark mark-blamed" data-blamed="true"><title>tests\/test_x\.py::test_evil\[&lt;script&gt;/);
});

test('the page loads nothing: a CSP forbidding every load, no external URL, no stylesheet link', () => {
  const page = build([chunkData('unit', { memory: memory(300 * MIB, { limitBytes: 400 * MIB }) }), hostileChunk()]);
  assert.match(CONTENT_SECURITY_POLICY, /^default-src 'none';/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /https?:|\*/);
  assert.ok(page.includes(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`));
  assert.doesNotMatch(page, /https?:\/\//);
  assert.doesNotMatch(page, /\b(?:src|href|action)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/i);
  assert.doesNotMatch(page, /<link\b|@import|url\(/i);
  // Links stay inside the page.
  for (const [, target] of page.matchAll(/href="([^"]*)"/g)) assert.match(target!, /^#(?:chunk-\d+|all-tests)$/);
});

test('a chunk shows its figures, the memory chart with RSS and GPU lines, PSS as points where it was read, both limits, the verdict and slope', () => {
  const timeline = Array.from({ length: 40 }, (_, index) => ({ t: index * 500, rssBytes: (100 + index * 5) * MIB, pssBytes: index % 4 === 0 ? (90 + index * 5) * MIB : null, processes: 1, threads: 1, fds: null, cpuPercent: 0, gpuBytes: index * MIB }));
  const data = chunkData(
    'gpu_chunk',
    {
      memory: memory(300 * MIB, { limitBytes: 400 * MIB, verdict: 'leak', verdictReason: 'grew 40% without levelling off', slopeBytesPerSec: 2 * MIB, growthPercent: 40, allowedGrowthPercent: 5.351166666666667 }),
      gpu: { peakBytes: 50 * MIB, attribution: 'process', limitBytes: 100 * MIB, devices: [] },
      blamedTests: [{ nodeid: 'tests/test_g.py::test_big', reason: 'memory-limit', evidence: 'the only test running when the chunk was stopped', worker: null, chunkRssBytes: 300 * MIB, rssGrowthBytes: 200 * MIB, verdict: 'oom-deterministic' }],
    },
    {
      samples: timeline,
      testMarks: [mark(1000, 'tests/test_g.py::test_small'), mark(9000, 'tests/test_g.py::test_big', null, 'killed')],
    },
  );
  const page = build([data]);
  for (const series of ['rss', 'gpu']) assert.equal(count(page, new RegExp(`<polyline class="series ${series}"`)), 1, series);
  // PSS: a point at each of its 10 readings, and no line between them.
  assert.equal(count(page, /<polyline class="series pss"/), 0);
  const pssDots = /<g class="dots pss">(.*?)<\/g>/.exec(page)?.[1] ?? '';
  assert.equal(count(pssDots, /<circle /), 10);
  const xs = [...pssDots.matchAll(/cx="([\d.]+)"/g)].map(([, value]) => Number(value));
  // The plot spans 868 px from x=76 over the 19.5 s of samples; PSS was read at every fourth one (every 2 s).
  assert.deepEqual(xs, Array.from({ length: 10 }, (_, index) => Math.round((76 + ((index * 2000) / 19_500) * 868) * 10) / 10));
  assert.match(page, /<span class="key pss dot">PSS, summed, where it was read \(points: it is read every few samples, not in between\)<\/span>/);
  assert.match(page, /<span class="key limit">memory limit \(checked against RSS\)<\/span>/);
  assert.match(page, /<g class="limit"><line [^>]*\/><text [^>]*>memory limit 400 MiB<\/text><\/g>/);
  assert.match(page, /<g class="limit gpu-limit"><line [^>]*\/><text [^>]*>GPU limit 100 MiB<\/text><\/g>/);
  assert.match(page, /<title>tests\/test_g\.py::test_small\nRSS end − start \+1 MiB, passed, started at 1\.0s<\/title>/);
  assert.match(page, /<title>tests\/test_g\.py::test_big\nRSS end − start unknown, killed, started at 9\.0s\nblamed: running when the chunk was killed<\/title>/);
  assert.match(page, />blamed: test_big<\/text>/);
  // The timeline's verdict, with its source, and the allowance rounded to a tenth.
  assert.match(page, /<h3>Leak verdict<\/h3><p><span class="badge verdict-leak">leak<\/span> grew 40% without levelling off\.<\/p><p class="muted">From the sampled RSS of the chunk's processes over time, after their warm-up \(there were no per-test figures to judge from\): slope \+2 MiB\/s, growth \+40\.0% \(allowed 5\.4%\), 10 samples every 500ms\.<\/p>/);
  assert.doesNotMatch(page, /5\.35/);
  assert.match(page, /<dt>Peak GPU \/ limit<\/dt><dd>50 MiB \/ 100 MiB<\/dd>/);
  assert.match(page, /<tr class="blamed"><td class="nodeid">tests\/test_g\.py::test_big<\/td><td>memory-limit<\/td><td>–<\/td><td class="num">200 MiB<\/td>/);
});

test('20,000 tests and 200,000 samples build in well under a few seconds into a page of reasonable size', () => {
  const tests = 20_000;
  const timeline = samples(200_000, 500, (index) => (index === 123_456 ? 8000 : 1000 + (index % 50)) * MIB);
  const marks = Array.from({ length: tests }, (_, index) => mark(index * 5000, `tests/test_big.py::test_case[${index}]`, (index % 97) * 1024, index % 10 === 0 ? 'failed' : 'passed'));
  const failedTests: FailedTest[] = marks
    .filter((entry) => entry.outcome === 'failed')
    .map((entry) => ({ nodeid: entry.nodeid, outcome: 'failed', message: 'AssertionError: boom '.repeat(40), longrepr: 'Traceback\n'.repeat(1000), attempt: 1 }));
  const topRetainedTests = marks.slice(0, 10).map((entry) => ({ nodeid: entry.nodeid, rssDeltaBytes: MIB, rssEndBytes: null, gpuDeltaBytes: null, worker: null }));
  const data = chunkData('big', { tests: { total: tests, passed: tests - failedTests.length, failed: failedTests.length, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 }, topRetainedTests }, { samples: timeline, testMarks: marks, failedTests });

  const startedAt = performance.now();
  const page = build([data]);
  const elapsedMs = performance.now() - startedAt;
  assert.ok(elapsedMs < 2000, `built in ${elapsedMs.toFixed(0)} ms`);
  assert.ok(page.length < 3_000_000, `page is ${(page.length / 1e6).toFixed(2)} MB`);

  // Charts are downsampled, and the one spike is still the highest point drawn.
  const ys = polylineYs(page, 'series rss');
  assert.ok(ys.length <= 600, `${ys.length} RSS points`);
  const highest = Math.min(...ys);
  assert.equal(ys.filter((y) => y === highest).length, 1);
  assert.ok(ys.filter((y) => y !== highest).every((y) => y - highest > 100), 'the 8000 MiB spike stands far above the rest');
  assert.ok(count(page, /<g class="mark mark-/) <= MAX_TEST_MARKS);

  // The failed tests are listed in pages, every page after the first folded away.
  assert.match(page, /Failed and killed tests <span class="muted">\(2000\)<\/span>/);
  assert.equal(count(page, /<details class="page"><summary>Failed tests /), MAX_LISTED_FAILURES / PAGE_SIZE - 1);
  assert.match(page, /<summary>Failed tests 101–200 of 2000<\/summary>/);
});

test('a failure list longer than the cap says how many are not listed', () => {
  const failedTests: FailedTest[] = Array.from({ length: MAX_LISTED_FAILURES + 5 }, (_, index) => ({ nodeid: `t${index}`, outcome: 'failed', message: null, longrepr: null, attempt: 1 }));
  const page = build([chunkData('many', {}, { failedTests })]);
  assert.match(page, /…and 5 more, not listed here: see junit\.xml and report\.json\./);
});

test('a chunk that never started, and one without samples, say so instead of drawing an empty chart', () => {
  const page = build([chunkData('never', { startedAt: null, status: 'skipped', memory: null, tests: null }, { samples: [], testMarks: [] }), chunkData('blind', {}, { samples: [] })]);
  assert.match(page, /No memory timeline: the chunk never started\./);
  assert.match(page, /No memory timeline: its samples\.jsonl is missing or empty\./);
  assert.equal(count(page, /<svg class="chart memory-chart"/), 0);
});
