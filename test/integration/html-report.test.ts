import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, test } from 'node:test';
import { HTML_REPORT_FILE_NAME, writeHtmlReport } from '../../src/html/html-reporter.js';
import type { RunReport } from '../../src/results/report-types.js';
import { assertNoLeftovers, chunkOf, makeSuiteProject, readReport, runCli } from '../helpers/cli.js';

// A test whose id and failure message would run script in the report if they were not escaped.
// Each payload marks the page (data-pwned) if it runs, so the dumped DOM shows it.
const HOSTILE_PAYLOAD = '<script>document.documentElement.dataset.pwned=1;window.__pwned=1</script>';
const HOSTILE_NODEID = `tests/test_hostile.py::test_hostile_name[${HOSTILE_PAYLOAD}]`;
const HOSTILE_TEST = `import pytest

pytestmark = pytest.mark.failing


@pytest.mark.parametrize("payload", [${JSON.stringify(HOSTILE_PAYLOAD)}])
def test_hostile_name(payload):
    assert False, '<img src=x onerror="document.documentElement.dataset.pwned=2"> and ' + payload
`;

const CHROMIUM_NAMES = ['chromium', 'chromium-browser'];
// Flags that keep a headless Chromium from reaching the network or the user's profile.
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];
const CHROMIUM_TIMEOUT_MS = 90_000;
const APT_TIMEOUT_MS = 600_000;
const SCREENSHOT_SIZE = { width: 1400, height: 2000 };

interface CommandResult {
  code: number | null;
  stdout: string;
  output: string;
  pid: number | undefined;
}

/** Runs a command in its own process group; past `timeoutMs` the group is SIGKILLed. */
function runCommand(command: string, args: string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      output += data.toString();
    });
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    const timer = setTimeout(() => killGroup(child.pid), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, output: `${output}${error.message}`, pid: child.pid });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, output, pid: child.pid });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}

function findOnPath(names: readonly string[]): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not here.
      }
    }
  }
  return undefined;
}

/** Chromium's path, installing Debian's package when it is missing; or why there is none. */
async function ensureChromium(): Promise<{ binary: string } | { problem: string }> {
  const found = findOnPath(CHROMIUM_NAMES);
  if (found) return { binary: found };
  let install = await runCommand('apt-get', ['install', '-y', 'chromium'], APT_TIMEOUT_MS);
  if (install.code !== 0) {
    // A fresh container has no package lists yet.
    await runCommand('apt-get', ['update'], APT_TIMEOUT_MS);
    install = await runCommand('apt-get', ['install', '-y', 'chromium'], APT_TIMEOUT_MS);
  }
  const installed = findOnPath(CHROMIUM_NAMES);
  if (installed) return { binary: installed };
  return { problem: `headless Chromium is not installed and \`apt-get install -y chromium\` failed (exit ${install.code}): ${install.output.trim().split('\n').slice(-3).join(' / ')}` };
}

/** Live (not zombie) processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (/\) [ZX] /.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** Runs headless Chromium on `url` with its own profile; kills its group after, and checks nothing of it is left. */
async function runChromium(binary: string, args: string[], url: string): Promise<CommandResult> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'run-chunks-chromium-'));
  try {
    const result = await runCommand(binary, [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`, ...args, url], CHROMIUM_TIMEOUT_MS);
    killGroup(result.pid);
    // Its helpers (zygote, crash handler) carry the profile path: give them a moment to go, then none may be left.
    const deadline = Date.now() + 5000;
    while (processesMentioning(userDataDir).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const left = processesMentioning(userDataDir);
    for (const pid of left) killGroup(pid);
    assert.deepEqual(left, [], `Chromium processes left running: ${left.join(', ')}`);
    return result;
  } finally {
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'not a PNG file');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`))].length;
}

let report: RunReport;
let htmlFile: string;
let chromium: { binary: string } | { problem: string };

before(
  async () => {
    const { dir } = makeSuiteProject({
      // Sampled often, so even these short chunks draw a line.
      defaults: { sampleInterval: '100ms' },
      chunks: [
        { name: 'passing', markers: 'first' },
        { name: 'failing', markers: 'failing' },
        { name: 'runaway', markers: 'runaway', memoryLimit: '400MB', sampleInterval: '200ms', gracePeriod: '2s', retryOnOom: 0 },
      ],
    });
    writeFileSync(path.join(dir, 'tests', 'test_hostile.py'), HOSTILE_TEST);
    // Two at a time, so the overview has chunks that overlap and their summed memory.
    const result = await runCli(['--parallel-chunks', '2'], { cwd: dir });
    assert.equal(result.exitCode, 3, result.stdout + result.stderr);
    assertNoLeftovers(result.tag);
    report = readReport(dir);
    // The CLI does not write report.html yet: it is written here as the run and `merge` will.
    htmlFile = await writeHtmlReport(report);
    chromium = await ensureChromium();
  },
  { timeout: APT_TIMEOUT_MS * 3 },
);

test('report.html of a real run: the overview, a chart per chunk, the tables, every name escaped, nothing external', () => {
  assert.equal(htmlFile, path.join(report.reportDir, HTML_REPORT_FILE_NAME));
  assert.deepEqual(
    report.chunks.map((chunk) => [chunk.name, chunk.status]),
    [
      ['passing', 'passed'],
      ['failing', 'failed'],
      ['runaway', 'memory-limit'],
    ],
  );
  assert.equal(chunkOf(report, 'runaway').blamedTests[0]?.nodeid, 'tests/test_memory.py::test_runs_away_with_memory');
  const html = readFileSync(htmlFile, 'utf8');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
  assert.equal(count(html, /<svg class="chart gantt"/), 1);
  assert.equal(count(html, /<svg class="chart machine-total"/), 1, 'the chunks overlapped: their summed memory is drawn');
  assert.equal(count(html, /<svg class="chart memory-chart"/), 3);
  assert.equal(count(html, /<section class="chunk"/), 3);
  assert.equal(count(html, /<table class="summary"/), 1);
  // The runaway's limit, and its blamed test highlighted on the chart and listed as killed.
  assert.match(html, /<g class="limit"><line [^>]*\/><text [^>]*>memory limit 400 MB<\/text><\/g>/);
  assert.equal(count(html, /data-blamed="true"/), 1);
  assert.match(html, /<tr class="outcome-killed"><td class="nodeid">tests\/test_memory\.py::test_runs_away_with_memory<\/td>/);
  assert.match(html, /<tr class="outcome-failed"><td class="nodeid">tests\/test_failing\.py::test_fails<\/td><td>failed<\/td><td class="num">1<\/td><td class="message">AssertionError: arithmetic is broken/);
  // The hostile id and message are there as text only.
  assert.ok(html.includes('test_hostile_name[&lt;script&gt;document.documentElement.dataset.pwned=1;window.__pwned=1&lt;/script&gt;]'));
  assert.ok(html.includes('&lt;img src=x onerror=&quot;document.documentElement.dataset.pwned=2&quot;&gt;'));
  assert.ok(!html.includes(HOSTILE_PAYLOAD));
  assert.ok(!/<img/i.test(html));
  assert.equal(count(html, /<script>/i), 1, 'the page has its own one script and no other');
  assert.equal(count(html, /<script/i), 2, 'and one JSON data block, which a browser never runs');
  // Every test is in the All tests data, parsed back exactly, the hostile id included; the static first page shows them as text.
  const block = /<script type="application\/json" id="all-tests-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(block !== undefined, 'no All tests data');
  const data = JSON.parse(block) as { chunks: string[]; rows: [number, string, string, number | null, number | null, string | null, number | null, string | null, number][] };
  assert.deepEqual(data.chunks, ['passing', 'failing', 'runaway']);
  for (const [index, chunk] of report.chunks.entries()) {
    const rows = data.rows.filter((row) => row[0] === index);
    assert.equal(rows.filter((row) => row[2] === 'passed').length, chunk.tests?.passed, `${chunk.name}: passed`);
    assert.equal(rows.filter((row) => row[2] === 'failed').length, chunk.tests?.failed, `${chunk.name}: failed`);
  }
  assert.ok(data.rows.some((row) => row[1] === HOSTILE_NODEID && row[2] === 'failed'), 'the hostile id, exactly');
  assert.ok(data.rows.some((row) => row[1] === 'tests/test_memory.py::test_runs_away_with_memory' && row[2] === 'killed'));
  // This machine lets the plugin reset VmHWM: every test that ended on its own has an exact peak.
  const ended = data.rows.filter((row) => row[2] === 'passed' || row[2] === 'failed');
  assert.ok(ended.length > 0 && ended.every((row) => row[5] === 'hwm' && row[4] !== null && row[4] > 0), 'exact peaks');
  assert.match(html, /<h2>All tests <span class="muted">\(\d+\)<\/span><\/h2>/);
  // Self-contained: nothing is loaded from anywhere.
  assert.doesNotMatch(html, /\b(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/i);
  assert.doesNotMatch(html, /<link\b/i);
  assert.doesNotMatch(html, /url\(/i);
  assert.doesNotMatch(html, /@import/i);
});

test('report.html opens in headless Chromium: charts and tables in the DOM, no injected script ran; a screenshot is saved', async (t) => {
  if ('problem' in chromium) {
    t.skip(chromium.problem);
    return;
  }
  const url = pathToFileURL(htmlFile).href;
  const dumped = await runChromium(chromium.binary, ['--dump-dom'], url);
  assert.equal(dumped.code, 0, dumped.output);
  const dom = dumped.stdout;
  // The page's own script ran (so scripts do run here), and neither injected one did.
  assert.match(dom, /<html lang="en" data-js="on" data-all-tests="on">/);
  assert.doesNotMatch(dom, /data-pwned/);
  assert.equal(count(dom, /<script>/i), 1);
  assert.equal(count(dom, /<script/i), 2);
  // The All tests script ran under the page's CSP: it drew the rows and set what only it sets.
  assert.match(dom, /<button type="button" id="all-tests-prev" disabled="">/);
  assert.match(dom, /<span id="all-tests-status" aria-live="polite">Rows 1–\d+ of \d+<\/span>/);
  assert.ok(count(dom, /<tr class="outcome-/) >= 3, 'rows drawn');
  assert.equal(count(dom, /<img/i), 0);
  assert.ok(dom.includes('test_hostile_name[&lt;script&gt;document.documentElement.dataset.pwned=1;window.__pwned=1&lt;/script&gt;]'), 'the hostile id is shown as text');
  assert.equal(count(dom, /<svg class="chart memory-chart"/), 3);
  assert.equal(count(dom, /<svg class="chart gantt"/), 1);
  assert.equal(count(dom, /<svg class="chart machine-total"/), 1);
  assert.equal(count(dom, /<polyline class="series rss"/), 3);
  assert.equal(count(dom, /<table class="summary"/), 1);
  assert.ok(count(dom, /<table class="tests"/) >= 3, 'top memory tests and failed tests tables');
  assert.ok(dom.includes('<td class="nodeid">tests/test_hostile.py::test_hostile_name[&lt;script&gt;'), 'the hostile id as text in the All tests rows too');
  assert.equal(count(dom, /<g class="bar status-/), 3);

  const artifactsDir = mkdtempSync(path.join(tmpdir(), 'run-chunks-html-report-'));
  mkdirSync(artifactsDir, { recursive: true });
  const screenshot = path.join(artifactsDir, 'report.png');
  const shot = await runChromium(chromium.binary, [`--screenshot=${screenshot}`, `--window-size=${SCREENSHOT_SIZE.width},${SCREENSHOT_SIZE.height}`], url);
  assert.equal(shot.code, 0, shot.output);
  assert.deepEqual(pngSize(readFileSync(screenshot)), SCREENSHOT_SIZE);
  t.diagnostic(`screenshot of report.html: ${screenshot}`);
});
