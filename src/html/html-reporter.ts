import path from 'node:path';
import type { ChunkFinishedEvent, RunFinishedEvent } from '../events/types.js';
import type { Reporter } from '../reporters/reporter.js';
import { writeReportFile } from '../reporters/write-report-file.js';
import type { RunReport } from '../results/report-types.js';
import type { TestRecord } from '../results/test-records.js';
import { buildHtmlReport, type HtmlReportOptions } from './build-html-report.js';
import { readHtmlInput, type HtmlInputOptions } from './html-input.js';

/** File name of the HTML report inside the report dir. */
export const HTML_REPORT_FILE_NAME = 'report.html';

/** Options of writeHtmlReport; `merge` passes its input dirs as searchDirs, separateMachines, and where to write (`file`). */
export type WriteHtmlReportOptions = HtmlInputOptions & HtmlReportOptions & { file?: string };

/**
 * Writes `<report.reportDir>/report.html` (or `options.file`) atomically and returns its path. `records` are the
 * chunks' test records by chunk name (the run's, or those `merge` read back from junit.xml);
 * without them the failed tests are read from the events files. `searchDirs` are folders
 * holding `<chunk>/samples.jsonl` for chunks whose own paths are not on this machine (`merge`).
 */
export async function writeHtmlReport(report: RunReport, records?: ReadonlyMap<string, readonly TestRecord[]>, options: WriteHtmlReportOptions = {}): Promise<string> {
  const file = options.file ?? path.join(report.reportDir, HTML_REPORT_FILE_NAME);
  const chunks = await readHtmlInput(report, records, { ...options, htmlDir: path.dirname(file) });
  await writeReportFile(file, buildHtmlReport(report, chunks, options));
  return file;
}

/** Writes `<report-dir>/report.html` at the end of the run, from the report and each chunk's records. */
export class HtmlReporter implements Reporter {
  readonly name = 'html';
  private readonly records = new Map<string, readonly TestRecord[]>();

  onChunkFinished({ result, records }: ChunkFinishedEvent): void {
    this.records.set(result.name, records);
  }

  async onRunFinished({ report }: RunFinishedEvent): Promise<void> {
    await writeHtmlReport(report, this.records);
  }
}
