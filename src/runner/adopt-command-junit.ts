import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { testRecordsFromJunit } from '../merge/junit-test-records.js';
import { CHUNK_JUNIT_FILE_NAME } from '../plan/create-plans.js';
import type { ChunkPlan } from '../plan/types.js';
import type { Outcome } from '../results/classify-outcome.js';
import { judgeMissingJunit } from '../results/missing-junit.js';
import type { TestRecord } from '../results/test-records.js';
import { describeFsError } from '../util/describe-fs-error.js';
import { describeJunitReading, type JunitReading } from './read-chunk-junit.js';

/** What a command chunk's own JUnit file gives its report. */
export interface CommandJunit {
  /** The copy in the chunk's report folder (what report.json names), or null when there is none. */
  junitFile: string | null;
  /** One record per testcase, for the run's junit.xml, report.html and the history. */
  records: TestRecord[];
  outcome: Outcome;
}

/**
 * Takes in the JUnit file a command chunk wrote: copied into <report-dir>/<chunk>/junit.xml (where
 * a pytest chunk's is, so uploading the report dir keeps it) unless it was written there through
 * "{junit}", and read into records so the run's junit.xml carries its testcases as it does a pytest
 * chunk's. A file promised but not written is judged by judgeMissingJunit.
 */
export async function adoptCommandJunit(plan: ChunkPlan, reading: JunitReading | undefined, outcome: Outcome, warn: (message: string) => void): Promise<CommandJunit> {
  if (plan.junitPath === undefined || reading === undefined) return { junitFile: null, records: [], outcome };
  const target = path.join(plan.chunkReportDir, CHUNK_JUNIT_FILE_NAME);
  // For a command chunk only "{junit}" puts the path there (or a "junit" path that amounts to it).
  const inPlace = path.resolve(plan.junitPath) === target;
  if (reading.kind !== 'read') {
    const verdict = judgeMissingJunit(outcome, `${plan.junitPath} ${describeJunitReading(reading)}`, plan.required, inPlace ? 'placeholder' : 'junit');
    if (verdict.warning !== undefined) warn(verdict.warning);
    return { junitFile: null, records: [], outcome: verdict.outcome };
  }
  const records = [...testRecordsFromJunit(reading.xml).values()].flat();
  if (inPlace) return { junitFile: target, records, outcome };
  try {
    await writeFile(target, reading.xml);
    return { junitFile: target, records, outcome };
  } catch (error) {
    // A full disk costs the copy, never the results: they are in report.json and the run's junit.xml.
    warn(`could not copy its JUnit file ${plan.junitPath} to ${target}: ${describeFsError(error)}; its results are still in report.json`);
    return { junitFile: plan.junitPath, records, outcome };
  }
}
