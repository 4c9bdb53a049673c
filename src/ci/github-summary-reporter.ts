import { appendFile } from 'node:fs/promises';
import type { RunFinishedEvent } from '../events/types.js';
import type { Reporter } from '../reporters/reporter.js';
import { buildGithubSummary } from './github-summary.js';

/** Appends text to a file (injected by tests). */
export type AppendText = (filePath: string, text: string) => Promise<void>;

/**
 * Appends the run's Markdown summary to the job summary file GitHub Actions names in
 * GITHUB_STEP_SUMMARY. A failed write throws with the path in its message: the multiplexer
 * catches it and the CLI prints it as a warning, so the run's outcome never depends on it.
 */
export class GithubSummaryReporter implements Reporter {
  readonly name = 'github-summary';

  constructor(
    private readonly summaryPath: string,
    private readonly append: AppendText = (filePath, text) => appendFile(filePath, text, 'utf8'),
  ) {}

  async onRunFinished({ report }: RunFinishedEvent): Promise<void> {
    const markdown = buildGithubSummary(report);
    try {
      await this.append(this.summaryPath, markdown);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`could not append the job summary to GITHUB_STEP_SUMMARY (${this.summaryPath}): ${reason}`, { cause: error });
    }
  }
}
