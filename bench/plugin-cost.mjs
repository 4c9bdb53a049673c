// Benchmark section 'plugin-cost': what the bundled pytest plugin (run_chunks_events) costs per
// test, three ways, because on a shared machine no single one is steady: the same generated suite
// of trivial tests run whole with plain pytest and with the plugin loaded as run-chunks loads it
// (-p run_chunks_events, its folder on PYTHONPATH, RUN_CHUNKS_EVENTS_FILE set), alternating (the
// figure the target is judged on); the instructions each test costs under valgrind (exact and
// repeatable, where valgrind is installed); and the plugin's own calls timed, in a loop and inside pytest.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixed, median, QUICK, ROOT, ROUNDS, tempDir, timeCommand, VENV_PYTHON } from './lib.mjs';

const TESTS = QUICK ? 500 : 10_000;
const TESTS_PER_FILE = 500;
const MICRO_ITERATIONS = QUICK ? 1_000 : 100_000;
const PLUGIN_DIR = path.join(ROOT, 'python');
const MICRO = path.join(ROOT, 'bench', 'fixtures', 'plugin_micro.py');
const SELF_TIME = path.join(ROOT, 'bench', 'fixtures', 'plugin_selftime.py');
const VALGRIND = ['/usr/bin/valgrind', '/usr/local/bin/valgrind'].find((candidate) => existsSync(candidate));
// Instructions per test = the difference between a run of this many files and of twice as many,
// divided by the tests in between: what every run costs once (start-up, collection's fixed part)
// falls out.
const VALGRIND_FILES = 1;
// Runs of the self-timed suite: each figure is a sum over every test, steady enough in a few.
const SELF_TIME_RUNS = QUICK ? 1 : 3;
const TARGET_US = 50;
// Pairs of runs: more than other sections' rounds, because this machine's speed alone moves a
// 10 s run by more than the whole difference measured (BENCH_ROUNDS above 9 raises it).
const PAIRS = QUICK ? 1 : Math.max(ROUNDS, 9);

/** TESTS trivial tests (`def test_n(): pass`) in files of TESTS_PER_FILE. */
function makeSuite() {
  const dir = tempDir('plugin-cost');
  const tests = path.join(dir, 'tests');
  mkdirSync(tests);
  writeFileSync(path.join(dir, 'pytest.ini'), '[pytest]\ntestpaths = tests\n');
  for (let file = 0; file * TESTS_PER_FILE < TESTS; file += 1) {
    const count = Math.min(TESTS_PER_FILE, TESTS - file * TESTS_PER_FILE);
    const body = Array.from({ length: count }, (_, index) => `def test_${index}():\n    pass\n`).join('\n');
    writeFileSync(path.join(tests, `test_generated_${String(file).padStart(2, '0')}.py`), body);
  }
  return dir;
}

function runPytest(suite, withPlugin, round) {
  const argv = [VENV_PYTHON, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...(withPlugin ? ['-p', 'run_chunks_events'] : [])];
  const eventsFile = path.join(suite, `events-${round}.jsonl`);
  // PYTHONPATH both ways, so that the two differ only in the plugin being loaded.
  const env = { PYTHONPATH: PLUGIN_DIR, ...(withPlugin ? { RUN_CHUNKS_EVENTS_FILE: eventsFile } : {}) };
  const run = timeCommand(argv, { cwd: suite, env });
  if (run.exitCode !== 0 || !run.stdout.includes(`${TESTS} passed`)) throw new Error(`pytest ${withPlugin ? 'with' : 'without'} the plugin did not pass ${TESTS} tests (exit ${run.exitCode}):\n${run.stdout}${run.stderr}`);
  rmSync(eventsFile, { force: true });
  rmSync(`${eventsFile}.collected`, { force: true });
  return run;
}

function runMicro(work) {
  const eventsFile = path.join(work, 'micro-events.jsonl');
  const run = timeCommand([VENV_PYTHON, MICRO, String(MICRO_ITERATIONS), eventsFile], { env: { PYTHONPATH: PLUGIN_DIR } });
  rmSync(eventsFile, { force: true });
  if (run.exitCode !== 0) throw new Error(`the plugin micro-benchmark failed (exit ${run.exitCode}):\n${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

/** The plugin's own calls timed inside a pytest run of the suite: µs per test in each. */
function runSelfTime(suite) {
  const eventsFile = path.join(suite, 'selftime-events.jsonl');
  const run = timeCommand([VENV_PYTHON, SELF_TIME, String(TESTS), eventsFile], { cwd: suite, env: { PYTHONPATH: PLUGIN_DIR } });
  rmSync(eventsFile, { force: true });
  rmSync(`${eventsFile}.collected`, { force: true });
  if (run.exitCode !== 0) throw new Error(`the self-timed plugin run failed (exit ${run.exitCode}):\n${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

/** Instructions that pytest executes per test, with or without the plugin, counted by valgrind (cachegrind); undefined without valgrind. */
function instructionsPerTest(suite, withPlugin) {
  if (!VALGRIND || QUICK) return undefined;
  const files = (count) => Array.from({ length: count }, (_, index) => path.join('tests', `test_generated_${String(index).padStart(2, '0')}.py`));
  const eventsFile = path.join(suite, 'valgrind-events.jsonl');
  const count = (fileCount) => {
    const argv = [VALGRIND, '--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', VENV_PYTHON, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...(withPlugin ? ['-p', 'run_chunks_events'] : []), ...files(fileCount)];
    // A fixed hash seed: with a random one, dicts and sets differ run to run, and so does the count.
    const env = { ...process.env, PYTHONHASHSEED: '0', PYTHONPATH: PLUGIN_DIR, ...(withPlugin ? { RUN_CHUNKS_EVENTS_FILE: eventsFile } : {}) };
    const result = spawnSync(argv[0], argv.slice(1), { cwd: suite, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    rmSync(eventsFile, { force: true });
    rmSync(`${eventsFile}.collected`, { force: true });
    const match = /I\s+refs:\s+([\d,]+)/.exec(result.stderr ?? '');
    if (result.status !== 0 || !match) throw new Error(`valgrind's count of pytest failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
    return Number(match[1].replaceAll(',', ''));
  };
  return (count(VALGRIND_FILES * 2) - count(VALGRIND_FILES)) / (VALGRIND_FILES * TESTS_PER_FILE);
}

/** @returns {Promise<import('./lib.mjs').Section>} */
export async function pluginCost() {
  const suite = makeSuite();
  const without = [];
  const withPlugin = [];
  for (let round = 0; round < PAIRS; round += 1) {
    // Alternating, and which goes first alternates too, so that a slow spell of a shared machine
    // falls on both.
    const order = round % 2 === 0 ? [false, true] : [true, false];
    for (const plugin of order) (plugin ? withPlugin : without).push(runPytest(suite, plugin, round));
  }
  const instructionsWithout = instructionsPerTest(suite, false);
  const instructionsWith = instructionsPerTest(suite, true);
  const micro = [];
  for (let round = 0; round < ROUNDS; round += 1) micro.push(runMicro(suite));
  const selfTimed = [];
  for (let round = 0; round < SELF_TIME_RUNS; round += 1) selfTimed.push(runSelfTime(suite));
  rmSync(suite, { recursive: true, force: true });

  const wallWithout = median(without.map((run) => run.wallMs));
  const wallWith = median(withPlugin.map((run) => run.wallMs));
  const cpuWithout = median(without.map((run) => run.cpuMs));
  const cpuWith = median(withPlugin.map((run) => run.cpuMs));
  const perTestUs = (withMs, withoutMs) => ((withMs - withoutMs) * 1000) / TESTS;
  const wallCostUs = perTestUs(wallWith, wallWithout);
  const cpuCostUs = perTestUs(cpuWith, cpuWithout);
  const fastestWithout = Math.min(...without.map((run) => run.wallMs));
  const fastestWith = Math.min(...withPlugin.map((run) => run.wallMs));
  const pairCosts = withPlugin.map((run, index) => perTestUs(run.wallMs, without[index].wallMs));
  const pairCpuCosts = withPlugin.map((run, index) => perTestUs(run.cpuMs, without[index].cpuMs));
  const peaksUs = median(micro.map((one) => one.peaks));
  const rssUs = median(micro.map((one) => one.rss));
  const eventsUs = median(micro.map((one) => one.events));
  const exact = micro.every((one) => one.exact);
  const piecesUs = peaksUs + rssUs * 2 + eventsUs;
  const inside = (name) => median(selfTimed.map((one) => one[name] ?? 0));
  const insideUs = inside('peaks') + inside('rss') + inside('events');
  const plainUsPerTest = (wallWithout * 1000) / TESTS;
  const instructionShare = instructionsWith !== undefined && instructionsWithout !== undefined ? (instructionsWith - instructionsWithout) / instructionsWithout : undefined;
  const viaRusage = micro.every((one) => one.viaRusage);
  return {
    id: 'plugin-cost',
    title: `9. Plugin cost: ${TESTS.toLocaleString('en-US')} trivial tests with and without run_chunks_events`,
    target: `under ${TARGET_US} µs of wall time per test`,
    headers: ['<measure', 'plain pytest', 'with the plugin', 'difference', 'per test (µs)', `<under ${TARGET_US} µs`],
    rows: [
      ['whole runs, wall time (s)', fixed(wallWithout / 1000), fixed(wallWith / 1000), fixed((wallWith - wallWithout) / 1000), fixed(wallCostUs, 1), wallCostUs < TARGET_US ? 'yes' : 'no'],
      ...(instructionShare !== undefined
        ? [['instructions per test (valgrind)', Math.round(instructionsWithout).toLocaleString('en-US'), Math.round(instructionsWith).toLocaleString('en-US'), `+${fixed(instructionShare * 100, 1)}%`, `≈ ${fixed(instructionShare * plainUsPerTest, 1)}`, instructionShare * plainUsPerTest < TARGET_US ? 'yes (estimate)' : 'no (estimate)']]
        : []),
      ['whole runs, fastest of each (s)', fixed(fastestWithout / 1000), fixed(fastestWith / 1000), fixed((fastestWith - fastestWithout) / 1000), fixed(perTestUs(fastestWith, fastestWithout), 1), '–'],
      ['whole runs, CPU time, user + system (s)', fixed(cpuWithout / 1000), fixed(cpuWith / 1000), fixed((cpuWith - cpuWithout) / 1000), fixed(cpuCostUs, 1), '–'],
      ["the plugin's own calls, timed inside pytest (s)", '–', fixed((insideUs * TESTS) / 1e6), '–', fixed(insideUs, 1), '–'],
    ],
    notes: [
      instructionShare !== undefined
        ? `Instructions: valgrind --tool=cachegrind counts every instruction pytest executes (user space: the system calls' kernel time is not in it), with PYTHONHASHSEED=0 so that a run repeats to within a few instructions per test; per test = (a run of ${VALGRIND_FILES * 2 * TESTS_PER_FILE} tests − a run of ${VALGRIND_FILES * TESTS_PER_FILE}) ÷ ${VALGRIND_FILES * TESTS_PER_FILE}. The plugin adds ${fixed(instructionShare * 100, 1)}% to what pytest itself executes for a trivial test; at plain pytest's ${fixed(plainUsPerTest, 1)} µs per test (its median whole run) that is about ${fixed(instructionShare * plainUsPerTest, 1)} µs, if the plugin's code runs as fast per instruction as pytest's. Across code changes that should not matter, this count moved by about 10,000 instructions per test (the garbage collector's timing shifts), so read it to ±0.5%.`
        : `Instructions: not counted (valgrind is not installed${QUICK ? ', or BENCH_QUICK is set' : ''}).`,
      `A generated suite of ${TESTS.toLocaleString('en-US')} tests, \`def test_N(): pass\` in files of ${TESTS_PER_FILE}, run by \`python -m pytest -q -p no:cacheprovider\` (one process, no xdist, no JUnit file), and by the same with \`-p run_chunks_events\` and RUN_CHUNKS_EVENTS_FILE set, as run-chunks runs a chunk (PYTHONPATH holds the repository's python/ folder both ways). ${PAIRS} pair(s) of runs, the two alternating (and which goes first alternating); medians. Per test = (median with − median without) ÷ ${TESTS.toLocaleString('en-US')}; it includes collection (the plugin writes the ${TESTS.toLocaleString('en-US')} node ids to events.jsonl.collected) and the session's start and end.`,
      `Plain pytest alone took ${fixed(Math.min(...without.map((run) => run.wallMs)) / 1000)} to ${fixed(Math.max(...without.map((run) => run.wallMs)) / 1000)} s from one run to the next. Per-test wall cost of each pair: ${pairCosts.map((cost) => fixed(cost, 1)).join(', ')} µs (median ${fixed(median(pairCosts), 1)}); CPU: ${pairCpuCosts.map((cost) => fixed(cost, 1)).join(', ')} µs (median ${fixed(median(pairCpuCosts), 1)}): on a shared machine one run's time moves by more than the whole difference, and CPU time moves with it (a virtual CPU's lost time is counted as the process's), so the fastest run of each way is given beside the medians; hence the instruction count above, which no other load on the machine changes: an estimate, as it leaves out the system calls' kernel time (one clear_refs write, two statm reads, three or four getrusage calls and two event writes per test, about 1 µs each here) and assumes the plugin's code runs as many instructions per second as pytest's. Wall time: from spawn to exit, measured by Node; CPU: the pytest process's user + system time (GNU time, 10 ms resolution, or sh's times builtin).`,
      `Where it goes, timed piece by piece outside pytest (bench/fixtures/plugin_micro.py, ${MICRO_ITERATIONS.toLocaleString('en-US')} iterations, median of ${ROUNDS} run(s), the empty loop taken off): the RSS and the exact peak, PeakMeter.start() + end() (the RSS from /proc/self/statm, write "5" to /proc/self/clear_refs, the peak from ${viaRusage ? 'getrusage, proven equal to VmHWM in this process' : '/proc/self/status (getrusage could not be proven equal to VmHWM here)'}, getrusage for the children, len(sys.modules)), ${fixed(peaksUs, 1)} µs per test${exact ? '' : ' (the reset was refused here: peakMethod null)'}; checking for torch, ${fixed(rssUs, 1)} µs, done twice per test (${fixed(rssUs * 2, 1)} µs); writing the test-start and test-end lines (one % format and one os.write each), ${fixed(eventsUs, 1)} µs. Together ${fixed(piecesUs, 1)} µs, ${piecesUs <= wallCostUs ? `against ${fixed(wallCostUs, 1)} µs measured in pytest: the rest is the plugin's hooks themselves (logstart and logfinish, the fixture-setup and logreport hooks, the phase reports summed, the test's location), collection, and the machine's noise` : `more than the ${fixed(wallCostUs, 1)} µs measured in pytest: a loop of the same calls is not a test run (warm caches, no pytest in between), so read these as each piece's share, not a sum`}.`,
      `The plugin's own calls timed inside a real run (bench/fixtures/plugin_selftime.py: pytest.main() with the plugin, in one process, perf_counter around each piece; median of ${SELF_TIME_RUNS} run(s) of the ${TESTS.toLocaleString('en-US')} tests): PeakMeter.start() + end() (the RSS reads included) ${fixed(inside('peaks'), 1)} µs per test, the two torch checks ${fixed(inside('rss'), 1)} µs, the two event writes ${fixed(inside('events'), 1)} µs; ${fixed(insideUs, 1)} µs in all, against ${fixed(piecesUs, 1)} µs for the same calls in a tight loop, where their code and data stay in the caches. The whole of write_test_end (the peak's end with its RSS read, the phase reports, one write) took ${fixed(inside('testEnd'), 1)} µs. What the end-to-end difference holds beyond these is pluggy calling the plugin's hooks and what the plugin's calls cost pytest's own code afterwards.`,
    ],
  };
}
