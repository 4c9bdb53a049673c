// report.html while a run is going on. A page cannot ask whether its run is still alive, so it
// says what it knows: who started the run and when, that a finished run replaces this page, and
// how to learn whether the run is still going. A run that was killed leaves this page behind,
// never the previous run's report.
import type { RunInProgressReport } from '../results/report-types.js';
import { documentHead } from './build-html-report.js';
import { html } from './html-text.js';

// Small on purpose: it is written before any chunk starts, where a nearly full disk or a low
// file-size limit should not refuse the run (the report at the end reports those).
const PAGE_CSS = 'body{font:15px/1.5 system-ui,sans-serif;margin:2rem;max-width:60rem}.unfinished{border-left:4px solid #b45309;background:#fef3c7;padding:.75rem 1rem}code{font-size:90%}';

/** The unfinished-run page: a banner naming the run-chunks process, its start time and command. */
export function buildInProgressHtml(marker: RunInProgressReport): string {
  const { process: owner } = marker;
  const what = marker.kind === 'merge' ? 'merge' : 'run';
  const document = html`${documentHead(`run-chunks: ${what} not finished`, PAGE_CSS, html`<meta name="run-chunks-status" content="running">`)}
<body>
<header><h1>run-chunks: this ${what} has not finished</h1>
<p class="warnings unfinished">This ${what} did not finish when this page was written: run-chunks (pid ${owner.pid} on ${owner.host}) started it at ${owner.startedAt}, with <code>${owner.command.join(' ')}</code>. When it finishes, its report replaces this page. If this page is still here after that ${what} should have ended, it never finished (it was killed, or its machine stopped), and there are no results to show: nothing here is a verdict.</p>
<p class="run-facts">Run ${marker.runId}, report dir <code>${marker.reportDir}</code>; chunks planned: ${marker.plannedChunks.map((chunk) => chunk.name).join(', ') || 'none'}. <code>run-chunks report ${marker.reportDir}</code> says whether the ${what} is still going.</p>
</header>
</body>
</html>
`;
  return document.text;
}
