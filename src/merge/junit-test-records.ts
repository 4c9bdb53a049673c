// Reads per-test records back from a run-chunks JUnit file (<report-dir>/junit.xml), for chunks
// that ran on another machine: their events are not here, but their junit.xml carries each test's
// time, outcome and memory properties (its peak and how that is known included), which is what the
// run history keeps.
import { XMLParser } from 'fast-xml-parser';
import { classifyJunitCase, parsedCaseView, XFAIL_REASON_PROPERTY, xfailMessageOf } from '../results/junit-case-outcome.js';
import { junitNamesFromNodeid } from '../results/pytest-junit-names.js';
import { bareRecord, type PeakSource, type TestRecord } from '../results/test-records.js';

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  htmlEntities: true,
  isArray: (name) => name === 'testsuite' || name === 'testcase' || name === 'property',
});

function asNodes(value: unknown): XmlNode[] {
  return Array.isArray(value) ? value.filter((item): item is XmlNode => typeof item === 'object' && item !== null) : [];
}

function attribute(node: XmlNode, name: string): string | undefined {
  const value = node[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

function numberOrNull(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * Rebuilds a pytest node id from JUnit names, the reverse of junitNamesFromNodeid. Exact when the
 * testcase has a file attribute (run-chunks writes it from the test's location); otherwise the
 * trailing classname parts that start with a capital are taken for classes (pytest's default
 * "Test*" class pattern) and the rest for the module path. Either guess is kept only when it maps
 * back to the same names; if none does, the id is "classname::name".
 */
export function nodeidFromJunitNames(classname: string, name: string, file: string | null): string {
  const candidates: string[] = [];
  if (file !== null) {
    const modulePath = file.replaceAll('/', '.').replace(/\.py$/, '');
    if (classname === modulePath) candidates.push(`${file}::${name}`);
    else if (classname.startsWith(`${modulePath}.`)) candidates.push([file, ...classname.slice(modulePath.length + 1).split('.'), name].join('::'));
  }
  const parts = classname.split('.');
  let firstClass = parts.length;
  while (firstClass > 1 && /^[A-Z]/.test(parts[firstClass - 1]!)) firstClass -= 1;
  if (classname !== '') candidates.push([`${parts.slice(0, firstClass).join('/')}.py`, ...parts.slice(firstClass), name].join('::'));
  else candidates.push(name);
  const matches = (nodeid: string): boolean => {
    const names = junitNamesFromNodeid(nodeid);
    return names.classname === classname && names.name === name;
  };
  return candidates.find(matches) ?? (classname === '' ? name : `${classname}::${name}`);
}

/**
 * The message attribute and text of the testcase's error, failure or skipped element (the
 * outcome's evidence: a failed assertion, its traceback), so that a JUnit file read back and
 * written again, a command chunk's own, keeps them.
 */
function detailsOf(testcase: XmlNode): { message: string | null; details: string | null } {
  for (const tag of ['error', 'failure', 'skipped']) {
    const found: unknown = testcase[tag];
    const node = Array.isArray(found) ? (found[0] as unknown) : found;
    if (node === undefined) continue;
    if (typeof node !== 'object' || node === null) return { message: null, details: typeof node === 'string' && node !== '' ? node : null };
    const text = (node as XmlNode)['#text'];
    return { message: attribute(node as XmlNode, 'message') ?? null, details: typeof text === 'string' && text !== '' ? text : null };
  }
  return { message: null, details: null };
}

function propertiesOf(testcase: XmlNode): Map<string, string> {
  const properties = new Map<string, string>();
  const container = asNodes([testcase.properties])[0];
  for (const property of asNodes(container?.property)) {
    const name = attribute(property, 'name');
    const value = attribute(property, 'value');
    if (name !== undefined && value !== undefined) properties.set(name, value);
  }
  return properties;
}

const PEAK_SOURCES: readonly PeakSource[] = ['hwm', 'start-end'];

/** The test's peak and its source; none unless both are there: a peak of unknown source could be read as exact. */
function peakOf(properties: ReadonlyMap<string, string>): { bytes: number; source: PeakSource } | null {
  const bytes = numberOrNull(properties.get('peakRssBytes'));
  const source = PEAK_SOURCES.find((known) => known === properties.get('peakRssSource'));
  return bytes === null || source === undefined ? null : { bytes, source };
}

function recordOf(testcase: XmlNode): TestRecord {
  const file = attribute(testcase, 'file') ?? null;
  const nodeid = nodeidFromJunitNames(attribute(testcase, 'classname') ?? '', attribute(testcase, 'name') ?? '', file);
  // The outcome junit-writer.ts wrote (its 'run-chunks.*' types mark killed and never-run tests).
  const outcome = classifyJunitCase(parsedCaseView(testcase));
  const properties = propertiesOf(testcase);
  const seconds = numberOrNull(attribute(testcase, 'time'));
  const rssEndBytes = numberOrNull(properties.get('rssEndBytes'));
  const rssDeltaBytes = numberOrNull(properties.get('rssDeltaBytes'));
  const peak = peakOf(properties);
  const { message, details } = detailsOf(testcase);
  return {
    ...bareRecord(nodeid, outcome, '', numberOrNull(properties.get('attempt')) ?? 1),
    // The writer keeps an xfail's reason alone as its message, as pytest does, and an xpass's in a property; the record says "xfail: reason".
    message: outcome === 'xfailed' ? xfailMessageOf(message) : outcome === 'xpassed' ? xfailMessageOf(properties.get(XFAIL_REASON_PROPERTY) ?? null) : message,
    longrepr: details,
    // The writer puts 0 for tests that never ended on their own; those have no duration.
    durationMs: seconds === null || outcome === 'killed' || outcome === 'not-run' ? null : seconds * 1000,
    worker: properties.get('worker') ?? null,
    file,
    line: numberOrNull(attribute(testcase, 'line')),
    rssStartBytes: rssEndBytes !== null && rssDeltaBytes !== null ? rssEndBytes - rssDeltaBytes : null,
    rssEndBytes,
    peakRssBytes: peak?.bytes ?? null,
    peakRssSource: peak?.source ?? null,
    childPeakRssBytes: numberOrNull(properties.get('childPeakRssBytes')),
    groupPeakRiseBytes: numberOrNull(properties.get('groupPeakRiseBytes')),
    gpuPeakBytes: numberOrNull(properties.get('gpuPeakBytes')),
  };
}

function collectCases(suite: XmlNode, into: TestRecord[]): void {
  for (const testcase of asNodes(suite.testcase)) into.push(recordOf(testcase));
  for (const nested of asNodes(suite.testsuite)) collectCases(nested, into);
}

/**
 * Per-test records from a run-chunks JUnit document, keyed by suite name (one suite per chunk):
 * the `records` argument historyRunFromReport takes, for chunks merged from other machines.
 * Text that is not JUnit XML gives an empty map.
 */
export function testRecordsFromJunit(xml: string): Map<string, TestRecord[]> {
  let document: XmlNode;
  try {
    document = parser.parse(xml, true) as XmlNode;
  } catch {
    return new Map();
  }
  const root = (document.testsuites as XmlNode | undefined) ?? document;
  const records = new Map<string, TestRecord[]>();
  for (const suite of asNodes(root.testsuite)) {
    const name = attribute(suite, 'name') ?? '';
    const list = records.get(name) ?? [];
    collectCases(suite, list);
    records.set(name, list);
  }
  return records;
}
