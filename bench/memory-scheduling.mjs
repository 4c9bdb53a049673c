// Benchmark section 13: "dist": "memory" on a suite of light tests with heavy ones mixed in, on 4
// workers under a memoryLimit that xdist's load distribution exceeds. Four ways, side by side in
// alternating rounds: (a) plain `pytest -n 4` with no limit (how fast it could be), (b) run-chunks,
// one chunk `--dist load` under the limit (how often it is killed, and what recovery costs),
// (c) the seeds' split: a chunk of the heavy tests on 1 worker, then the light ones on 4,
// (d) run-chunks, one chunk `"dist": "memory"` under the same limit, its history filled by one
// untimed warm-up run.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixed, median, MIB, QUICK, readReport, ROUNDS, tempDir, timeCommand, VENV_PYTHON } from './lib.mjs';
import { runWatched } from './makespan.mjs';

const LIGHT_TESTS = QUICK ? 8 : 32;
const HEAVY_TESTS = QUICK ? 3 : 6;
const LIGHT_SLEEP_S = 0.25;
const HEAVY_SLEEP_S = 0.5;
const HEAVY_MIB = 250;
const WORKERS = 4;
// 4 heavy tests at once hold about 1 GB beside 5 interpreters; 2 fit in 800 MiB less a tenth.
const MEMORY_LIMIT = process.env.BENCH_MEMORY_LIMIT ?? '800MiB';
// Every third test is heavy, from the first, until they run out: xdist's load distribution sends
// its first tests round robin, so three heavy tests start within a light test's sleep.
const HEAVY_EVERY = 3;

/** The test kinds in collection order: "heavyN" or "lightN", heavies spread from the first. */
function testKinds() {
  const kinds = [];
  let heavy = 0;
  let light = 0;
  for (let index = 0; index < LIGHT_TESTS + HEAVY_TESTS; index += 1) {
    const isHeavy = heavy < HEAVY_TESTS && (index % HEAVY_EVERY === 0 || light === LIGHT_TESTS);
    kinds.push(isHeavy ? `heavy${heavy++}` : `light${light++}`);
  }
  return kinds;
}

function makeSuite() {
  const dir = tempDir('memory-scheduling');
  writeFileSync(path.join(dir, 'pytest.ini'), '[pytest]\nmarkers =\n    heavy: holds about 250 MiB\n');
  const params = testKinds().map((kind) => (kind.startsWith('heavy') ? `pytest.param("${kind}", marks=pytest.mark.heavy)` : `"${kind}"`));
  writeFileSync(
    path.join(dir, 'test_mixed.py'),
    `import time

import pytest


@pytest.mark.parametrize("kind", [${params.join(', ')}])
def test_mixed(kind):
    if kind.startswith("heavy"):
        held = b"x" * (${HEAVY_MIB} * 1024 * 1024)
        time.sleep(${HEAVY_SLEEP_S})
        assert len(held) == ${HEAVY_MIB} * 1024 * 1024
    else:
        time.sleep(${LIGHT_SLEEP_S})
`,
  );
  const base = { workers: WORKERS, paths: ['test_mixed.py'], sampleInterval: '100ms', timeout: '5m' };
  const configs = {
    load: [{ name: 'mixed', ...base, dist: 'load', memoryLimit: MEMORY_LIMIT }],
    split: [
      { name: 'heavy', ...base, workers: 1, markers: 'heavy' },
      { name: 'light', ...base, markers: 'not heavy' },
    ],
    memory: [{ name: 'mixed', ...base, dist: 'memory', memoryLimit: MEMORY_LIMIT }],
  };
  for (const [label, chunks] of Object.entries(configs)) {
    writeFileSync(path.join(dir, `${label}.config.json`), JSON.stringify({ python: VENV_PYTHON, defaults: { args: ['-p', 'no:cacheprovider', '-p', 'no:randomly'] }, chunks }, null, 2));
  }
  return dir;
}

/** Memory-limit kills in a chunk: its attempts (the first and any recovery) stopped at the limit. */
function memoryLimitKills(chunk) {
  if ((chunk.attempts ?? []).length === 0) return chunk.status === 'memory-limit' ? 1 : 0;
  return chunk.attempts.filter((attempt) => attempt.status === 'memory-limit').length;
}

/** One run-chunks run of a config with its own history: wall time, kills, statuses and its report's figures. */
function runChunks(dir, label) {
  const reportDir = path.join(dir, `report-${label}`);
  const argv = [process.execPath, CLI, '--config', path.join(dir, `${label}.config.json`), '--report-dir', reportDir, '--history', path.join(dir, `history-${label}.json`), '--gpu', 'off'];
  const result = timeCommand(argv, { cwd: dir });
  const { chunks } = readReport(reportDir);
  return {
    wallMs: result.wallMs,
    kills: chunks.reduce((sum, chunk) => sum + memoryLimitKills(chunk), 0),
    statuses: chunks.map((chunk) => (chunk.status === 'passed' && chunk.message.startsWith('recovered') ? 'passed after recovery' : chunk.status)),
    passed: chunks.reduce((sum, chunk) => sum + (chunk.tests?.passed ?? 0), 0),
    peakBytes: Math.max(...chunks.map((chunk) => chunk.memory?.peakRssBytes ?? 0)),
    schedule: chunks[0].memorySchedule ?? null,
  };
}

/** Plain `pytest -n 4` over the suite, no limit, no run-chunks; its tree's peak sampled from outside. */
async function runPlain(dir) {
  const measured = await runWatched([VENV_PYTHON, '-m', 'pytest', '-q', '-n', String(WORKERS), '-p', 'no:cacheprovider', '-p', 'no:randomly', 'test_mixed.py'], dir);
  if (measured.exitCode !== 0) throw new Error(`pytest -n ${WORKERS} exited ${measured.exitCode}:\n${measured.output}`);
  const passed = Number(/(\d+) passed/.exec(measured.output)?.[1] ?? 0);
  return { wallMs: measured.wallMs, kills: 0, statuses: ['exit 0'], passed, peakBytes: measured.peakBytes, schedule: null };
}

/** How often each status came up over the rounds: "passed ×3, passed after recovery ×2". */
function statusTally(runs) {
  const counts = new Map();
  for (const status of runs.flatMap((run) => run.statuses)) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${status} ×${count}`).join(', ');
}

/** What the memory scheduler did in one run, from report.json's memorySchedule. */
function describeSchedule(schedule) {
  if (!schedule) return 'no memorySchedule in report.json';
  const sources = Object.entries(schedule.forecastSources).map(([source, count]) => `${count} from ${source}`).join(', ') || 'none recorded';
  const worst = schedule.worstUnderForecast;
  return [
    `scheduler ${schedule.scheduler}${schedule.reason ? ` (${schedule.reason})` : ''}`,
    `room ${fixed(schedule.roomBytes / MIB, 0)} MiB of a ${fixed(schedule.budgetBytes / MIB, 0)} MiB budget (${schedule.budgetSource})`,
    `forecasts ${sources}`,
    `${schedule.waited.tests} test(s) waited for memory with a worker free (${schedule.waited.totalMs} ms in all)`,
    `${schedule.forced} forced`,
    `${schedule.oversize.length} oversize`,
    worst ? `furthest over its forecast: ${worst.nodeid}, ${fixed(worst.measuredBytes / MIB, 0)} MiB measured against ${fixed(worst.forecastBytes / MIB, 0)} MiB (${worst.forecastSource})` : 'no test over its forecast',
  ].join('; ');
}

const met = (ok) => (ok ? 'met' : 'missed');

/** @returns {Promise<import('./lib.mjs').Section>} */
export async function memoryScheduling() {
  const dir = makeSuite();
  const total = LIGHT_TESTS + HEAVY_TESTS;
  // The warm-up fills (d)'s history; without one, "dist": "memory" forecasts every test at the
  // room's share per worker, which is --dist load's schedule.
  const warmup = runChunks(dir, 'memory');
  const ways = {
    plain: () => runPlain(dir),
    load: () => runChunks(dir, 'load'),
    split: () => runChunks(dir, 'split'),
    memory: () => runChunks(dir, 'memory'),
  };
  const order = Object.keys(ways);
  const runs = Object.fromEntries(order.map((key) => [key, []]));
  // Alternating which goes first, so that a slow spell of a shared machine falls on all alike.
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let offset = 0; offset < order.length; offset += 1) {
      const key = order[(round + offset) % order.length];
      runs[key].push(await ways[key]());
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const wall = Object.fromEntries(order.map((key) => [key, median(runs[key].map((run) => run.wallMs))]));
  const fastest = Object.fromEntries(order.map((key) => [key, Math.min(...runs[key].map((run) => run.wallMs))]));
  const kills = Object.fromEntries(order.map((key) => [key, runs[key].reduce((sum, run) => sum + run.kills, 0)]));
  const row = (label, key) => [
    label,
    fixed(wall[key] / 1000),
    fixed(fastest[key] / 1000),
    key === 'plain' ? '– (no limit)' : `${kills[key]} in ${ROUNDS} round(s)`,
    statusTally(runs[key]),
    fixed(median(runs[key].map((run) => run.peakBytes)) / MIB, 0),
    `${Math.min(...runs[key].map((run) => run.passed))} of ${total}`,
    `${fixed(wall[key] / wall.plain)}x`,
    `${fixed(wall[key] / wall.split)}x`,
  ];
  const overPlain = wall.memory / wall.plain;
  const overSplit = wall.memory / wall.split;
  const scheduled = runs.memory.map((run) => run.schedule);
  const waitedTests = scheduled.map((schedule) => schedule?.waited.tests ?? 0);
  return {
    title: '13. Memory scheduling: `"dist": "memory"` against `--dist load` and the seeds\' split',
    target: '(d) is never killed, within 1.15x of (a)\'s wall time, and at most 0.7x of (c)\'s.',
    headers: ['<way', 'median s', 'fastest s', 'memory-limit kills', '<chunk statuses', 'peak MiB', 'tests passed', 'vs (a)', 'vs (c)'],
    rows: [
      row(`(a) plain \`pytest -n ${WORKERS}\`, no limit`, 'plain'),
      row(`(b) run-chunks, one chunk, ${WORKERS} workers, \`--dist load\`, memoryLimit ${MEMORY_LIMIT}`, 'load'),
      row(`(c) run-chunks, the seeds' split: the heavy tests on 1 worker, then the light ones on ${WORKERS}`, 'split'),
      row(`(d) run-chunks, one chunk, ${WORKERS} workers, \`"dist": "memory"\`, memoryLimit ${MEMORY_LIMIT}`, 'memory'),
    ],
    notes: [
      `Targets, as measured: (d) memory-limit kills ${kills.memory} in ${ROUNDS} rounds: ${met(kills.memory === 0)}; (d)/(a) ${fixed(overPlain, 3)}x (target at most 1.15x): ${met(overPlain <= 1.15)}; (d)/(c) ${fixed(overSplit, 3)}x (target at most 0.7x): ${met(overSplit <= 0.7)}. The targets are judged on medians; fastest run against fastest run, (d)/(a) is ${fixed(fastest.memory / fastest.plain, 3)}x and (d)/(c) ${fixed(fastest.memory / fastest.split, 3)}x (a shared 2-core machine: read the spread between the two columns as noise).`,
      `The suite: ${LIGHT_TESTS} light tests (sleep ${LIGHT_SLEEP_S} s, no allocation) and ${HEAVY_TESTS} heavy ones (\`b"x" * n\` of ${HEAVY_MIB} MiB, held through a ${HEAVY_SLEEP_S} s sleep), one parametrized test; every third test is heavy from the first until they run out, so xdist's load distribution, which sends its first tests round robin, has three heavy tests running within a light test's sleep. Sleeps, so that ${WORKERS} workers pay on a 2-core machine.`,
      `Medians of ${ROUNDS} round(s), the four ways in turn, each round starting with the next. Wall time: the whole command (run-chunks' start, collection, every chunk, recovery and report), for (a) pytest's. Peak: run-chunks' sampled peak RSS of the chunk's process tree (the largest chunk's, every 100 ms) from report.json; for (a) the RSS of pytest and its workers summed, sampled every 100 ms from outside.`,
      `(b) and (d) run with the default retryOnOom (1): a chunk stopped at its memoryLimit is counted as a kill, and recovery then runs the blamed test alone and what had no result, so (b)'s wall time includes that recovery. Kills: attempts whose status was memory-limit, over all rounds.`,
      `(d)'s history: one warm-up run of (d)'s own config before the rounds, not timed and not in the medians; each timed round then adds to that history. The warm-up, with no history, forecasts every test at the room's share per worker, which is --dist load's schedule: it ended ${warmup.statuses.join(', ')} with ${warmup.kills} memory-limit kill(s) in ${fixed(warmup.wallMs / 1000)} s. (a), (b) and (c) have histories of their own.`,
      `(d)'s memorySchedule (report.json), last round: ${describeSchedule(scheduled.at(-1))}. Tests that waited, round by round: ${waitedTests.join(', ')}; forced: ${scheduled.map((schedule) => schedule?.forced ?? 0).join(', ')}; oversize: ${scheduled.map((schedule) => schedule?.oversize.length ?? 0).join(', ')}.`,
    ],
  };
}
