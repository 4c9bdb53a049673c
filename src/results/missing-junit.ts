import type { Outcome } from './classify-outcome.js';

/** A chunk's outcome once its missing JUnit file is weighed, and the warning that says so. */
export interface JunitVerdict {
  outcome: Outcome;
  warning: string | undefined;
}

/** Where the chunk's JUnit path came from: "{junit}" in its command, or its "junit" field. */
export type JunitPathSource = 'placeholder' | 'junit';

const FIXES: Record<JunitPathSource, string> = {
  placeholder: 'make the command write its JUnit XML to the path it is given for "{junit}", or take "{junit}" out of its command',
  junit: 'make the command write it there (or put "{junit}" in its command instead of setting "junit", and run-chunks gives it the path), or remove "junit" from the chunk',
};

/**
 * A command that exits 0 without writing the JUnit file its config promises is no proof that its
 * tests passed: they may never have run. A required chunk is then an error whose message names
 * the file; one that is not required keeps its status and gets a warning (it cannot fail the run
 * anyway). Any other status already says the run went wrong, and a killed command is not expected
 * to write the file. `problem` names the path and what was found there ("/p/junit.xml does not
 * exist"); undefined when the file was read.
 */
export function judgeMissingJunit(outcome: Outcome, problem: string | undefined, required: boolean, source: JunitPathSource): JunitVerdict {
  if (problem === undefined || outcome.status !== 'passed') return { outcome, warning: undefined };
  if (!required) return { outcome, warning: `exited 0, but its JUnit file ${problem}, so its tests are not in junit.xml: ${FIXES[source]}` };
  return {
    outcome: { status: 'error', message: `the command exited 0, but its JUnit file ${problem}: without it there is no evidence that its tests ran; ${FIXES[source]}` },
    warning: undefined,
  };
}
