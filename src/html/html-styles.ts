// The report's stylesheet, inlined: the page loads nothing from anywhere.
import type { ChunkStatus } from '../results/outcome.js';

// Typed by status, so a new status without a colour is a compile error. Run statuses reuse these.
const STATUS_COLOURS: Record<ChunkStatus, string> = {
  passed: '#1a7f37',
  skipped: '#9a6700',
  'no-tests': '#9a6700',
  failed: '#cf222e',
  error: '#8b0000',
  crashed: '#8b0000',
  timeout: '#8b0000',
  'memory-limit': '#8b0000',
  'gpu-memory-limit': '#8b0000',
  killed: '#8b0000',
  oom: '#8b0000',
  interrupted: '#8250df',
};

const statusRules = Object.entries(STATUS_COLOURS)
  .map(([status, colour]) => `.badge.status-${status}{background:${colour}}.bar.status-${status} rect{fill:${colour}}`)
  .join('\n');

/** The whole stylesheet. */
export const REPORT_CSS = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#fff;--panel:#f6f8fa;--rss:#0969da;--pss:#1a7f37;--gpu:#8250df;--limit:#cf222e;--total:#bc4c00}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);max-width:1280px}
h1{font-size:24px;margin:0 0 8px}h2{font-size:20px;margin:0 0 6px}h3{font-size:15px;margin:18px 0 6px}
code,pre,.nodeid{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--panel);padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all;max-height:360px}
.muted{color:var(--muted);font-weight:normal}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;vertical-align:middle}
.verdict-stable{background:#1a7f37}.verdict-warning{background:#9a6700}.verdict-leak{background:#cf222e}.verdict-unknown{background:#8c959f}
${statusRules}
.run-facts{color:var(--muted);margin:0 0 16px}
section{margin:0 0 28px}
ul.sources{margin:2px 0 8px;padding-left:20px;font-size:13px}
section.chunk{border:1px solid var(--line);border-radius:6px;padding:16px 20px}
.message{margin:4px 0 10px}
.warnings{color:#9a6700}
dl.figures{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.figure{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:4px 10px;min-width:84px}
.figure dt{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.figure dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.nodeid{word-break:break-all;max-width:520px}
td.message{word-break:break-word}
tr.blamed td,tr.outcome-killed td,tr.outcome-crashed td{background:#fff1f0}
details.page,details.command{margin:6px 0}
summary{cursor:pointer;color:var(--rss)}
.chart{width:100%;height:auto;display:block}
.chart text{font-size:11px;fill:var(--muted)}
.chart .grid{stroke:#eaeef2}.chart .baseline,.chart .tick{stroke:#8c959f}
.series{fill:none;stroke-width:1.6;stroke-linejoin:round}
.series.rss{stroke:var(--rss)}.series.pss{stroke:var(--pss)}.series.gpu{stroke:var(--gpu)}.series.total{stroke:var(--total);stroke-width:2}
.dots.rss circle{fill:var(--rss)}.dots.pss circle{fill:var(--pss)}.dots.gpu circle{fill:var(--gpu)}
.mark-blamed text{fill:var(--limit);font-weight:600}
.limit line{stroke:var(--limit);stroke-width:1.5;stroke-dasharray:6 4}.limit text{fill:var(--limit)}
.gpu-limit line{stroke:var(--gpu)}.gpu-limit text{fill:var(--gpu)}
.mark rect{fill:#8c959f}.mark-bad rect{fill:#fb8f44}.mark:hover rect{fill:var(--fg)}
.mark-blamed rect{fill:var(--limit)}.mark-blamed line{stroke:var(--limit);stroke-width:1.5;stroke-dasharray:3 3}
.gantt-label{font-size:12px;fill:var(--fg)!important}
.bar:hover rect{opacity:.8}
.chart-box{border:1px solid var(--line);border-radius:6px;padding:8px 8px 4px}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:var(--muted);padding:0 0 4px 8px}
.key::before{content:"";display:inline-block;width:14px;height:3px;margin-right:5px;vertical-align:middle;background:var(--muted)}
.key.rss::before{background:var(--rss)}.key.pss::before{background:var(--pss)}.key.gpu::before{background:var(--gpu)}
.key.dot::before{width:6px;height:6px;border-radius:3px}
.key.limit::before{background:repeating-linear-gradient(90deg,var(--limit) 0 5px,transparent 5px 8px)}
.key.mark::before{width:4px;height:12px;background:#8c959f}.key.blamed::before{width:6px;height:12px;background:var(--limit)}
html:not([data-all-tests="on"]) .js-only,html[data-all-tests="on"] .nojs{display:none}
.table-controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:6px 0}
.table-controls input{min-width:280px;padding:3px 6px;font:inherit}
html[data-all-tests="on"] .all-tests th[data-column]{cursor:pointer;user-select:none}
.all-tests th[aria-sort="ascending"]::after{content:" ▲"}.all-tests th[aria-sort="descending"]::after{content:" ▼"}
`;
