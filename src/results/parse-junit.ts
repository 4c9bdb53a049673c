import { XMLParser } from 'fast-xml-parser';

/** Test counts of one chunk. `failed` excludes `errors` (setup/teardown or collection errors). */
export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
}

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
    if ('error' in testcase) counts.errors += 1;
    else if ('failure' in testcase) counts.failed += 1;
    else if ('skipped' in testcase) counts.skipped += 1;
    else counts.passed += 1;
  }
  for (const nested of asNodes(suite.testsuite)) countSuite(nested, counts);
}

/**
 * Counts test outcomes in JUnit XML (pytest's and the common variants: a <testsuites> root or a
 * bare <testsuite>, nested suites). Returns undefined when the text is not JUnit XML.
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
  const counts: TestCounts = { total: 0, passed: 0, failed: 0, skipped: 0, errors: 0 };
  for (const suite of suites) countSuite(suite, counts);
  return counts;
}
