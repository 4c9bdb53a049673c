import path from 'node:path';
import type { RunFinishedEvent } from '../events/types.js';
import type { Reporter } from './reporter.js';
import { writeReportFile } from './write-report-file.js';

/** File name of the machine-readable report inside the report dir. */
export const REPORT_FILE_NAME = 'report.json';

/** Writes `<report-dir>/report.json` atomically (a reader never sees half a file). */
export class JsonReporter implements Reporter {
  readonly name = 'json';

  async onRunFinished({ report }: RunFinishedEvent): Promise<void> {
    await writeReportFile(path.join(report.reportDir, REPORT_FILE_NAME), `${JSON.stringify(report, null, 2)}\n`);
  }
}
