import path from 'node:path';
import type { ChunkFinishedEvent, RunFinishedEvent } from '../events/types.js';
import { buildMergedJunitXml, type JunitSuite } from '../results/junit-writer.js';
import { chunkToJunitSuite } from '../results/records-to-junit.js';
import type { Reporter } from './reporter.js';
import { writeReportFile } from './write-report-file.js';

/** File name of the merged JUnit report inside the report dir. */
export const MERGED_JUNIT_FILE_NAME = 'junit.xml';

/**
 * Writes `<report-dir>/junit.xml`: every chunk's results as one testsuite each (killed tests as
 * errors, never-run tests as skipped, per-test memory as properties), for CI systems to read.
 */
export class JunitReporter implements Reporter {
  readonly name = 'junit';
  private readonly suites = new Map<string, JunitSuite>();

  onChunkFinished({ result, records }: ChunkFinishedEvent): void {
    this.suites.set(result.name, chunkToJunitSuite(result, records));
  }

  async onRunFinished({ report }: RunFinishedEvent): Promise<void> {
    // Chunks in config order, whatever order they finished in.
    const suites = report.chunks.flatMap((chunk) => this.suites.get(chunk.name) ?? []);
    await writeReportFile(path.join(report.reportDir, MERGED_JUNIT_FILE_NAME), buildMergedJunitXml(suites));
  }
}
