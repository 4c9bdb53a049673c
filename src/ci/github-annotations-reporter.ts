import type { ChunkFinishedEvent, RunFinishedEvent } from '../events/types.js';
import type { Reporter } from '../reporters/reporter.js';
import type { TestRecord } from '../results/test-records.js';
import { buildGithubAnnotations } from './github-annotations.js';

/**
 * Prints GitHub Actions `::error` / `::warning` workflow commands when the run finishes, from the
 * test records each finished chunk carried. `write` must reach the job's stdout at the start of a
 * line (GitHub only reads commands there), so register it after the terminal reporter.
 */
export class GithubAnnotationsReporter implements Reporter {
  readonly name = 'github-annotations';
  private readonly records = new Map<string, readonly TestRecord[]>();

  constructor(private readonly write: (text: string) => void) {}

  onChunkFinished({ result, records }: ChunkFinishedEvent): void {
    this.records.set(result.name, records);
  }

  onRunFinished({ report }: RunFinishedEvent): void {
    const lines = buildGithubAnnotations(report, this.records);
    if (lines.length > 0) this.write(`${lines.join('\n')}\n`);
  }
}
