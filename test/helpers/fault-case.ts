import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { assertNoLeftovers, findTaggedProcesses, REPO_ROOT } from './cli.js';

// The fault suite records what each case saw; scripts/reliability-doc.mjs turns the records of a
// whole `npm test` into the reliability table (docs/reliability.md with `npm run docs`), so that
// table is the suite's own result, never prose. Every whole `npm test` checks that the committed
// table lists exactly the cases that exist (scripts/reliability-doc.mjs compareWithDoc).

/** Where the records go: RUN_CHUNKS_FAULT_RECORDS, else .fault-results/ in the repository. */
export const FAULT_RECORDS_DIR = process.env.RUN_CHUNKS_FAULT_RECORDS ?? path.join(REPO_ROOT, '.fault-results');

/** The groups of docs/reliability.md, in the order they appear there. */
export type FaultArea = 'process' | 'signals' | 'output' | 'report' | 'lifecycle' | 'recovery' | 'evidence' | 'containment' | 'gpu' | 'input' | 'names' | 'parsers' | 'secrets' | 'memory';

/** What one fault case saw, filled in by the case as it checks things. */
export interface FaultRecord {
  area: FaultArea;
  fault: string;
  /** What run-chunks did: status, exit code, message (short). */
  behaviour: string[];
  /** What the case checked and found to hold. */
  verified: string[];
  status: string | null;
  exitCode: number | null;
  /** Processes of the run still alive afterwards (null when the case starts none). */
  processesLeft: number | null;
  /** 'held' when every check passed; 'broke' with the failure otherwise; 'not-run' with the reason where the machine cannot run the case. */
  outcome: 'held' | 'broke' | 'not-run';
  failure: string | null;
}

/** Collects one case's observations; pass it around the case's body. */
export class FaultRecorder {
  readonly behaviour: string[] = [];
  readonly verified: string[] = [];
  status: string | null = null;
  exitCode: number | null = null;
  processesLeft: number | null = null;

  /** What run-chunks did, in a few words (shown in the "did" column). */
  did(text: string): void {
    this.behaviour.push(text);
  }

  /** A check that held (shown in the "verified" column). Call it after the assertion. */
  held(text: string): void {
    this.verified.push(text);
  }

  /** Records the run's exit code and, when given, the chunk's status. */
  outcomeOf(exitCode: number | null, status?: string): void {
    this.exitCode = exitCode;
    if (status !== undefined) this.status = status;
  }
}

function writeRecord(record: FaultRecord): void {
  mkdirSync(FAULT_RECORDS_DIR, { recursive: true });
  appendFileSync(path.join(FAULT_RECORDS_DIR, `${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
}

/**
 * A node:test case whose observations (and whether it held) are recorded for the reliability
 * table. The case fails exactly as a plain test would; its record then says 'broke'.
 */
export function faultCase(area: FaultArea, fault: string, body: (record: FaultRecorder) => Promise<void> | void, options: { timeout?: number; skip?: string } = {}): void {
  if (options.skip !== undefined) {
    // Recorded all the same, so the table lists every case on every machine and says which did not run here.
    const reason = options.skip;
    test(fault, { skip: reason }, () => undefined);
    writeRecord({ area, fault, behaviour: [], verified: [], status: null, exitCode: null, processesLeft: null, outcome: 'not-run', failure: reason });
    return;
  }
  test(fault, options, async () => {
    const recorder = new FaultRecorder();
    const record = (outcome: 'held' | 'broke', failure: string | null): void =>
      writeRecord({
        area,
        fault,
        behaviour: recorder.behaviour,
        verified: recorder.verified,
        status: recorder.status,
        exitCode: recorder.exitCode,
        processesLeft: recorder.processesLeft,
        outcome,
        failure,
      });
    try {
      await body(recorder);
    } catch (error) {
      record('broke', error instanceof Error ? error.message.split('\n')[0]! : String(error));
      throw error;
    }
    record('held', null);
  });
}

/** Asserts no process of the CLI run tagged `tag` is alive, and records the count. */
export function checkNoLeftovers(recorder: FaultRecorder, tag: string): void {
  recorder.processesLeft = findTaggedProcesses(tag).length;
  assertNoLeftovers(tag);
  recorder.held('no process of the run left');
}
