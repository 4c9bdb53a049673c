// Benchmark section 'leak-verdict': how often the leak verdict is right. The CLI runs, again and
// again, a copy of test/fixtures/memory-suite (a leaking test; healthy tests that use memory
// without leaking it), with and without xdist, and the bundled demo suite; each chunk's verdict
// (from its test series) and the timeline's second witness are counted, and whether the leaking
// test is named among the suspects.
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixed, median, MIB, QUICK, readReport, ROOT, start, tempDir, VENV_PYTHON } from './lib.mjs';

/** Runs of each suite; BENCH_LEAK_RUNS overrides (not BENCH_ROUNDS: a rate wants more runs than a median). */
const RUNS = Number(process.env.BENCH_LEAK_RUNS ?? (QUICK ? 1 : 20));
const MEMORY_SUITE = path.join(ROOT, 'test', 'fixtures', 'memory-suite');
const DEMO_CONFIG = path.join(ROOT, 'chunks.config.json');
const LEAKY_TEST = 'tests/test_leaky.py::test_keeps_four_mib';
const VERDICTS = ['leak', 'warning', 'stable', 'unknown'];
const MEMORY_CHUNKS = [
  { name: 'leaky', markers: 'leaky', workers: 1, leaks: true },
  { name: 'leaky_xdist', markers: 'leaky', workers: 2, leaks: true },
  { name: 'healthy', markers: 'healthy', workers: 1, leaks: false },
  { name: 'healthy_xdist', markers: 'healthy', workers: 2, leaks: false },
];
// The demo's chunks leak nothing on purpose, except stress, whose cache grows until its
// memoryLimit stops it: a leak cut short, so its verdict is shown but judged by neither rule.
const DEMO_LEAKS = { stress: null };
const MAX_LISTED = 12;

/** One chunk's verdicts and figures from one run. */
function observe(chunk, run) {
  const memory = chunk.memory;
  const series = memory?.testSeries ?? null;
  return {
    run,
    status: chunk.status,
    verdict: memory?.verdict ?? 'none',
    verdictSource: memory?.verdictSource ?? 'none',
    timelineVerdict: memory?.timelineVerdict ?? 'none',
    timelineReason: memory?.timelineVerdictReason ?? '',
    reason: memory?.verdictReason ?? '',
    named: series?.suspects.some((suspect) => suspect.test === LEAKY_TEST) ?? false,
    suspects: series?.suspects.map((suspect) => suspect.test) ?? [],
    processes: series?.processes ?? [],
  };
}

async function runCli(argv, cwd, reportDir, what) {
  const { exitCode, output } = await start(argv, { cwd }).done;
  let report;
  try {
    report = readReport(reportDir);
  } catch (error) {
    throw new Error(`the ${what} run left no readable report.json (exit ${exitCode}): ${error}\n${output}`);
  }
  if (report.status === 'running' || report.chunks.length === 0) throw new Error(`the ${what} run did not finish (exit ${exitCode}):\n${output}`);
  return report;
}

/** Every run of both suites: { [chunk]: observation[] }, in chunk order. */
async function runAll(work) {
  const suite = path.join(work, 'memory-suite');
  cpSync(MEMORY_SUITE, suite, { recursive: true });
  const config = path.join(suite, 'chunks.config.json');
  const chunks = MEMORY_CHUNKS.map(({ name, markers, workers }) => ({ name, markers, workers, retryOnOom: 0 }));
  writeFileSync(config, JSON.stringify({ python: VENV_PYTHON, testPaths: ['tests'], chunks }, null, 2));
  const observed = new Map();
  const keep = (report, run) => {
    for (const chunk of report.chunks) {
      if (!observed.has(chunk.name)) observed.set(chunk.name, []);
      observed.get(chunk.name).push(observe(chunk, run));
    }
  };
  for (let run = 0; run < RUNS; run += 1) {
    // Two chunks at a time keeps the section within minutes: the verdict is judged from each
    // process's RSS after each of its tests, which a chunk running beside it does not change.
    const reportDir = path.join(work, `memory-${run}`);
    const common = ['--report-dir', reportDir, '--history', path.join(work, `history-${run}.json`), '--gpu', 'off', '--parallel-chunks', '2'];
    keep(await runCli([process.execPath, CLI, '--config', config, ...common], suite, reportDir, 'memory-suite'), run);
    rmSync(reportDir, { recursive: true, force: true });
    const demoDir = path.join(work, `demo-${run}`);
    const demoArgs = ['--report-dir', demoDir, '--history', path.join(work, `demo-history-${run}.json`), '--gpu', 'off', '--retry-on-oom', '0', '--parallel-chunks', '2'];
    keep(await runCli([process.execPath, CLI, '--config', DEMO_CONFIG, ...demoArgs], ROOT, demoDir, 'demo'), run);
    rmSync(demoDir, { recursive: true, force: true });
  }
  return observed;
}

function counts(values) {
  return VERDICTS.map((verdict) => values.filter((value) => value === verdict).length).join(' / ');
}

/** Whether a chunk's runs meet the issue's acceptance: null when no rule applies to it. */
function accepted(leaks, observations) {
  if (leaks === true) return observations.every((one) => one.verdict === 'leak' && one.named);
  if (leaks === false) return observations.every((one) => one.verdict !== 'leak');
  return null;
}

function describeProcess(one, process) {
  const who = process.worker ?? 'pytest';
  const growth = process.growthBytes === null ? 'not judged' : `growth ${fixed(process.growthBytes / MIB, 1)} MiB (allowed ${fixed(process.allowedBytes / MIB, 1)} MiB), tailRatio ${process.tailRatio ?? '–'}`;
  return `run ${one.run + 1}, ${who}: ${process.verdict}, ${process.tests} tests, ${growth}: "${process.reason}"`;
}

/** Median, least and most of a figure over every judged process of a chunk's runs. */
function spread(observations, figure, scale = 1, digits = 1) {
  const values = observations.flatMap((one) => one.processes.map((process) => process[figure])).filter((value) => value !== null && value !== undefined);
  if (values.length === 0) return '–';
  return `${fixed(median(values) / scale, digits)} (${fixed(Math.min(...values) / scale, digits)} to ${fixed(Math.max(...values) / scale, digits)})`;
}

/**
 * How far a memory-suite chunk's processes were from the other verdict: for a leaking chunk the
 * least growth against its allowance and the lowest tailRatio (leak needs 0.5 or more); for a
 * healthy one, the highest tailRatio of the processes that grew past their allowance (a warning
 * from 0.2, a leak from 0.5), which is all that kept them 'stable'.
 */
function marginOf(name, leaks, observations) {
  const processes = observations.flatMap((one) => one.processes).filter((process) => process.growthBytes !== null);
  const past = processes.filter((process) => process.growthBytes > process.allowedBytes);
  const ratios = (list) => list.map((process) => process.tailRatio).filter((ratio) => ratio !== null);
  if (leaks) {
    const least = Math.min(...processes.map((process) => process.growthBytes / process.allowedBytes));
    return `${name}: least growth ${fixed(least, 1)} × its allowance, lowest tailRatio ${fixed(Math.min(...ratios(processes)), 2)}`;
  }
  if (past.length === 0) return `${name}: no process grew past its allowance`;
  return `${name}: ${past.length} of ${processes.length} processes grew past their allowance (up to ${fixed(Math.max(...past.map((process) => process.growthBytes)) / MIB, 1)} MiB against ${fixed(Math.min(...past.map((process) => process.allowedBytes)) / MIB, 1)} MiB allowed) and were called stable only because they levelled off: their highest tailRatio was ${fixed(Math.max(...ratios(past)), 2)}`;
}

/** The distinct timeline reasons of a chunk's runs, the commonest first, with their counts. */
function timelineReasons(observations) {
  const byReason = new Map();
  for (const one of observations) {
    // Figures differ run by run; the words before them say which rule spoke.
    const key = one.timelineReason.replace(/\d+(?:\.\d+)?/g, 'N').slice(0, 160);
    byReason.set(key, (byReason.get(key) ?? 0) + 1);
  }
  return [...byReason].sort((a, b) => b[1] - a[1]).map(([reason, count]) => `${count}× "${reason}"`).join(', ');
}

/** @returns {Promise<import('./lib.mjs').Section>} */
export async function leakVerdict() {
  const work = tempDir('leak-verdict');
  const observed = await runAll(work);
  rmSync(work, { recursive: true, force: true });
  const rows = [];
  const failures = [];
  const figures = [];
  const margins = [];
  for (const [name, observations] of observed) {
    const memoryChunk = MEMORY_CHUNKS.find((chunk) => chunk.name === name);
    const leaks = memoryChunk ? memoryChunk.leaks : name in DEMO_LEAKS ? DEMO_LEAKS[name] : false;
    const verdictOk = accepted(leaks, observations);
    const sources = [...new Set(observations.map((one) => one.verdictSource))].join(', ');
    const statuses = [...new Set(observations.map((one) => one.status))].join(', ');
    rows.push([
      memoryChunk ? `memory-suite ${name} (${memoryChunk.markers}, workers ${memoryChunk.workers})` : `demo ${name}${statuses === 'passed' ? '' : ` (${statuses})`}`,
      leaks === true ? 'leak' : leaks === false ? 'no leak' : '–',
      observations.length,
      counts(observations.map((one) => one.verdict)),
      sources,
      leaks === true ? `${observations.filter((one) => one.named).length}/${observations.length}` : `${observations.filter((one) => one.suspects.length > 0).length} with suspects`,
      counts(observations.map((one) => one.timelineVerdict)),
      verdictOk === null ? '–' : verdictOk ? 'yes' : 'no',
    ]);
    if (memoryChunk) margins.push(marginOf(name, leaks, observations));
    if (memoryChunk) figures.push(`${name}: growthBytes ${spread(observations, 'growthBytes', MIB)} MiB, tailRatio ${spread(observations, 'tailRatio', 1, 2)}, judged tests per process ${spread(observations, 'judgedTests', 1, 0)}`);
    for (const one of observations) {
      const wrong = leaks === true ? one.verdict !== 'leak' || !one.named : leaks === false ? one.verdict === 'leak' : false;
      if (wrong) failures.push(`${name}: ${one.verdict}${leaks === true && !one.named ? `, ${LEAKY_TEST} not named (suspects: ${one.suspects.join(', ') || 'none'})` : ''}; ${one.processes.map((process) => describeProcess(one, process)).join('; ')}`);
    }
  }
  const healthyLeaks = [...observed].filter(([name]) => MEMORY_CHUNKS.some((chunk) => chunk.name === name && !chunk.leaks) || (!MEMORY_CHUNKS.some((chunk) => chunk.name === name) && !(name in DEMO_LEAKS))).reduce((sum, [, observations]) => sum + observations.filter((one) => one.verdict === 'leak').length, 0);
  const healthyRuns = [...observed].filter(([name]) => !MEMORY_CHUNKS.some((chunk) => chunk.name === name && chunk.leaks) && !(name in DEMO_LEAKS)).reduce((sum, [, observations]) => sum + observations.length, 0);
  const demo = [...observed].filter(([name]) => !MEMORY_CHUNKS.some((chunk) => chunk.name === name)).flatMap(([, observations]) => observations);
  const demoTests = demo.flatMap((one) => one.processes.map((process) => process.tests));
  const demoRuns = demo.length;
  const demoTooFew = demo.filter((one) => one.processes.length > 0 && one.processes.every((process) => process.reason.startsWith('too few tests'))).length;
  return {
    id: 'leak-verdict',
    title: "10. Leak verdict: false positives and detection over repeated runs",
    target: `no healthy chunk judged "leak" in ${RUNS} runs; the leaky chunk "leak" in ${RUNS} of ${RUNS}, with and without xdist, and its test named`,
    headers: ['<chunk', '<truth', 'runs', 'verdict leak / warning / stable / unknown', '<verdict from', '<leaky test named', 'timeline leak / warning / stable / unknown', '<acceptance'],
    rows,
    notes: [
      `${RUNS} run(s) of the built CLI on a copy of test/fixtures/memory-suite (chunks selected by marker, retryOnOom 0, default sampleInterval) and as many of the demo config (chunks.config.json: its six chunks, --retry-on-oom 0), alternating; both with --parallel-chunks 2, two chunks at a time, to keep the section within minutes (the verdict comes from each process's RSS after each of its tests, which a chunk beside it does not change; the timeline is judged over time, which a busier machine stretches). "verdict" is report.json's chunk.memory.verdict (from each pytest process's test series where the plugin gave per-test figures: verdictSource 'test-series'); "timeline" is chunk.memory.timelineVerdict, the tree's RSS over time, kept as a second witness. Healthy chunks judged "leak": ${healthyLeaks} of ${healthyRuns}.`,
      `"leaky test named": runs whose memory.testSeries.suspects include ${LEAKY_TEST}; for the other chunks, runs with any suspect named (a warning names the tests that carried the growth).`,
      `The figures behind the memory-suite verdicts, per pytest process over all runs, median (least to most): ${figures.join('; ')}. growthBytes is the growth no one-time setup explains, over the judged tests; tailRatio is the last third's slope against the whole (src/monitor/test-series-leak.ts). Margins: ${margins.join('; ')}.`,
      `Timeline witness, why (figures replaced by N): ${[...observed].filter(([name]) => MEMORY_CHUNKS.some((chunk) => chunk.name === name) || name in DEMO_LEAKS).map(([name, observations]) => `${name}: ${timelineReasons(observations)}`).join('; ')}.`,
      `The demo's processes ran ${demoTests.length === 0 ? 'no' : `${Math.min(...demoTests)} to ${Math.max(...demoTests)}`} tests each (their chunks have few tests, shared by up to 4 xdist workers), and ${demoTooFew} of ${demoRuns} demo chunk runs had every process "too few tests to judge": 'unknown' is the true answer there, not a miss. Its stress chunk is stopped at its memoryLimit by design (a leak cut short after a few tests); no rule is applied to it.`,
      failures.length === 0
        ? 'Every run met its rule.'
        : `Runs that missed their rule (${failures.length}${failures.length > MAX_LISTED ? `, the first ${MAX_LISTED}` : ''}): ${failures.slice(0, MAX_LISTED).join(' | ')}`,
    ],
  };
}
