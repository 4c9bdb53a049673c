// How a JUnit <testcase> says how its test ended, written and read in one place: junit-writer.ts
// writes it, parse-junit.ts counts it, and `run-chunks merge` reads it back (junit-test-records.ts,
// merge-junit.ts). pytest's --junitxml marks an xfail `<skipped type="pytest.xfail">`, and writes a
// non-strict xpass as a plain pass; run-chunks adds an `outcome` property "xpassed" to its own
// files, so an xpass is known again only in JUnit that run-chunks wrote.

/** How one test ended, as a JUnit file can say it; 'killed' ran when its chunk was killed, 'not-run' never started. */
export type JunitOutcome = 'passed' | 'failed' | 'skipped' | 'error' | 'xfailed' | 'xpassed' | 'killed' | 'not-run';

/** The testcase child elements that say an outcome. */
export type OutcomeTag = 'error' | 'failure' | 'skipped';

/** The `type` of a <skipped> that pytest's --junitxml writes for an xfailed test. */
export const XFAIL_TYPE = 'pytest.xfail';
/** The `type` of a <skipped> that pytest writes for a plain skip. */
export const SKIP_TYPE = 'pytest.skip';
/** The `type` of the <error> run-chunks writes for a test killed with its chunk. */
export const KILLED_TYPE = 'run-chunks.killed';
/** The `type` of the <skipped> run-chunks writes for a collected test that never started. */
export const NOT_RUN_TYPE = 'run-chunks.not-run';
/** The testcase property run-chunks writes for an outcome no element says (a non-strict xpass). */
export const OUTCOME_PROPERTY = 'outcome';
/** The testcase property that carries an xpassed test's xfail reason (no element holds a message for it). */
export const XFAIL_REASON_PROPERTY = 'xfailReason';

/** What classifying a testcase needs from it, whatever form an XML parser gave it in. */
export interface JunitCaseView {
  /** The `type` attribute of the testcase's `tag` element: undefined when it has no such element, null when the element has no type. */
  elementType(tag: OutcomeTag): string | null | undefined;
  /** The value of the testcase's <property name="..."> of this name, or undefined. */
  property(name: string): string | undefined;
}

/**
 * How a testcase's test ended: an error element first, then failure, then skipped (the order
 * pytest's JUnit counts them in); a skipped of type pytest.xfail is 'xfailed'; a testcase with
 * none of them is 'passed', or 'xpassed' where its outcome property says so.
 */
export function classifyJunitCase(testcase: JunitCaseView): JunitOutcome {
  const error = testcase.elementType('error');
  if (error !== undefined) return error === KILLED_TYPE ? 'killed' : 'error';
  if (testcase.elementType('failure') !== undefined) return 'failed';
  const skipped = testcase.elementType('skipped');
  if (skipped === XFAIL_TYPE) return 'xfailed';
  if (skipped === NOT_RUN_TYPE) return 'not-run';
  if (skipped !== undefined) return 'skipped';
  return testcase.property(OUTCOME_PROPERTY) === 'xpassed' ? 'xpassed' : 'passed';
}

/** The <testsuite> attribute that counts a test of this outcome, as pytest's writes it (an xfail is among `skipped`); null for none. */
export function suiteCountOf(outcome: JunitOutcome): 'failures' | 'errors' | 'skipped' | null {
  switch (outcome) {
    case 'failed':
      return 'failures';
    case 'error':
    case 'killed':
      return 'errors';
    case 'skipped':
    case 'xfailed':
    case 'not-run':
      return 'skipped';
    case 'passed':
    case 'xpassed':
      return null;
  }
}

/** A test record's message for an xfail ("xfail: reason", as the plugin writes it) as pytest's JUnit writes it: the reason alone. */
export function xfailReasonOf(message: string | null): string {
  return (message ?? '').replace(/^xfail(: |$)/, '');
}

/** The plugin's message for an xfail ("xfail: reason", or "xfail" without one) from pytest's JUnit message, the reason alone. */
export function xfailMessageOf(reason: string | null): string {
  return reason === null || reason === '' ? 'xfail' : `xfail: ${reason}`;
}

type ParsedNode = Record<string, unknown>;

function asObjects(value: unknown): ParsedNode[] {
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  return items.filter((item): item is ParsedNode => typeof item === 'object' && item !== null);
}

/**
 * The view of a testcase as fast-xml-parser gives it without preserveOrder, attributes prefixed
 * '@_' (parse-junit.ts, junit-test-records.ts). An element with no attributes nor text comes as
 * a string ("" for `<skipped/>`): present, without a type.
 */
export function parsedCaseView(testcase: ParsedNode): JunitCaseView {
  return {
    elementType(tag) {
      if (!(tag in testcase)) return undefined;
      const node = asObjects(testcase[tag])[0];
      const type = node?.['@_type'];
      return typeof type === 'string' ? type : null;
    },
    property(name) {
      for (const container of asObjects(testcase.properties))
        for (const property of asObjects(container.property)) if (property['@_name'] === name && typeof property['@_value'] === 'string') return property['@_value'];
      return undefined;
    },
  };
}
