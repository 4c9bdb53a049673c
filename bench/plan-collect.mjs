// Benchmark section 'plan-collect': `run-chunks plan` on a 10,000-test suite with 11 chunks (8 by
// marker, one by keyword, one by paths, and a rest chunk): one --collect-only of the whole suite,
// the bundled plugin judging every chunk in it, against the previous code's way, one collection
// per chunk plus one of the whole suite plus `pytest --markers`, a few at once.
//
// "Before" is not the previous CLI: it is the same pytest processes that code started (the same
// argv, environment and concurrency, min(4, cores)), started here, so the two differ only in the
// collections. Node's own start-up and the analysis are in "now" and not in "before": that only
// favours the old way.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, fixed, median, QUICK, ROOT, ROUNDS, tempDir, timeCommand, VENV_PYTHON } from './lib.mjs';

const TESTS = QUICK ? 500 : 10_000;
const TESTS_PER_FILE = QUICK ? 100 : 500;
const MARKERS = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'];
const PLUGIN_DIR = path.join(ROOT, 'python');
const CONCURRENCY = Math.max(1, Math.min(4, os.availableParallelism()));

/** TESTS trivial tests; the n-th carries marker m(n % 9) (every ninth none), the files split into two folders. */
function makeSuite() {
  const dir = tempDir('plan-collect');
  const markers = MARKERS.map((name) => `    ${name}: generated marker`).join('\n');
  writeFileSync(path.join(dir, 'pytest.ini'), `[pytest]\nmarkers =\n${markers}\n`);
  for (const folder of ['tests/a', 'tests/b']) mkdirSync(path.join(dir, folder), { recursive: true });
  for (let file = 0; file * TESTS_PER_FILE < TESTS; file += 1) {
    const count = Math.min(TESTS_PER_FILE, TESTS - file * TESTS_PER_FILE);
    const body = Array.from({ length: count }, (_, index) => {
      const marker = MARKERS[(file * TESTS_PER_FILE + index) % 9];
      return `${marker ? `@pytest.mark.${marker}\n` : ''}def test_${index}():\n    pass\n`;
    }).join('\n');
    writeFileSync(path.join(dir, file % 2 === 0 ? 'tests/a' : 'tests/b', `test_generated_${String(file).padStart(2, '0')}.py`), `import pytest\n\n${body}`);
  }
  const chunks = [
    ...MARKERS.map((name) => ({ name, markers: name })),
    { name: 'keyword', keyword: 'test_1 and not test_10' },
    { name: 'paths', paths: ['tests/b/test_generated_01.py'] },
    { name: 'rest', rest: true },
  ];
  writeFileSync(path.join(dir, 'chunks.config.json'), JSON.stringify({ python: VENV_PYTHON, testPaths: ['tests'], collectTimeout: '10m', defaults: { args: ['-p', 'no:cacheprovider'] }, chunks }));
  return { dir, chunks };
}

function run(argv, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (data) => (stderr += data));
    child.on('close', (code) => (code === 0 || code === 5 ? resolve() : reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr}`))));
  });
}

/** The pytest processes the previous `plan` started, with its argv and concurrency; ms of wall time. */
async function previousWay(suite, chunks) {
  const work = tempDir('plan-collect-old');
  const collect = (index, selection) => {
    const events = path.join(work, `events-${index}.jsonl`);
    const argv = [VENV_PYTHON, '-m', 'pytest', ...selection, '-p', 'run_chunks_events', `--junitxml=${path.join(work, `junit-${index}.xml`)}`];
    return () => run([...argv, '--collect-only', '-q', '--capture=no'], suite, { PYTHONPATH: PLUGIN_DIR, PYTHONUNBUFFERED: '1', RUN_CHUNKS_EVENTS_FILE: events });
  };
  const jobs = [
    // The whole suite, with no args (which is what broke xarray's and fluids' plan).
    collect('suite', ['tests']),
    ...chunks.filter((chunk) => !chunk.rest).map((chunk, index) => collect(index, [...(chunk.paths ?? ['tests']), ...(chunk.markers ? ['-m', chunk.markers] : []), ...(chunk.keyword ? ['-k', chunk.keyword] : []), '-p', 'no:cacheprovider'])),
    () => run([VENV_PYTHON, '-m', 'pytest', '--markers', '-p', 'no:cacheprovider', '--capture=no'], suite, {}),
  ];
  const started = performance.now();
  const queue = [...jobs];
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (queue.length > 0) await queue.shift()();
  }));
  const wallMs = performance.now() - started;
  rmSync(work, { recursive: true, force: true });
  return { wallMs, processes: jobs.length };
}

/** One plain collection of the whole suite with the plugin (no chunk judged): what the judging adds to. */
async function plainCollection(suite) {
  const work = tempDir('plan-collect-plain');
  const started = performance.now();
  await run([VENV_PYTHON, '-m', 'pytest', 'tests', '-p', 'run_chunks_events', `--junitxml=${path.join(work, 'junit.xml')}`, '-p', 'no:cacheprovider', '--collect-only', '-q', '--capture=no'], suite, {
    PYTHONPATH: PLUGIN_DIR,
    PYTHONUNBUFFERED: '1',
    RUN_CHUNKS_EVENTS_FILE: path.join(work, 'events.jsonl'),
  });
  const wallMs = performance.now() - started;
  rmSync(work, { recursive: true, force: true });
  return wallMs;
}

function planNow(suite) {
  const result = timeCommand([process.execPath, CLI, 'plan', '--json'], { cwd: suite });
  if (result.exitCode !== 0) throw new Error(`run-chunks plan failed (exit ${result.exitCode}):\n${result.stdout}${result.stderr}`);
  const plan = JSON.parse(result.stdout);
  if (plan.collected !== TESTS) throw new Error(`plan collected ${plan.collected} tests, not ${TESTS}`);
  return { wallMs: result.wallMs, collectionMs: plan.collection.durationMs, processes: plan.collection.pytestRuns, plan };
}

/** @returns {Promise<import('./lib.mjs').Section>} */
export async function planCollect() {
  const { dir, chunks } = makeSuite();
  const before = [];
  const now = [];
  const plain = [];
  let lastPlan;
  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternating which goes first, so that a slow spell of a shared machine falls on both.
    const pair = round % 2 === 0 ? ['old', 'new', 'plain'] : ['plain', 'new', 'old'];
    for (const which of pair) {
      if (which === 'old') before.push(await previousWay(dir, chunks));
      else if (which === 'plain') plain.push(await plainCollection(dir));
      else {
        const measured = planNow(dir);
        now.push(measured);
        lastPlan = measured.plan;
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const beforeMs = median(before.map((m) => m.wallMs));
  const nowMs = median(now.map((m) => m.wallMs));
  const collectionMs = median(now.map((m) => m.collectionMs));
  const restTests = lastPlan.chunks.find((chunk) => chunk.name === 'rest').tests;
  return {
    title: `12. \`run-chunks plan\` on a ${TESTS.toLocaleString('en')}-test suite: one collection instead of one per chunk`,
    target: 'plan starts one pytest for the whole suite, whatever the number of chunks, and takes less wall time than the collections the previous code ran.',
    headers: ['<way', 'pytest processes', 'median s', 'fastest s', 'vs before'],
    rows: [
      ['before: one --collect-only per chunk + the whole suite + --markers', String(before[0].processes), fixed(beforeMs / 1000), fixed(Math.min(...before.map((m) => m.wallMs)) / 1000), '1.00x'],
      ['now: `run-chunks plan --json`, the whole CLI', String(now[0].processes), fixed(nowMs / 1000), fixed(Math.min(...now.map((m) => m.wallMs)) / 1000), `${fixed(nowMs / beforeMs)}x`],
      ['now: its one collection alone (`collection.durationMs`)', String(now[0].processes), fixed(collectionMs / 1000), fixed(Math.min(...now.map((m) => m.collectionMs)) / 1000), `${fixed(collectionMs / beforeMs)}x`],
      ['for scale: one plain --collect-only of the suite, no chunk judged', '1', fixed(median(plain) / 1000), fixed(Math.min(...plain) / 1000), `${fixed(median(plain) / beforeMs)}x`],
    ],
    notes: [
      `${chunks.length} chunks: 8 by marker, one by -k, one by path, one rest (${restTests} tests, every ninth test, less the -k and path chunks' share); ${ROUNDS} round(s), alternating; up to ${CONCURRENCY} collections at once, as the previous code ran them on this machine.`,
      '"Before" is the previous code\'s pytest processes started by this script (same argv, environment and concurrency), not the previous CLI: Node\'s start-up and the analysis count in "now" only.',
      `Judging the 10 chunks' -m/-k/paths for every test costs the difference between the one collection and the plain one: ${fixed((collectionMs - median(plain)) / 1000)} s of median, ${fixed(((collectionMs - median(plain)) * 1000) / TESTS / 10, 0)} µs per test and chunk at most (it includes reading the membership back; noisy: the two medians are of separate runs).`,
      'A rest chunk\'s run gains the same: before, it waited for every other chunk\'s collection and one of the whole suite (here all but the --markers process); now it collects once, inside its own pytest session, counted in its duration and timeline.',
    ],
  };
}
