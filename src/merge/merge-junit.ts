// Merges JUnit XML files (each run's <report-dir>/junit.xml) into one document: a <testsuites>
// holding every <testsuite> of every input, in order, with the totals counted again. The suites
// are parsed and rebuilt with fast-xml-parser in document order, so testcases, properties,
// failure/error/skipped messages and text, and system-out all survive; every value is escaped
// again the way junit-writer.ts does, so the output is well-formed whatever the inputs held.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { classifyJunitCase, suiteCountOf, type JunitCaseView } from '../results/junit-case-outcome.js';
import { ESCAPING_BUILDER_OPTIONS } from '../results/junit-xml-text.js';
import { UserError } from '../util/user-error.js';

/** An element in fast-xml-parser's ordered form: { tagName: children, ':@': attributes }, or { '#text': text }. */
type OrderedNode = Record<string, unknown>;

const ATTRIBUTES = ':@';
const TEXT = '#text';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Values stay text exactly as written ("0.100" is not turned into 0.1, "007" keeps its zeros).
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Decodes numeric character references (&#10;) besides the five XML entities.
  htmlEntities: true,
});

const builder = new XMLBuilder({ ...ESCAPING_BUILDER_OPTIONS, preserveOrder: true });

function tagOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((key) => key !== ATTRIBUTES);
}

function childrenOf(node: OrderedNode): OrderedNode[] {
  const tag = tagOf(node);
  const children = tag === undefined ? undefined : node[tag];
  return Array.isArray(children) ? (children as OrderedNode[]) : [];
}

function isText(node: OrderedNode): boolean {
  return TEXT in node;
}

/** Drops the indentation between elements (it is re-made on output); text inside elements stays. */
function dropLayoutText(nodes: OrderedNode[]): OrderedNode[] {
  const hasElements = nodes.some((node) => !isText(node));
  return nodes
    .filter((node) => !(hasElements && isText(node) && String(node[TEXT]).trim() === ''))
    .map((node) => {
      const tag = tagOf(node);
      if (tag === undefined || tag === TEXT) return node;
      return { ...node, [tag]: dropLayoutText(childrenOf(node)) };
    });
}

/** The top-level <testsuite> elements of one JUnit document (a <testsuites> root, or a bare <testsuite>). */
function readSuites(xml: string, position: number): OrderedNode[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new UserError(`JUnit input ${position} is not well-formed XML (line ${line}, column ${col}: ${msg}), so it cannot be merged.`);
  }
  const roots = (parser.parse(xml) as OrderedNode[]).filter((node) => !isText(node) && !tagOf(node)?.startsWith('?'));
  const root = roots[0];
  const rootTag = root === undefined ? undefined : tagOf(root);
  if (root === undefined || roots.length !== 1 || (rootTag !== 'testsuites' && rootTag !== 'testsuite'))
    throw new UserError(`JUnit input ${position} is not a JUnit report: its root element must be <testsuites> or <testsuite>, found ${rootTag === undefined ? 'none' : `<${rootTag}>`}.`);
  const suites = rootTag === 'testsuite' ? [root] : childrenOf(root).filter((node) => tagOf(node) === 'testsuite');
  return dropLayoutText(suites);
}

interface Totals {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  timeSeconds: number;
}

function attributeOf(node: OrderedNode, name: string): string | undefined {
  const value = (node[ATTRIBUTES] as Record<string, unknown> | undefined)?.[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** The view classifyJunitCase reads of a testcase in the ordered form. */
function orderedCaseView(testcase: OrderedNode): JunitCaseView {
  const children = childrenOf(testcase);
  return {
    elementType(tag) {
      const element = children.find((child) => tagOf(child) === tag);
      return element === undefined ? undefined : (attributeOf(element, 'type') ?? null);
    },
    property(name) {
      const properties = children.filter((child) => tagOf(child) === 'properties').flatMap(childrenOf);
      const property = properties.find((child) => tagOf(child) === 'property' && attributeOf(child, 'name') === name);
      return property === undefined ? undefined : attributeOf(property, 'value');
    },
  };
}

/** Counts a suite's testcases (nested suites included) as parse-junit.ts does (classifyJunitCase), into the attributes pytest writes. */
function addCounts(suite: OrderedNode, totals: Totals): void {
  for (const child of childrenOf(suite)) {
    const tag = tagOf(child);
    if (tag === 'testsuite') addCounts(child, totals);
    if (tag !== 'testcase') continue;
    totals.tests += 1;
    const counted = suiteCountOf(classifyJunitCase(orderedCaseView(child)));
    if (counted !== null) totals[counted] += 1;
  }
}

function suiteSeconds(suite: OrderedNode): number {
  const attributes = suite[ATTRIBUTES] as Record<string, unknown> | undefined;
  const seconds = Number(attributes?.['@_time']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
}

/**
 * One JUnit document from several: every input's <testsuite> elements, in input order, under one
 * <testsuites name="run-chunks"> whose tests/failures/errors/skipped are counted from the
 * testcases and whose time is the sum of the suites' times. Each suite is kept as it was.
 * Throws a UserError naming the input (1-based) that is not well-formed XML or not JUnit.
 */
export function mergeJunitXml(xmls: readonly string[], name = 'run-chunks'): string {
  const totals: Totals = { tests: 0, failures: 0, errors: 0, skipped: 0, timeSeconds: 0 };
  const suites = xmls.flatMap((xml, index) => readSuites(xml, index + 1));
  for (const suite of suites) {
    addCounts(suite, totals);
    totals.timeSeconds += suiteSeconds(suite);
  }
  const document: OrderedNode[] = [
    { '?xml': [{ [TEXT]: '' }], [ATTRIBUTES]: { '@_version': '1.0', '@_encoding': 'utf-8' } },
    {
      testsuites: suites,
      [ATTRIBUTES]: {
        '@_name': name,
        '@_errors': String(totals.errors),
        '@_failures': String(totals.failures),
        '@_skipped': String(totals.skipped),
        '@_tests': String(totals.tests),
        '@_time': totals.timeSeconds.toFixed(3),
      },
    },
  ];
  return builder.build(document) as string;
}
