import { XMLParser } from 'fast-xml-parser';
import { classifyJunitCase, parsedCaseView, type JunitOutcome } from './junit-case-outcome.js';

/**
 * Test counts of one chunk, in pytest's own taxonomy (its summary line's): `failed` excludes
 * `errors` (setup/teardown or collection errors) and counts a strict xpass; `skipped` excludes
 * `xfailed`, and `passed` excludes `xpassed` (a non-strict xpass).
 */
export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
  xfailed: number;
  xpassed: number;
}

/** Counts with every figure 0. */
export function emptyCounts(): TestCounts {
  return { total: 0, passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 };
}

/** Counts as a report.json of an earlier run-chunks holds them: without xfailed and xpassed (it counted them as skipped and passed). */
export type EarlierTestCounts = Omit<TestCounts, 'xfailed' | 'xpassed'> & Partial<Pick<TestCounts, 'xfailed' | 'xpassed'>>;

/** Counts read from any report.json, with an xfailed or xpassed it lacks as 0: its other figures already hold those tests. */
export function withPytestCounts(counts: EarlierTestCounts): TestCounts {
  return { ...counts, xfailed: counts.xfailed ?? 0, xpassed: counts.xpassed ?? 0 };
}

/** Which count a JUnit outcome adds to: a killed test is an error; a never-run one, as JUnit says it, a skip. */
const COUNT_OF_OUTCOME: Record<JunitOutcome, Exclude<keyof TestCounts, 'total'>> = {
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  error: 'errors',
  xfailed: 'xfailed',
  xpassed: 'xpassed',
  killed: 'errors',
  'not-run': 'skipped',
};

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: (name) => name === 'testsuite' || name === 'testcase',
});

/**
 * The elements of one name. The parser gives an element without attributes or children as its
 * text ("" for `<testcase/>`, a number for `<testcase>5</testcase>`): that is still an element,
 * only an empty one, and a `<testcase/>` is a passed test like any other.
 */
function asNodes(value: unknown): XmlNode[] {
  return Array.isArray(value) ? value.map((item): XmlNode => (typeof item === 'object' && item !== null ? (item as XmlNode) : {})) : [];
}

function countSuite(suite: XmlNode, counts: TestCounts): void {
  for (const testcase of asNodes(suite.testcase)) {
    counts.total += 1;
    counts[COUNT_OF_OUTCOME[classifyJunitCase(parsedCaseView(testcase))]] += 1;
  }
  for (const nested of asNodes(suite.testsuite)) countSuite(nested, counts);
}

/**
 * Counts test outcomes in JUnit XML (pytest's and the common variants: a <testsuites> root or a
 * bare <testsuite>, nested suites), each testcase as classifyJunitCase reads it. pytest writes a
 * non-strict xpass as a plain pass, so in its own JUnit an xpass counts as passed. Returns undefined when the text is not JUnit XML.
 */
export function parseJunitCounts(xml: string): TestCounts | undefined {
  let document: XmlNode;
  try {
    document = parser.parse(xml, true) as XmlNode;
  } catch {
    return undefined;
  }
  const root = (document.testsuites as XmlNode | undefined) ?? document;
  const suites = asNodes(root.testsuite);
  if (suites.length === 0 && !('testsuites' in document)) return undefined;
  const counts = emptyCounts();
  for (const suite of suites) countSuite(suite, counts);
  return counts;
}
