// Writes JUnit XML from per-test records: to rebuild a chunk's file when pytest died before writing
// its own, and to merge every chunk into one <report-dir>/junit.xml for CI (GitHub, GitLab,
// Jenkins). Pure functions: the caller decides where the text goes.
import { XMLBuilder } from 'fast-xml-parser';
import { KILLED_TYPE, NOT_RUN_TYPE, OUTCOME_PROPERTY, SKIP_TYPE, suiteCountOf, XFAIL_REASON_PROPERTY, XFAIL_TYPE, xfailReasonOf, type JunitOutcome } from './junit-case-outcome.js';
import { ESCAPING_BUILDER_OPTIONS } from './junit-xml-text.js';
import { junitNamesFromNodeid } from './pytest-junit-names.js';

export type { JunitOutcome } from './junit-case-outcome.js';

/** One test, as the JUnit writer needs it. */
export interface JunitTestCase {
  /** pytest node id, e.g. "tests/unit/test_a.py::TestX::test_y[param-1]". */
  nodeid: string;
  outcome: JunitOutcome;
  durationMs: number | null;
  /** One line: why it failed, was skipped or was killed. */
  message: string | null;
  /** Longer text (pytest's longrepr). */
  details: string | null;
  file: string | null;
  /** Written as given; GitHub and GitLab annotations expect it 1-based (pytest's location is 0-based). */
  line: number | null;
  /** e.g. rssDeltaBytes, rssEndBytes, gpuDeltaBytes, worker, attempt. */
  properties: Record<string, string | number>;
}

/** One chunk, written as one <testsuite>. */
export interface JunitSuite {
  /** The chunk name. */
  name: string;
  /** ISO start time. */
  timestamp: string | null;
  durationMs: number;
  /** e.g. status, exitCode, peakRssBytes. */
  properties: Record<string, string | number>;
  cases: JunitTestCase[];
  /** Optional text for <system-out>, e.g. a pointer to the log file. */
  systemOut?: string | null;
}

/** Settings that are not part of the records. */
export interface JunitXmlOptions {
  /** Written as each testsuite's hostname attribute (e.g. os.hostname()); left out when absent. */
  hostname?: string | null;
}

// Attributes are '@_'-prefixed keys; text is '#text'. null or undefined attributes are left out.
type XmlNode = { [key: string]: string | null | undefined | XmlNode | XmlNode[] };

const builder = new XMLBuilder({ ...ESCAPING_BUILDER_OPTIONS, textNodeName: '#text' });

interface SuiteCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function formatSeconds(durationMs: number | null): string {
  return durationMs !== null && Number.isFinite(durationMs) && durationMs > 0 ? (durationMs / 1000).toFixed(3) : '0.000';
}

function countCases(cases: readonly JunitTestCase[]): SuiteCounts {
  const counts: SuiteCounts = { tests: cases.length, failures: 0, errors: 0, skipped: 0 };
  for (const { outcome } of cases) {
    const counted = suiteCountOf(outcome);
    if (counted !== null) counts[counted] += 1;
  }
  return counts;
}

function propertiesNode(properties: Record<string, string | number>): XmlNode | undefined {
  const entries = Object.entries(properties);
  if (entries.length === 0) return undefined;
  return { property: entries.map(([name, value]) => ({ '@_name': name, '@_value': String(value) })) };
}

/** The child element that tells a JUnit reader the outcome; passed tests have none. */
function outcomeElement(testCase: JunitTestCase): [tag: string, node: XmlNode] | undefined {
  const text = testCase.details ?? undefined;
  const message = testCase.message;
  switch (testCase.outcome) {
    case 'passed':
    case 'xpassed':
      return undefined;
    case 'failed':
      return ['failure', { '@_message': message, '#text': text }];
    case 'error':
      return ['error', { '@_message': message, '#text': text }];
    case 'killed':
      return ['error', { '@_type': KILLED_TYPE, '@_message': message, '#text': text }];
    case 'skipped':
      return ['skipped', { '@_type': SKIP_TYPE, '@_message': message, '#text': text }];
    case 'xfailed':
      // As pytest's --junitxml writes it: the reason alone as the message.
      return ['skipped', { '@_type': XFAIL_TYPE, '@_message': xfailReasonOf(message), '#text': text }];
    case 'not-run':
      return ['skipped', { '@_type': NOT_RUN_TYPE, '@_message': message, '#text': text }];
  }
}

/** An xpassed case's properties: pytest writes a non-strict xpass as a plain pass; these tell run-chunks' readers it was one, and of which xfail. */
function xpassProperties(testCase: JunitTestCase): Record<string, string | number> {
  const properties: Record<string, string | number> = { ...testCase.properties, [OUTCOME_PROPERTY]: 'xpassed' };
  if (testCase.message !== null) properties[XFAIL_REASON_PROPERTY] = xfailReasonOf(testCase.message);
  return properties;
}

function testcaseNode(testCase: JunitTestCase): XmlNode {
  const { classname, name } = junitNamesFromNodeid(testCase.nodeid);
  // Attribute order follows pytest's (xunit1 family, the one that writes file and line).
  const node: XmlNode = {
    '@_classname': classname,
    '@_name': name,
    '@_file': testCase.file,
    '@_line': testCase.line === null ? null : String(testCase.line),
    '@_time': formatSeconds(testCase.durationMs),
    properties: propertiesNode(testCase.outcome === 'xpassed' ? xpassProperties(testCase) : testCase.properties),
  };
  const outcome = outcomeElement(testCase);
  if (outcome) node[outcome[0]] = outcome[1];
  return node;
}

function testsuiteNode(suite: JunitSuite, counts: SuiteCounts, options: JunitXmlOptions): XmlNode {
  return {
    '@_name': suite.name,
    '@_errors': String(counts.errors),
    '@_failures': String(counts.failures),
    '@_skipped': String(counts.skipped),
    '@_tests': String(counts.tests),
    '@_time': formatSeconds(suite.durationMs),
    '@_timestamp': suite.timestamp,
    '@_hostname': options.hostname,
    properties: propertiesNode(suite.properties),
    testcase: suite.cases.map(testcaseNode),
    'system-out': suite.systemOut ?? undefined,
  };
}

function buildDocument(suites: readonly JunitSuite[], name: string, options: JunitXmlOptions): string {
  const totals: SuiteCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  let durationMs = 0;
  const testsuite = suites.map((suite) => {
    const counts = countCases(suite.cases);
    totals.tests += counts.tests;
    totals.failures += counts.failures;
    totals.errors += counts.errors;
    totals.skipped += counts.skipped;
    durationMs += Number.isFinite(suite.durationMs) ? Math.max(0, suite.durationMs) : 0;
    return testsuiteNode(suite, counts, options);
  });
  const document: XmlNode = {
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    testsuites: {
      '@_name': name,
      '@_errors': String(totals.errors),
      '@_failures': String(totals.failures),
      '@_skipped': String(totals.skipped),
      '@_tests': String(totals.tests),
      '@_time': formatSeconds(durationMs),
      testsuite,
    },
  };
  return builder.build(document) as string;
}

/** A whole JUnit document for one chunk: <testsuites> holding that chunk's <testsuite>. */
export function buildJunitSuiteXml(suite: JunitSuite, options: JunitXmlOptions = {}): string {
  return buildDocument([suite], suite.name, options);
}

/** One JUnit document for the run: a <testsuites> with one <testsuite> per chunk, in the order given. */
export function buildMergedJunitXml(suites: readonly JunitSuite[], name = 'run-chunks', options: JunitXmlOptions = {}): string {
  return buildDocument(suites, name, options);
}
