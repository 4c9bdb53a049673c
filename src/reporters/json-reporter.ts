import path from 'node:path';
import type { RunReport } from '../results/report-types.js';
import { writeReportFile } from './write-report-file.js';

/** File name of the machine-readable report inside the report dir. */
export const REPORT_FILE_NAME = 'report.json';

/**
 * Writes `<report-dir>/report.json` atomically (a reader never sees half a file). The run calls it
 * after every other report file is written: report.json is the report set's commit point (see
 * lifecycle/report-set.ts), so it is not a reporter racing the others.
 */
export async function writeJsonReport(report: RunReport): Promise<void> {
  await writeReportFile(path.join(report.reportDir, REPORT_FILE_NAME), `${JSON.stringify(report, null, 2)}\n`);
}
