// Benchmark section 7: the demo suite's makespan three ways: (a) one `pytest -n auto` over the
// whole suite (what users try first), (b) one chunk after another (the seeds' split runner),
// (c) run-chunks --memory-budget (chunks packed by their forecast peaks). Wall time, peak total
// memory of the whole process tree, and how many test results survived, against the lower bound
// max(total CPU time / cores, longest chunk).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, fixed, median, MIB, QUICK, readReport, readTimeFile, ROOT, ROUNDS, start, tempDir, timeCommand, timedArgv, VENV_PYTHON } from './lib.mjs';
import { listProcStats, pageSizeBytes } from '../dist/src/proc/read-proc-stat.js';

const DEMO = path.join(ROOT, 'demo');
const BUDGET = process.env.BENCH_BUDGET ?? '50%';
// QUICK: two small chunks, so the smoke run stays short.
const CHUNK_ARGS = QUICK ? ['--chunk', 'unit_fast,validation'] : [];

/** Sums the RSS of `rootPid` and all its descendants every 100 ms; returns a stop() giving the peak. */
function watchTreeMemory(rootPid) {
  const page = pageSizeBytes();
  let peak = 0;
  const timer = setInterval(() => {
    const stats = listProcStats();
    const children = new Map();
    for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
    let total = 0;
    const pending = stats.filter((stat) => stat.pid === rootPid);
    for (let stat = pending.pop(); stat !== undefined; stat = pending.pop()) {
      total += stat.rssPages * page;
      pending.push(...(children.get(stat.pid) ?? []));
    }
    peak = Math.max(peak, total);
  }, 100);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

/** Runs argv to its end while watching its tree's memory; wall time, CPU (GNU time), peak, exit code and output. */
export async function runWatched(argv, cwd) {
  const timeFile = path.join(tempDir('makespan-time'), 'time.txt');
  const started = performance.now();
  const run = start(timedArgv(argv, timeFile), { cwd });
  const stop = watchTreeMemory(run.child.pid);
  const { exitCode, output } = await run.done;
  const wallMs = performance.now() - started;
  return { wallMs, cpuMs: readTimeFile(timeFile).cpuMs, peakBytes: stop(), exitCode, output };
}

/** Test cases with a result in a JUnit file (pytest's own, for the single pytest run). */
function junitResults(file) {
  try {
    return (readFileSync(file, 'utf8').match(/<testcase /g) ?? []).length;
  } catch {
    return 0;
  }
}

function collectCount() {
  const markerArgs = QUICK ? ['-m', '(unit and not memory_intensive) or validation'] : [];
  const { stdout } = timeCommand([VENV_PYTHON, '-m', 'pytest', 'tests', '--collect-only', '-q', ...markerArgs], { cwd: DEMO });
  return stdout.split('\n').filter((line) => line.includes('::')).length;
}

export async function makespan() {
  const work = tempDir('makespan');
  const history = path.join(work, 'history.json');
  const collected = collectCount();
  const runChunks = async (label, extra) => {
    const reportDir = path.join(work, `${label}-${Date.now()}`);
    const measured = await runWatched([process.execPath, CLI, '--report-dir', reportDir, '--history', history, '--gpu', 'off', ...CHUNK_ARGS, ...extra], ROOT);
    const report = readReport(reportDir);
    const results = report.chunks.reduce((sum, chunk) => sum + (chunk.tests?.total ?? 0), 0);
    const longestMs = Math.max(...report.chunks.map((chunk) => chunk.durationMs));
    return { ...measured, results, longestMs };
  };
  const pytestAuto = async () => {
    const junit = path.join(work, `auto-${Date.now()}.xml`);
    const markerArgs = QUICK ? ['-m', '(unit and not memory_intensive) or validation'] : [];
    const measured = await runWatched([VENV_PYTHON, '-m', 'pytest', 'tests', '-n', 'auto', '-q', `--junitxml=${junit}`, ...markerArgs], DEMO);
    return { ...measured, results: junitResults(junit) };
  };

  // One run fills the history that --memory-budget forecasts from.
  await runChunks('warmup', []);
  const runs = { auto: [], sequential: [], budget: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    runs.auto.push(await pytestAuto());
    runs.sequential.push(await runChunks('sequential', []));
    runs.budget.push(await runChunks('budget', ['--memory-budget', BUDGET]));
  }
  const summary = (list) => ({
    wallMs: median(list.map((run) => run.wallMs)),
    peakBytes: median(list.map((run) => run.peakBytes)),
    results: Math.min(...list.map((run) => run.results)),
  });
  const auto = summary(runs.auto);
  const sequential = summary(runs.sequential);
  const budget = summary(runs.budget);
  const cores = os.availableParallelism();
  // The least CPU any of the three needed is the work itself; more is the cost of that way.
  const cpuMs = Math.min(...Object.values(runs).map((list) => median(list.map((run) => run.cpuMs))));
  const longestMs = median(runs.sequential.map((run) => run.longestMs));
  const lowerBoundMs = Math.max(cpuMs / cores, longestMs);
  const row = (label, figures) => [
    label,
    fixed(figures.wallMs / 1000),
    fixed(figures.wallMs / lowerBoundMs),
    fixed(figures.peakBytes / MIB, 0),
    `${figures.results} of ${collected}`,
  ];
  return {
    id: 'makespan',
    title: '7. Makespan: the demo suite three ways',
    target: 'close to the lower bound max(total CPU time / cores, longest chunk), with every test result kept.',
    headers: ['<how', 'wall time (s)', '× lower bound', 'peak total memory (MiB)', 'tests with a result'],
    rows: [
      row('(a) one `pytest -n auto` over the whole suite', auto),
      row('(b) run-chunks, one chunk after another', sequential),
      row(`(c) run-chunks --memory-budget ${BUDGET}`, budget),
    ],
    notes: [
      `Lower bound: max(total CPU time ${fixed(cpuMs / 1000)} s / ${cores} cores, longest chunk ${fixed(longestMs / 1000)} s) = ${fixed(lowerBoundMs / 1000)} s (CPU time: the least any of the three used, user + system of the whole tree by GNU time; longest chunk: from the sequential run's report). Medians of ${ROUNDS} rounds, the three ways in turn.`,
      'Peak total memory: the RSS of the launched process and all its descendants summed, sampled every 100 ms from outside (for run-chunks it includes run-chunks itself, about 70 MiB).',
      `Tests with a result: test cases in pytest's JUnit file for (a); tests with an outcome in report.json for (b) and (c), out of ${collected} collected. The demo's stress chunk has a test whose cache grows until the chunk's memoryLimit stops it; run-chunks keeps every other result and re-runs what never ran.${QUICK ? ' (Quick run: two chunks only.)' : ''}`,
      'Why (a) wins on this demo: it starts 3 Python interpreters (a controller and 2 workers), where (b) and (c) start a pytest and its xdist workers for every chunk, about 18 in all, and the demo\'s tests take milliseconds, so start-ups are most of the work (the lower bound, taken from a chunked run\'s longest chunk, is then no bound for (a)). (a) also keeps every result here, because the demo\'s memory hog stops itself at 256 MiB and xdist replaces a crashed worker. What (a) cannot do is stop a runaway at a limit before the kernel picks a victim, give a memory-hungry group fewer workers, or say which chunk and test used the memory: that is what the start-ups buy, and they weigh less as tests run longer.',
    ],
  };
}
