import type { ChunkFinishedEvent, RunFinishedEvent } from '../events/types.js';
import type { Reporter } from '../reporters/reporter.js';
import { ReportWriteError } from '../reporters/write-report-file.js';
import type { RunReport } from '../results/report-types.js';
import type { TestRecord } from '../results/test-records.js';
import { appendRun, historyRunFromReport, readHistory, writeHistory } from './history-file.js';
import { DEFAULT_KEEP_RUNS, type History } from './history-types.js';

/** Where the history is kept and how problems with it are told. */
export interface HistoryOptions {
  /** The history file (--history; DEFAULT_HISTORY_FILE otherwise). */
  file: string;
  /** Runs of each chunk to keep (default DEFAULT_KEEP_RUNS). */
  keepRuns?: number;
  /** Hears one sentence per problem: a damaged history ignored, a failed write. */
  warn: (message: string) => void;
}

/**
 * Adds a finished run to the history file: read (a damaged file is replaced), append, keep each
 * chunk's last runs, write atomically. Returns the new history. A run in which no chunk started adds
 * nothing. A failed write is a warning, not an error: the run's own results are already safe.
 */
export async function recordRunInHistory(
  report: RunReport,
  records: ReadonlyMap<string, readonly TestRecord[]>,
  { file, keepRuns = DEFAULT_KEEP_RUNS, warn }: HistoryOptions,
): Promise<History> {
  const history = await readHistory(file, warn);
  const run = historyRunFromReport(report, records);
  if (run.chunks.length === 0) return history;
  const updated = appendRun(history, run, keepRuns);
  try {
    await writeHistory(file, updated);
  } catch (error) {
    const reason = error instanceof ReportWriteError ? error.reason : String(error);
    warn(`Could not write the run history ${file} (${reason}); this run is not recorded in it.`);
  }
  return updated;
}

/** Records every run in the history once it has finished, with each chunk's test records. */
export class HistoryReporter implements Reporter {
  readonly name = 'history';
  private readonly records = new Map<string, readonly TestRecord[]>();

  constructor(private readonly options: HistoryOptions) {}

  onChunkFinished({ result, records }: ChunkFinishedEvent): void {
    this.records.set(result.name, records);
  }

  async onRunFinished({ report }: RunFinishedEvent): Promise<void> {
    await recordRunInHistory(report, this.records, this.options);
  }
}
