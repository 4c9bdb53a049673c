import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildHtmlReport } from '../../../src/html/build-html-report.js';
import { formatPercent } from '../../../src/html/memory-details.js';
import type { HtmlChunkData } from '../../../src/html/html-input.js';
import type { TestSeriesLeak } from '../../../src/monitor/test-series-leak.js';
import { memory, runReport } from '../ci/ci-fixtures.js';
import { chunkData, MIB } from './html-fixtures.js';

function build(chunks: HtmlChunkData[]): string {
  return buildHtmlReport(runReport(chunks.map((chunk) => chunk.report)), chunks);
}

/** The text a reader sees: the page without its style, its script and data, and its SVG coordinates. */
function visibleText(page: string): string {
  return page
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<svg[\s\S]*?<\/svg>/g, (svg) => [...svg.matchAll(/<(?:text|title)[^>]*>([^<]*)</g)].map(([, text]) => text).join(' '))
    .replace(/<[^>]*>/g, ' ')
    // Times of day ("2026-05-01T10:00:00.000Z") are not figures.
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '');
}

const SERIES: TestSeriesLeak = {
  verdict: 'leak',
  reason: 'gw1 grew 240 MiB over 54 tests (+83%), past the allowance of 5.4% of its RSS, and was still rising over the last third of its tests',
  processes: [
    { pid: 4101, worker: 'gw0', verdict: 'stable', tests: 40, warmupTests: 4, judgedTests: 36, growthBytes: 1.23456 * MIB, growthPercent: 0.987654321, allowedBytes: 16 * MIB, bytesPerTest: 34_567.891, tailRatio: 0.333333333, reason: 'grew 1.23 MiB, within the allowance' },
    { pid: 4102, worker: 'gw1', verdict: 'leak', tests: 60, warmupTests: 6, judgedTests: 54, growthBytes: 240.123456 * MIB, growthPercent: 83.33333333, allowedBytes: 16.0001 * MIB, bytesPerTest: 4.44444 * MIB, tailRatio: 0.987654, reason: 'grew 240 MiB, past the allowance, and was still rising over the last third of its tests' },
  ],
  suspects: [{ test: 'tests/test_leaky.py::test_keeps_<b>4MiB</b>', runs: 60, growthBytes: 240.123 * MIB, share: 0.987654321 }],
};

function seriesChunk(): HtmlChunkData {
  return chunkData('leaky', {
    memory: memory(700 * MIB, {
      verdict: 'leak',
      verdictReason: SERIES.reason,
      verdictSource: 'test-series',
      testSeries: SERIES,
      timelineVerdict: 'warning',
      timelineVerdictReason: 'grew 12.3% at 1 MiB/s, slowing',
      slopeBytesPerSec: 1_048_576.7,
      growthPercent: 12.3456,
      allowedGrowthPercent: 5.351166666666667,
      limitBytes: 1024 * MIB,
      metric: 'pss',
      peakPssBytes: 650.5 * MIB,
      kernelPeakBytes: 812.345 * MIB,
      kernelPeakSource: 'cgroup v1 memory.max_usage_in_bytes',
      peak: { bytes: 812.345 * MIB, source: 'cgroup', detail: "exact: the kernel's high-water mark of memory charged to the chunk's cgroup (cgroup v1 memory.max_usage_in_bytes), page cache included" },
    }),
    topPeakTests: [
      { nodeid: 'tests/test_peaks.py::test_holds[1s]', peakRssBytes: 380.5 * MIB, peakRssSource: 'hwm', peakRiseBytes: 300.25 * MIB, rssDeltaBytes: -2 * MIB, childPeakRssBytes: null, groupPeakRiseBytes: null, gpuPeakBytes: 12 * MIB, gpuPeakSource: 'torch', durationMs: 1003.4, worker: 'gw0' },
      { nodeid: 'tests/test_peaks.py::test_<i>nohwm</i>', peakRssBytes: 120 * MIB, peakRssSource: 'start-end', peakRiseBytes: 0, rssDeltaBytes: 4 * MIB, childPeakRssBytes: 64 * MIB, groupPeakRiseBytes: 200 * MIB, gpuPeakBytes: null, gpuPeakSource: null, durationMs: null, worker: null },
    ],
    topRetainedTests: [{ nodeid: 'tests/test_leaky.py::test_keeps[0]', rssDeltaBytes: 4 * MIB, rssEndBytes: 300 * MIB, gpuDeltaBytes: null, worker: 'gw1' }],
  });
}

test('formatPercent rounds to a tenth and drops trailing zeros', () => {
  assert.equal(formatPercent(5.351166666666667), '5.4%');
  assert.equal(formatPercent(10), '10%');
  assert.equal(formatPercent(98.7654321), '98.8%');
  assert.equal(formatPercent(-0.04), '0%');
});

test('the tests that needed the most memory: peak RSS with its source (≥ for a lower bound), rise, rise with children (cgroup), retained, child peak, GPU peak, worker', () => {
  const page = build([seriesChunk()]);
  assert.match(page, /<h3>Tests that needed the most memory <span class="muted">\(peak RSS of their own process, setup to teardown\)<\/span><\/h3>/);
  assert.match(page, /<th>Test<\/th><th>Peak RSS<\/th><th>Rise during the test<\/th><th>Rise with children \(cgroup\)<\/th><th>Retained RSS<\/th><th>Child peak RSS<\/th><th>GPU peak<\/th><th>Duration<\/th><th>Worker<\/th>/);
  assert.match(page, /<tr><td class="nodeid">tests\/test_peaks\.py::test_holds\[1s\]<\/td><td class="num">381 MiB<\/td><td class="num">\+300 MiB<\/td><td class="num">–<\/td><td class="num">-2 MiB<\/td><td class="num">–<\/td><td class="num">12 MiB<\/td><td class="num">1\.0s<\/td><td>gw0<\/td><\/tr>/);
  assert.match(page, /<tr><td class="nodeid">tests\/test_peaks\.py::test_&lt;i&gt;nohwm&lt;\/i&gt;<\/td><td class="num"><span title="a lower bound: [^"]*">≥ 120 MiB<\/span><\/td><td class="num">\+0 B<\/td><td class="num">\+200 MiB<\/td><td class="num">\+4 MiB<\/td><td class="num">≥ 64 MiB<\/td><td class="num">–<\/td><td class="num">–<\/td><td>–<\/td><\/tr>/);
  assert.match(page, /<b>≥<\/b> marks a lower bound where that reset was not permitted/);
  // Its neighbour ranks what a test kept, and says so.
  assert.match(page, /<h3>Tests that kept the most memory <span class="muted">\(retained RSS: their process&#39;s RSS|<h3>Tests that kept the most memory <span class="muted">\(retained RSS: their process's RSS/);
  assert.match(page, /<th>Test<\/th><th>Retained RSS<\/th><th>RSS at its end<\/th><th>GPU memory, end − start<\/th><th>Worker<\/th>/);
  assert.doesNotMatch(page, /Top memory tests/);
  // The peaks table comes first, then what was kept.
  assert.ok(page.indexOf('Tests that needed the most memory') < page.indexOf('Tests that kept the most memory'));
  // Only exact peaks: no word about lower bounds.
  const exact = chunkData('exact', { topPeakTests: [seriesChunk().report.topPeakTests[0]!] });
  assert.doesNotMatch(build([exact]), /marks a lower bound/);
  assert.match(build([chunkData('none')]), /<h3>Tests that needed the most memory .*?<\/h3><p class="muted">No test&#39;s peak is known|No test's peak is known/);
});

test("a test-series verdict: its source, each process's figures rounded, the suspects, and the timeline as second witness", () => {
  const page = build([seriesChunk()]);
  assert.match(page, /<h3>Leak verdict<\/h3><p><span class="badge verdict-leak">leak<\/span> gw1 grew 240 MiB over 54 tests \(\+83%\), past the allowance of 5\.4% of its RSS, and was still rising over the last third of its tests\. RSS growth judged: \+83\.3%\.<\/p>/);
  assert.match(page, /From each pytest process's RSS after each of its tests, in the order it ran them/);
  assert.match(page, /<th>Process<\/th><th>Verdict<\/th><th>Tests judged<\/th><th>RSS growth \(fitted\)<\/th><th>Of its RSS after warm-up<\/th><th>Allowed<\/th><th>Per test<\/th><th>Why<\/th>/);
  assert.match(page, /<tr><td>gw1 \(pid 4102\)<\/td><td><span class="badge verdict-leak">leak<\/span><\/td><td class="num">54 of 60 \(6 warm-up\)<\/td><td class="num">\+240 MiB<\/td><td class="num">\+83\.3%<\/td><td class="num">16 MiB<\/td><td class="num">\+4\.44 MiB<\/td><td class="message">grew 240 MiB, past the allowance/);
  assert.match(page, /<tr><td>gw0 \(pid 4101\)<\/td><td><span class="badge verdict-stable">stable<\/span><\/td><td class="num">36 of 40 \(4 warm-up\)<\/td><td class="num">\+1\.23 MiB<\/td><td class="num">\+1\.0%<\/td><td class="num">16 MiB<\/td><td class="num">\+33\.8 KiB<\/td>/);
  assert.match(page, /<li><code>tests\/test_leaky\.py::test_keeps_&lt;b&gt;4MiB&lt;\/b&gt;<\/code>: 60 runs, \+240 MiB of RSS kept \(98\.8% of the growth\)<\/li>/);
  assert.match(page, /Second witness, the sampled RSS of the chunk's processes over time: <span class="badge verdict-warning">warning<\/span> grew 12\.3% at 1 MiB\/s, slowing; slope \+1 MiB\/s, growth \+12\.3% \(allowed 5\.4%\), 10 samples every 500ms\./);
  assert.match(page, /<div class="figure" title="from the test series of each pytest process"><dt>Leak<\/dt>/);
});

test('the peak says where it comes from, beside the other peaks measured, and the limit names the metric it is checked against', () => {
  const page = build([seriesChunk()]);
  assert.match(page, /<div class="figure" title="exact: the kernel&#39;s high-water mark of memory charged to the chunk&#39;s cgroup \(cgroup v1 memory\.max_usage_in_bytes\), page cache included"><dt>Peak memory \(source\) \/ limit<\/dt><dd>812 MiB cgroup \/ 1 GiB<\/dd><\/div>/);
  assert.match(page, /<li>Peak memory 812 MiB \(cgroup\): exact: the kernel&#39;s high-water mark/);
  assert.match(page, /<li>Sampled, summed over the chunk's processes \(10 samples every 500ms, lower bounds\): RSS 700 MiB at its highest sample; PSS 651 MiB at its highest reading\.<\/li>/);
  assert.match(page, /<li>Memory limit 1 GiB, checked against the sampled PSS\.<\/li>/);
  // The counts say where they were counted.
  assert.match(page, /<div class="figure" title="counted from the run-chunks plugin&#39;s events"><dt>Passed<\/dt><dd>3<\/dd><\/div>/);
  // The kernel's figure is the headline here, so it is not listed twice.
  assert.doesNotMatch(page, /Kernel peak of the chunk's cgroup/);
  // The summary table names each metric, and its peak cell says where the figure comes from on hover.
  assert.match(page, /<th>Peak memory \(source\) \/ limit<\/th><th>RSS growth<\/th><th>Leak<\/th>/);
  assert.match(page, /<td class="num" title="exact: the kernel&#39;s high-water mark[^"]*">812 MiB cgroup \/ 1 GiB<\/td>/);
});

test('no figure the page shows carries more than a tenth of precision (SVG coordinates, script and data aside)', () => {
  const text = visibleText(build([seriesChunk()]));
  assert.ok(text.includes('812 MiB'), 'the text was extracted');
  const long = text.match(/\d+\.\d{2,}/g) ?? [];
  // formatBytes keeps three significant digits ("1.23 MiB", "4.44 MiB"); nothing else has two decimals or more.
  assert.deepEqual(long.filter((number) => !/^\d\.\d\d$/.test(number)), []);
  assert.doesNotMatch(text, /5\.35|83\.33|0\.98|12\.345/);
});
