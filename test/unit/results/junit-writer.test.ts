import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { buildJunitSuiteXml, buildMergedJunitXml, type JunitSuite, type JunitTestCase } from '../../../src/results/junit-writer.js';
import { parseJunitCounts } from '../../../src/results/parse-junit.js';
import { junitNamesFromNodeid } from '../../../src/results/pytest-junit-names.js';

// Compiled to dist/test/unit/results/, four levels below the repository root.
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const NO_PYTHON = existsSync(VENV_PYTHON) ? false : `no test venv at ${VENV_PYTHON} (npm run setup:python)`;
const NO_XMLLINT = spawnSync('xmllint', ['--version']).error ? 'xmllint is not installed: strict libxml2 check skipped' : false;

function testCase(nodeid: string, outcome: JunitTestCase['outcome'], overrides: Partial<JunitTestCase> = {}): JunitTestCase {
  return { nodeid, outcome, durationMs: 12, message: null, details: null, file: null, line: null, properties: {}, ...overrides };
}

function suite(name: string, cases: JunitTestCase[], overrides: Partial<JunitSuite> = {}): JunitSuite {
  return { name, timestamp: '2026-05-01T10:00:00.000Z', durationMs: 1500, properties: {}, cases, ...overrides };
}

const MIXED = suite(
  'unit',
  [
    testCase('tests/unit/test_a.py::TestX::test_y[param-1]', 'passed', { file: 'tests/unit/test_a.py', line: 7, properties: { rssDeltaBytes: 1024, worker: 'gw0' } }),
    testCase('tests/unit/test_a.py::test_fail', 'failed', { message: 'assert 1 == 2', details: 'def test_fail():\n>   assert 1 == 2' }),
    testCase('tests/unit/test_a.py::test_err', 'error', { message: 'failed on setup', details: 'RuntimeError' }),
    testCase('tests/unit/test_a.py::test_skip', 'skipped', { message: 'later', details: 'test_a.py:12: later' }),
    testCase('tests/unit/test_a.py::test_big', 'killed', { message: 'chunk killed: memory limit', details: 'rss 9 GB' }),
    testCase('tests/unit/test_a.py::test_after', 'not-run', { message: 'never started: the chunk was killed' }),
    testCase('tests/unit/test_a.py::test_after2', 'not-run', { message: 'never started: the chunk was killed', durationMs: null }),
  ],
  { properties: { status: 'memory-limit', exitCode: -9, peakRssBytes: 9_000_000_000 }, systemOut: 'log: report/unit/output.log' },
);

type Element = { tag: string; attrs: Record<string, string>; text: string };

const jsParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Decodes numeric character references (&#10;) the way every XML parser does.
  htmlEntities: true,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  preserveOrder: true,
});

type OrderedNode = { [key: string]: OrderedNode[] | string | Record<string, string> | undefined; ':@'?: Record<string, string> };

/** Every element in document order, read with fast-xml-parser. */
function readElements(xml: string): Element[] {
  const elements: Element[] = [];
  const walk = (nodes: OrderedNode[]): void => {
    for (const node of nodes) {
      const tag = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
      if (tag === undefined || tag.startsWith('?')) continue;
      const children = node[tag] as OrderedNode[];
      const text = children.map((child) => (typeof child['#text'] === 'string' ? child['#text'] : '')).join('');
      elements.push({ tag, attrs: node[':@'] ?? {}, text });
      walk(children);
    }
  };
  walk(jsParser.parse(xml) as OrderedNode[]);
  return elements;
}

/** Every element in document order, read with Python's expat, a strict XML 1.0 parser. */
function readElementsWithExpat(xml: string): Element[] {
  const script = [
    'import sys, json, xml.dom.minidom as m',
    'd = m.parseString(sys.stdin.buffer.read())',
    'text = lambda e: "".join(n.data for n in e.childNodes if n.nodeType in (n.TEXT_NODE, n.CDATA_SECTION_NODE))',
    'json.dump([{"tag": e.tagName, "attrs": dict(e.attributes.items()), "text": text(e)} for e in d.getElementsByTagName("*")], sys.stdout)',
  ].join('\n');
  const result = spawnSync(VENV_PYTHON, ['-c', script], { input: Buffer.from(xml, 'utf8'), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(result.status, 0, `expat rejected the XML: ${result.stderr}`);
  return JSON.parse(result.stdout) as Element[];
}

/** Strips the whitespace-only text that pretty-printing puts between elements. */
function withoutIndentText(elements: Element[]): Element[] {
  return elements.map((element) => ({ ...element, text: element.text.trim() === '' ? '' : element.text }));
}

test('node ids map to classname and name like pytest: brackets kept, .py stripped, / to dots', () => {
  assert.deepEqual(junitNamesFromNodeid('tests/unit/test_a.py::TestX::test_y[param-1]'), { classname: 'tests.unit.test_a.TestX', name: 'test_y[param-1]' });
  assert.deepEqual(junitNamesFromNodeid('test_b.py::test_z'), { classname: 'test_b', name: 'test_z' });
  assert.deepEqual(junitNamesFromNodeid('a/test_c.py::T::U::t[x::y/z.py]'), { classname: 'a.test_c.T.U', name: 't[x::y/z.py]' });
  assert.deepEqual(junitNamesFromNodeid('a/test_c.py'), { classname: '', name: 'a.test_c' });
});

test('classname and name match what real pytest writes for the same node ids', { skip: NO_PYTHON }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-junit-names-'));
  try {
    const files: Record<string, string> = {
      'pytest.ini': '[pytest]\n',
      'conftest.py': [
        'import json',
        'def pytest_collection_modifyitems(session, config, items):',
        '    with open("nodeids.json", "w") as f:',
        '        json.dump([item.nodeid for item in items], f)',
      ].join('\n'),
      'test_b.py': 'def test_z():\n    pass\n',
      'tests/__init__.py': '',
      'tests/unit/__init__.py': '',
      'tests/unit/test_a.py': [
        'import pytest',
        'IDS = ["param-1", "a.b/c", "x::y", "sp ace", "br[a]ck", "<&>\\"\'", "m.py"]',
        'class TestX:',
        '    @pytest.mark.parametrize("p", IDS, ids=IDS)',
        '    def test_y(self, p):',
        '        pass',
        '    class TestInner:',
        '        def test_deep(self):',
        '            pass',
        'def test_plain():',
        '    pass',
      ].join('\n'),
      'tests/test_py.py': 'def test_w():\n    pass\n',
      'sub/dir/test_c.py': 'def test_q():\n    pass\n',
    };
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), content);
    }
    const run = spawnSync(VENV_PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--rootdir', dir, '--junitxml', 'out.xml'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTEST_ADDOPTS: '' },
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const nodeids = JSON.parse(readFileSync(path.join(dir, 'nodeids.json'), 'utf8')) as string[];
    const pytestNames = readElements(readFileSync(path.join(dir, 'out.xml'), 'utf8'))
      .filter((element) => element.tag === 'testcase')
      .map(({ attrs }) => ({ classname: attrs.classname, name: attrs.name }));
    assert.equal(nodeids.length, 12);
    // Without xdist pytest runs (and writes) tests in collection order.
    assert.deepEqual(nodeids.map(junitNamesFromNodeid), pytestNames);
    // And our writer puts the same names in the XML.
    const ours = readElements(buildJunitSuiteXml(suite('c', nodeids.map((nodeid) => testCase(nodeid, 'passed')))))
      .filter((element) => element.tag === 'testcase')
      .map(({ attrs }) => ({ classname: attrs.classname, name: attrs.name }));
    assert.deepEqual(ours, pytestNames);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('round trip with parseJunitCounts: killed counts as an error, not-run as skipped', () => {
  const expected = { total: 7, passed: 1, failed: 1, skipped: 3, errors: 2, xfailed: 0, xpassed: 0 };
  assert.deepEqual(parseJunitCounts(buildJunitSuiteXml(MIXED)), expected);
  const other = suite('gpu', [testCase('t.py::a', 'passed'), testCase('t.py::b', 'failed')]);
  assert.deepEqual(parseJunitCounts(buildMergedJunitXml([MIXED, other])), { total: 9, passed: 2, failed: 2, skipped: 3, errors: 2, xfailed: 0, xpassed: 0 });
  assert.deepEqual(parseJunitCounts(buildMergedJunitXml([])), { total: 0, passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
});

test('a chunk document: declaration, counts, times in seconds, properties, outcome elements', () => {
  const xml = buildJunitSuiteXml(MIXED, { hostname: 'ci-runner-1' });
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>'));
  assert.equal(XMLValidator.validate(xml), true);
  const elements = readElements(xml);
  assert.deepEqual(
    elements.filter((element) => element.tag === 'testsuites' || element.tag === 'testsuite').map(({ attrs }) => attrs),
    [
      { name: 'unit', errors: '2', failures: '1', skipped: '3', tests: '7', time: '1.500' },
      { name: 'unit', errors: '2', failures: '1', skipped: '3', tests: '7', time: '1.500', timestamp: '2026-05-01T10:00:00.000Z', hostname: 'ci-runner-1' },
    ],
  );
  const testcases = elements.filter((element) => element.tag === 'testcase').map(({ attrs }) => attrs);
  assert.deepEqual(testcases[0], { classname: 'tests.unit.test_a.TestX', name: 'test_y[param-1]', file: 'tests/unit/test_a.py', line: '7', time: '0.012' });
  assert.deepEqual(testcases[6], { classname: 'tests.unit.test_a', name: 'test_after2', time: '0.000' });
  const outcomes = elements.filter((element) => ['failure', 'error', 'skipped'].includes(element.tag));
  assert.deepEqual(outcomes, [
    { tag: 'failure', attrs: { message: 'assert 1 == 2' }, text: 'def test_fail():\n>   assert 1 == 2' },
    { tag: 'error', attrs: { message: 'failed on setup' }, text: 'RuntimeError' },
    { tag: 'skipped', attrs: { type: 'pytest.skip', message: 'later' }, text: 'test_a.py:12: later' },
    { tag: 'error', attrs: { type: 'run-chunks.killed', message: 'chunk killed: memory limit' }, text: 'rss 9 GB' },
    { tag: 'skipped', attrs: { type: 'run-chunks.not-run', message: 'never started: the chunk was killed' }, text: '' },
    { tag: 'skipped', attrs: { type: 'run-chunks.not-run', message: 'never started: the chunk was killed' }, text: '' },
  ]);
  assert.deepEqual(
    elements.filter((element) => element.tag === 'property').map(({ attrs }) => attrs),
    [
      { name: 'status', value: 'memory-limit' },
      { name: 'exitCode', value: '-9' },
      { name: 'peakRssBytes', value: '9000000000' },
      { name: 'rssDeltaBytes', value: '1024' },
      { name: 'worker', value: 'gw0' },
    ],
  );
  assert.deepEqual(elements.find((element) => element.tag === 'system-out')?.text, 'log: report/unit/output.log');
});

test('merged document: one testsuite per chunk in order, totals on the root, optional attributes left out', () => {
  const second = suite('gpu', [testCase('t.py::a', 'error')], { timestamp: null, durationMs: 250.4 });
  const elements = readElements(buildMergedJunitXml([MIXED, second], 'my run'));
  const [root, ...suites] = elements.filter((element) => element.tag === 'testsuites' || element.tag === 'testsuite');
  assert.deepEqual(root?.attrs, { name: 'my run', errors: '3', failures: '1', skipped: '3', tests: '8', time: '1.750' });
  assert.deepEqual(
    suites.map(({ attrs }) => attrs),
    [
      { name: 'unit', errors: '2', failures: '1', skipped: '3', tests: '7', time: '1.500', timestamp: '2026-05-01T10:00:00.000Z' },
      { name: 'gpu', errors: '1', failures: '0', skipped: '0', tests: '1', time: '0.250' },
    ],
  );
  assert.equal(elements.filter((element) => element.tag === 'system-out').length, 1);
  assert.equal(readElements(buildMergedJunitXml([]))[0]?.attrs.name, 'run-chunks');
});

test('a property whose value is "true" keeps its value (the builder would write a bare attribute)', () => {
  const xml = buildJunitSuiteXml(suite('c', [testCase('t.py::a', 'passed', { properties: { flaky: 'true' } })], { properties: { required: 'true' } }));
  assert.equal(XMLValidator.validate(xml), true);
  assert.deepEqual(
    readElements(xml).filter((element) => element.tag === 'property').map(({ attrs }) => attrs.value),
    ['true', 'true'],
  );
});

const HOSTILE = `<script>alert(1)</script> & "dq" 'sq' ]]> \u0000nul \u0007bel \u001besc \ud800lone tab\tcr\rlf\n 😀 é`;
// What a reader gets back: forbidden characters shown as pytest shows them, everything else intact.
const HOSTILE_READ_BACK = `<script>alert(1)</script> & "dq" 'sq' ]]> #x00nul #x07bel #x1Besc #xD800lone tab\tcr\rlf\n 😀 é`;

const HOSTILE_SUITE = suite(
  `chunk ${HOSTILE}`,
  [
    testCase(`tests/test_x.py::TestC::test_y[${HOSTILE}]`, 'failed', {
      message: HOSTILE,
      details: `${HOSTILE}\n<![CDATA[ x ]]>`,
      file: `tests/${HOSTILE}.py`,
      properties: { [`key ${HOSTILE}`]: HOSTILE },
    }),
    testCase('tests/test_x.py::test_k', 'killed', { message: HOSTILE, details: HOSTILE }),
  ],
  { properties: { reason: HOSTILE }, systemOut: HOSTILE },
);

function assertHostileReadBack(elements: Element[]): void {
  const testsuite = elements.find((element) => element.tag === 'testsuite');
  assert.equal(testsuite?.attrs.name, `chunk ${HOSTILE_READ_BACK}`);
  const testcase = elements.find((element) => element.tag === 'testcase');
  assert.equal(testcase?.attrs.classname, 'tests.test_x.TestC');
  assert.equal(testcase?.attrs.name, `test_y[${HOSTILE_READ_BACK}]`);
  assert.equal(testcase?.attrs.file, `tests/${HOSTILE_READ_BACK}.py`);
  const failure = elements.find((element) => element.tag === 'failure');
  assert.deepEqual(failure?.attrs, { message: HOSTILE_READ_BACK });
  assert.equal(failure?.text, `${HOSTILE_READ_BACK}\n<![CDATA[ x ]]>`);
  const killed = elements.find((element) => element.tag === 'error');
  assert.deepEqual(killed, { tag: 'error', attrs: { type: 'run-chunks.killed', message: HOSTILE_READ_BACK }, text: HOSTILE_READ_BACK });
  assert.deepEqual(
    elements.filter((element) => element.tag === 'property').slice(0, 2).map(({ attrs }) => attrs),
    [
      { name: 'reason', value: HOSTILE_READ_BACK },
      { name: `key ${HOSTILE_READ_BACK}`, value: HOSTILE_READ_BACK },
    ],
  );
  assert.equal(elements.find((element) => element.tag === 'system-out')?.text, HOSTILE_READ_BACK);
}

test('markup, quotes, ]]>, control characters and lone surrogates: well-formed, and read back intact', () => {
  const xml = buildMergedJunitXml([HOSTILE_SUITE], HOSTILE);
  assert.equal(XMLValidator.validate(xml), true);
  assert.doesNotMatch(xml, /<script>/);
  // No character XML 1.0 forbids, and no unpaired surrogate, anywhere in the output.
  assert.doesNotMatch(xml, /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  assert.deepEqual(parseJunitCounts(xml), { total: 2, passed: 0, failed: 1, skipped: 0, errors: 1, xfailed: 0, xpassed: 0 });
  assertHostileReadBack(readElements(xml));
});

test('a strict XML 1.0 parser (Python expat) accepts the output and reads the same values', { skip: NO_PYTHON }, () => {
  const xml = buildMergedJunitXml([HOSTILE_SUITE, MIXED], HOSTILE, { hostname: HOSTILE });
  const strict = readElementsWithExpat(xml);
  assertHostileReadBack(strict);
  assert.deepEqual(withoutIndentText(strict), withoutIndentText(readElements(xml)));
});

test('xmllint --noout accepts the output', { skip: NO_XMLLINT }, () => {
  const xml = buildMergedJunitXml([HOSTILE_SUITE, MIXED], HOSTILE, { hostname: HOSTILE });
  const result = spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
});

test('20,000 test cases build in well under a few seconds (no quadratic string building)', () => {
  const cases = Array.from({ length: 20_000 }, (_, index) =>
    testCase(`tests/unit/test_m${index % 50}.py::TestX::test_y[${index}]`, index % 10 === 0 ? 'failed' : 'passed', {
      message: index % 10 === 0 ? 'assert x' : null,
      details: index % 10 === 0 ? 'Traceback (most recent call last):\n'.repeat(10) : null,
      properties: { rssDeltaBytes: index * 1000, worker: `gw${index % 8}` },
    }),
  );
  const startMs = performance.now();
  const xml = buildMergedJunitXml([suite('big', cases.slice(0, 10_000)), suite('big2', cases.slice(10_000))]);
  const elapsedMs = performance.now() - startMs;
  // About 0.35 s on a laptop; quadratic building would take minutes.
  assert.ok(elapsedMs < 5_000, `took ${elapsedMs.toFixed(0)} ms`);
  assert.deepEqual(parseJunitCounts(xml), { total: 20_000, passed: 18_000, failed: 2_000, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
});
