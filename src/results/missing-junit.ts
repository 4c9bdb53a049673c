import type { Outcome } from './classify-outcome.js';

/** A chunk's outcome once its missing JUnit file is weighed, and the warning that says so. */
export interface JunitVerdict {
  outcome: Outcome;
  warning: string | undefined;
}

/**
 * A command that exits 0 without writing the JUnit file its config promises is no proof that its
 * tests passed: they may never have run. A required chunk is then an error naming the file; one
 * that is not required keeps its status and gets a warning (it cannot fail the run anyway). Any
 * other status already says the run went wrong, and a killed command is not expected to write it.
 * `problem` names the path and what was found there ("/p/junit.xml does not exist"); undefined
 * when the file was read.
 */
export function judgeMissingJunit(outcome: Outcome, problem: string | undefined, required: boolean): JunitVerdict {
  if (problem === undefined || outcome.status !== 'passed') return { outcome, warning: undefined };
  const fix = 'make the command write it there (or use "{junit}" in its argv, which run-chunks replaces with the path), or remove "junit" from the chunk';
  const warning = `exited 0, but its JUnit file ${problem}, so its tests are not in junit.xml: ${fix}`;
  if (!required) return { outcome, warning };
  return {
    outcome: { status: 'error', message: `the command exited 0, but its JUnit file ${problem}: without it there is no evidence that its tests ran; ${fix}` },
    warning,
  };
}
