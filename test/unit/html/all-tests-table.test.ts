import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import vm from 'node:vm';
import { formatDurationMs } from '../../../src/config/parse-duration.js';
import { formatBytes } from '../../../src/config/parse-size.js';
import { ALL_TESTS_COLUMNS, ALL_TESTS_PAGE_SIZE, ALL_TESTS_SCRIPT } from '../../../src/html/all-tests-script.js';
import { allTestsCells, allTestsData, type AllTestsData, type AllTestsRow } from '../../../src/html/all-tests-table.js';
import { buildHtmlReport, CONTENT_SECURITY_POLICY } from '../../../src/html/build-html-report.js';
import type { HtmlChunkData } from '../../../src/html/html-input.js';
import { bareRecord, type TestRecord } from '../../../src/results/test-records.js';
import { runReport } from '../ci/ci-fixtures.js';
import { chunkData, MIB } from './html-fixtures.js';

// Node ids that would break out of a <script> element, or out of JSON, if they were not escaped.
const HOSTILE_IDS = [
  'tests/t.py::test_x[</script><script>alert(1)</script>]',
  'tests/t.py::test_y[<!--<script>]',
  `tests/t.py::test_q["'\`\\]`,
  'tests/t.py::test_nl[a\nb\r\nc\t]',
  'tests/t.py::test_u[é☃𝄞\u2028\u2029\u0000]',
  'tests/t.py::test_amp[&amp;&lt;</SCRIPT >]',
];

/** `count` records of one chunk, with every kind of figure: exact and lower-bound peaks, unknowns, negative retained RSS. */
function records(count: number, prefix: string, hostile: readonly string[] = []): TestRecord[] {
  return Array.from({ length: count }, (_, index) => {
    const nodeid = hostile[index] ?? `tests/${prefix}/test_mod${index % 37}.py::test_case[${index}]`;
    const start = index % 11 === 0 ? null : (100 + (index % 50)) * MIB;
    return {
      ...bareRecord(nodeid, index % 13 === 0 ? 'failed' : index % 17 === 0 ? 'skipped' : 'passed', '', 1 + (index % 29 === 0 ? 1 : 0)),
      durationMs: index % 19 === 0 ? null : (index * 7919) % 90_000,
      worker: index % 3 === 0 ? null : `gw${index % 4}`,
      rssStartBytes: start,
      rssEndBytes: start === null ? null : start + ((index % 9) - 3) * MIB,
      peakRssBytes: index % 23 === 0 ? null : (150 + ((index * 31) % 400)) * MIB + index,
      peakRssSource: index % 23 === 0 ? null : index % 5 === 0 ? 'start-end' : 'hwm',
    };
  });
}

function bigRun(): HtmlChunkData[] {
  return [chunkData('alpha', {}, { records: records(30_000, 'alpha', HOSTILE_IDS) }), chunkData('beta', {}, { records: records(20_000, 'beta') })];
}

function build(chunks: HtmlChunkData[]): string {
  return buildHtmlReport(runReport(chunks.map((chunk) => chunk.report)), chunks);
}

/** The raw text of the JSON data block, as a browser's parser would hand it to the script. */
function dataBlockText(page: string): string {
  const match = /<script type="application\/json" id="all-tests-data">([\s\S]*?)<\/script/i.exec(page);
  assert.ok(match, 'no data block');
  return match[1]!;
}

function unescapeHtml(text: string): string {
  return text.replace(/&(lt|gt|quot|#39|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[name]!);
}

/** The static rows of the table: each row's class and cell texts. */
function staticRows(page: string): { cls: string; cells: string[] }[] {
  const body = /<tbody id="all-tests-body">([\s\S]*?)<\/tbody>/.exec(page)?.[1];
  assert.ok(body !== undefined, 'no table body');
  return [...body.matchAll(/<tr class="([^"]*)">([\s\S]*?)<\/tr>/g)].map(([, cls, cells]) => ({ cls: cls!, cells: [...cells!.matchAll(/<td(?: class="[^"]*")?>([\s\S]*?)<\/td>/g)].map(([, text]) => unescapeHtml(text!)) }));
}

interface FakeEvent {
  currentTarget: FakeElement;
  key: string | undefined;
  preventDefault(): void;
}

// A document with just what the script uses: elements by id, createElement, textContent,
// attributes, listeners. Enough to run the script as a browser would, and to look at what it drew.
class FakeElement {
  children: FakeElement[] = [];
  className = '';
  disabled = false;
  value = '';
  private readonly attributes = new Map<string, string>();
  private readonly listeners = new Map<string, ((event: FakeEvent) => void)[]>();
  private text = '';

  constructor(readonly tagName: string) {}

  get textContent(): string {
    return this.children.length > 0 ? this.children.map((child) => child.textContent).join('') : this.text;
  }

  set textContent(value: string) {
    this.children = [];
    this.text = value;
  }

  appendChild(child: FakeElement): FakeElement {
    this.children.push(child);
    return child;
  }

  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }

  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }

  addEventListener(type: string, listener: (event: FakeEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  fire(type: string, key?: string): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ currentTarget: this, key, preventDefault: () => undefined });
  }
}

interface ScriptApi {
  formatBytes(bytes: number): string;
  formatDuration(ms: number): string;
  cellTexts(row: AllTestsRow, chunks: string[]): string[];
  selectRows(data: AllTestsData, query: string, sortKey: string | null, descending: boolean): number[];
  pageOf(total: number, page: number): { page: number; pages: number; start: number; end: number; label: string };
  COLUMNS: { key: string; numeric: boolean }[];
}

/** Runs the page's inline script (as it is in the page) against a fake document built from the page's ids. */
function runPage(page: string): { api: ScriptApi; elements: Map<string, FakeElement>; headers: FakeElement[]; root: FakeElement } {
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1];
  assert.ok(script !== undefined, 'no inline script');
  const elements = new Map<string, FakeElement>();
  for (const id of ['all-tests-body', 'all-tests-filter', 'all-tests-status', 'all-tests-prev', 'all-tests-next', 'all-tests-head']) elements.set(id, new FakeElement(id));
  if (page.includes('id="all-tests-data"')) {
    const data = new FakeElement('script');
    data.textContent = dataBlockText(page);
    elements.set('all-tests-data', data);
  }
  const headers = [...page.matchAll(/<th(?: class="[^"]*")? data-column="([a-z]+)" aria-sort="none" tabindex="0">/g)].map(([, key]) => {
    const th = new FakeElement('th');
    th.setAttribute('data-column', key!);
    return th;
  });
  if (page.includes('id="all-tests-head"')) assert.equal(headers.length, ALL_TESTS_COLUMNS.length, 'a header per column');
  elements.get('all-tests-head')!.children = headers;
  const root = new FakeElement('html');
  const documentListeners: (() => void)[] = [];
  const document = {
    documentElement: root,
    getElementById: (id: string) => elements.get(id) ?? null,
    createElement: (tag: string) => new FakeElement(tag),
    addEventListener: (type: string, listener: () => void) => type === 'DOMContentLoaded' && documentListeners.push(listener),
  };
  const context = vm.createContext({ document });
  vm.runInContext(script, context);
  for (const listener of documentListeners) listener();
  return { api: context.RunChunksAllTests as ScriptApi, elements, headers, root };
}

function shownRows(elements: Map<string, FakeElement>): { cls: string; cells: string[] }[] {
  return elements.get('all-tests-body')!.children.map((tr) => ({ cls: tr.className, cells: tr.children.map((td) => td.textContent) }));
}

/** Plain data from the script's realm (its arrays have another Array.prototype). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

test('50,000 tests: the JSON data block holds every one, and parses back exactly, hostile node ids included', () => {
  const chunks = bigRun();
  const page = build(chunks);
  const parsed = JSON.parse(dataBlockText(page)) as AllTestsData;
  assert.deepEqual(parsed.chunks, ['alpha', 'beta']);
  assert.equal(parsed.rows.length, 50_000);
  const all = chunks.flatMap((data, chunk) => data.records.map((record) => ({ chunk, record })));
  for (const [index, { chunk, record }] of all.entries()) {
    const retained = record.rssStartBytes === null || record.rssEndBytes === null ? null : record.rssEndBytes - record.rssStartBytes;
    assert.deepEqual(parsed.rows[index], [chunk, record.nodeid, record.outcome, record.durationMs, record.peakRssBytes, record.peakRssSource, retained, record.worker, record.attempt], `row ${index}`);
  }
  assert.deepEqual(parsed, allTestsData(chunks));
  // Nothing in the data can end its element or open a comment: the page has exactly its two script elements.
  assert.equal((page.match(/<\/script/gi) ?? []).length, 2);
  assert.equal((page.match(/<script/gi) ?? []).length, 2);
  assert.doesNotMatch(page, /<!--/);
  assert.doesNotMatch(dataBlockText(page), /[<>&\u2028\u2029]/);
});

test('without scripts: the first 100 rows are in the page as text, in data order, with a note that the rest needs JavaScript', () => {
  const chunks = bigRun();
  const page = build(chunks);
  const data = allTestsData(chunks);
  const rows = staticRows(page);
  assert.equal(rows.length, ALL_TESTS_PAGE_SIZE);
  for (const [index, row] of rows.entries()) {
    assert.deepEqual(row.cells, allTestsCells(data.rows[index]!, data.chunks), `row ${index}`);
    assert.equal(row.cls, `outcome-${data.rows[index]![2]}`);
  }
  assert.equal(rows[0]!.cells[1], HOSTILE_IDS[0]);
  assert.equal(rows[3]!.cells[1], HOSTILE_IDS[3]);
  // Row 5: a start-end peak, a lower bound; row 1: exact; row 0: unknown.
  assert.equal(rows[5]!.cells[4], `≥ ${formatBytes(305 * MIB + 5)}`);
  assert.equal(rows[1]!.cells[4], formatBytes(181 * MIB + 1));
  assert.equal(rows[0]!.cells[4], '–');
  assert.match(page, /<p class="nojs muted">Without JavaScript: rows 1–100 of 50000, by chunk and in the order the tests were recorded; sorting, search and the other 49900 rows need JavaScript/);
  assert.match(page, /<h2>All tests <span class="muted">\(50000\)<\/span><\/h2>/);
  assert.match(page, /Each of this chunk's 30000 tests, with its figures, is in <a href="#all-tests">All tests<\/a> below\./);
  // The controls and the note swap places when the script has drawn the table and marked the page.
  assert.match(page, /html:not\(\[data-all-tests="on"\]\) \.js-only,html\[data-all-tests="on"\] \.nojs\{display:none\}/);
  assert.match(page, /<div class="table-controls js-only">/);
});

test('a small run shows all its rows without scripts; a run without per-test results says so and has no data block', () => {
  const few = build([chunkData('few', {}, { records: records(3, 'few') })]);
  assert.equal(staticRows(few).length, 3);
  assert.match(few, /Without JavaScript: all 3 rows, by chunk and in the order the tests were recorded; sorting and search need JavaScript\./);
  const none = build([chunkData('none')]);
  assert.match(none, /<h2>All tests<\/h2><p class="muted">No per-test results:/);
  assert.doesNotMatch(none, /id="all-tests-data"/);
  // The script finds no data, draws nothing and leaves the page unmarked.
  const blank = runPage(none);
  assert.equal(blank.elements.get('all-tests-body')!.children.length, 0);
  assert.equal(blank.root.getAttribute('data-all-tests'), null);
});

test("the page's CSP allows its inline script by the SHA-256 of its exact text, and nothing else", () => {
  const page = build(bigRun());
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1]!;
  const hash = createHash('sha256').update(script).digest('base64');
  assert.ok(CONTENT_SECURITY_POLICY.includes(`script-src 'sha256-${hash}';`), CONTENT_SECURITY_POLICY);
  assert.equal((CONTENT_SECURITY_POLICY.match(/sha256-/g) ?? []).length, 1);
  assert.ok(script.includes(ALL_TESTS_SCRIPT));
});

test("the script's number formats are the report's own: formatBytes and formatDurationMs", () => {
  const { api } = runPage(build([chunkData('one', {}, { records: records(2, 'one') })]));
  const sizes = [0, 1, 512, 1023, 1023.6, 1024, 1536, 1048575, 1048576, 5 * MIB + 12345, 999.5 * MIB, 1023.9 * MIB, 1024 ** 3, 3.3 * 1024 ** 4, 2 ** 62];
  for (const bytes of [...sizes, ...sizes.map((value) => -value), ...Array.from({ length: 500 }, (_, index) => Math.floor(1.37 ** index))]) assert.equal(api.formatBytes(bytes), formatBytes(bytes), `bytes ${bytes}`);
  const durations = [0, 0.4, 999.4, 999.6, 1000, 59_949, 59_950, 60_000, 61_000, 3_599_000, 3_600_000, 3_660_000, 90_061_000];
  for (const ms of [...durations, ...Array.from({ length: 300 }, (_, index) => Math.floor(1.07 ** index))]) assert.equal(api.formatDuration(ms), formatDurationMs(ms), `ms ${ms}`);
  assert.deepEqual(plain(api.COLUMNS.map((column) => [column.key, column.numeric])), ALL_TESTS_COLUMNS.map((column) => [column.key, column.numeric]));
});

test('the script sorts by every column (unknowns last, ties in data order), filters node ids in any case, and pages', () => {
  const chunks = [chunkData('b-chunk', {}, { records: records(400, 'b', HOSTILE_IDS) }), chunkData('a-chunk', {}, { records: records(300, 'a') })];
  const { api } = runPage(build(chunks));
  const data = allTestsData(chunks);
  const valueOf: Record<string, (row: AllTestsRow) => string | number | null> = {
    chunk: (row) => data.chunks[row[0]]!,
    nodeid: (row) => row[1],
    outcome: (row) => row[2],
    duration: (row) => row[3],
    peak: (row) => row[4],
    retained: (row) => row[6],
    worker: (row) => row[7],
    attempt: (row) => row[8],
  };
  for (const column of ALL_TESTS_COLUMNS) {
    for (const descending of [false, true]) {
      const order = plain(api.selectRows(data, '', column.key, descending));
      assert.equal(order.length, data.rows.length);
      assert.deepEqual([...order].sort((a, b) => a - b), data.rows.map((_, index) => index), 'a permutation');
      const values = order.map((index) => valueOf[column.key]!(data.rows[index]!));
      const firstNull = values.indexOf(null);
      if (firstNull >= 0) assert.ok(values.slice(firstNull).every((value) => value === null), `${column.key}: unknowns last`);
      for (let index = 1; index < values.length; index += 1) {
        const [a, b] = [values[index - 1]!, values[index]!];
        if (a === null || b === null) continue;
        assert.ok(descending ? a >= b : a <= b, `${column.key} ${descending ? 'desc' : 'asc'} at ${index}: ${a} then ${b}`);
        if (a === b) assert.ok(order[index - 1]! < order[index]!, `${column.key}: a tie keeps the data's order`);
      }
    }
  }
  // Filtering: a case-insensitive substring of the node id, and only of the node id.
  const picked = plain(api.selectRows(data, 'MOD3.PY::TEST_CASE[1', null, false));
  assert.deepEqual(picked, data.rows.flatMap((row, index) => (row[1].toLowerCase().includes('mod3.py::test_case[1') ? [index] : [])));
  assert.ok(picked.length > 0);
  assert.deepEqual(plain(api.selectRows(data, '</SCRIPT>', null, false)), [0]);
  assert.deepEqual(plain(api.selectRows(data, 'a-chunk', null, false)), []);
  // Paging clamps to the pages there are.
  assert.deepEqual(plain(api.pageOf(250, 0)), { page: 0, pages: 3, start: 0, end: 100, label: 'Rows 1–100 of 250' });
  assert.deepEqual(plain(api.pageOf(250, 2)), { page: 2, pages: 3, start: 200, end: 250, label: 'Rows 201–250 of 250' });
  assert.deepEqual(plain(api.pageOf(250, 9)), plain(api.pageOf(250, 2)));
  assert.deepEqual(plain(api.pageOf(0, 0)), { page: 0, pages: 1, start: 0, end: 0, label: 'No rows' });
});

test('run against a document, the script draws a page of rows, and header clicks, the filter and prev/next redraw it', () => {
  const chunks = bigRun();
  const page = build(chunks);
  const data = allTestsData(chunks);
  const { elements, headers, root } = runPage(page);
  const status = elements.get('all-tests-status')!;
  const cellsOf = (index: number): string[] => allTestsCells(data.rows[index]!, data.chunks);
  // First page: the static rows again, now drawn by the script.
  assert.deepEqual(shownRows(elements), staticRows(page));
  assert.equal(root.getAttribute('data-all-tests'), 'on');
  assert.equal(status.textContent, 'Rows 1–100 of 50000');
  assert.equal(elements.get('all-tests-prev')!.disabled, true);
  assert.equal(elements.get('all-tests-next')!.disabled, false);

  elements.get('all-tests-next')!.fire('click');
  assert.equal(status.textContent, 'Rows 101–200 of 50000');
  assert.deepEqual(shownRows(elements)[0]!.cells, cellsOf(100));

  // Peak RSS: the first click shows the largest first.
  const peakHeader = headers.find((th) => th.getAttribute('data-column') === 'peak')!;
  peakHeader.fire('click');
  assert.equal(peakHeader.getAttribute('aria-sort'), 'descending');
  assert.equal(status.textContent, 'Rows 1–100 of 50000', 'a new order starts at its first page');
  const highest = Math.max(...data.rows.map((row) => row[4] ?? -1));
  assert.equal(shownRows(elements)[0]!.cells[4]!.replace('≥ ', ''), formatBytes(highest));
  peakHeader.fire('keydown', 'Tab');
  assert.equal(peakHeader.getAttribute('aria-sort'), 'descending', 'only Enter and Space sort');
  peakHeader.fire('keydown', 'Enter');
  assert.equal(peakHeader.getAttribute('aria-sort'), 'ascending');
  assert.ok(headers.filter((th) => th !== peakHeader).every((th) => th.getAttribute('aria-sort') === 'none'));

  const filter = elements.get('all-tests-filter')!;
  filter.value = '<script>';
  filter.fire('input');
  assert.equal(status.textContent, 'Rows 1–2 of 2 matching (of 50000 tests)');
  assert.deepEqual(new Set(shownRows(elements).map((row) => row.cells[1])), new Set([HOSTILE_IDS[0], HOSTILE_IDS[1]]));
  assert.equal(elements.get('all-tests-next')!.disabled, true);
  filter.value = 'no such test';
  filter.fire('input');
  assert.equal(status.textContent, 'No rows matching (of 50000 tests)');
  assert.equal(shownRows(elements).length, 0);
});
