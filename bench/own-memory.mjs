// Benchmark section 3: run-chunks' own memory while it runs a chunk of 10,000 tests printing
// 20 MiB in all (streamed to the terminal, the log and the event tail). Target: < 100 MB RSS.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixed, median, MIB, QUICK, readReport, ROUNDS, tempDir, timeCommand, VENV_PYTHON } from './lib.mjs';

const TESTS = QUICK ? 300 : 10_000;
const BYTES_PER_TEST = 2048;

/** A project with one test file of `tests` tests, each printing `bytesPerTest` bytes (0: silent). */
function makeProject(tests, bytesPerTest) {
  const dir = tempDir('own-memory');
  writeFileSync(path.join(dir, 'pytest.ini'), '[pytest]\n');
  const body = bytesPerTest === 0 ? 'pass' : `sys.stdout.write(LINE)`;
  writeFileSync(
    path.join(dir, 'test_many.py'),
    [
      'import sys',
      'import pytest',
      `LINE = ("y" * ${bytesPerTest - 1}) + "\\n"`,
      '',
      `@pytest.mark.parametrize("n", range(${tests}))`,
      'def test_many(n):',
      `    ${body}`,
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'chunks.config.json'), JSON.stringify({ python: VENV_PYTHON, chunks: [{ name: 'many', args: ['-s', '-q'] }] }));
  return dir;
}

function measure(tests, bytesPerTest) {
  const peaks = [];
  let logBytes = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const dir = makeProject(tests, bytesPerTest);
    const reportDir = path.join(dir, 'report');
    const run = timeCommand([process.execPath, CLI, '--report-dir', reportDir, '--gpu', 'off'], { cwd: dir });
    const report = readReport(reportDir);
    if (report.chunks[0].tests?.passed !== tests) throw new Error(`expected ${tests} passed tests, got ${JSON.stringify(report.chunks[0].tests)}`);
    peaks.push(report.orchestrator.peakRssBytes);
    logBytes = run.stdout.length;
  }
  return { peak: median(peaks), logBytes };
}

export async function ownMemory() {
  const cases = [
    ['1 test, no output (the floor)', 1, 0],
    [`${TESTS.toLocaleString('en')} tests, no output`, TESTS, 0],
    [`${TESTS.toLocaleString('en')} tests, ${fixed((TESTS * BYTES_PER_TEST) / MIB, 1)} MiB of output`, TESTS, BYTES_PER_TEST],
  ];
  const rows = cases.map(([label, tests, bytes]) => {
    const { peak, logBytes } = measure(tests, bytes);
    return [label, fixed(logBytes / MIB, 1), fixed(peak / MIB, 0), peak < 100e6 ? 'yes' : 'no'];
  });
  return {
    id: 'memory',
    title: '3. run-chunks\' own memory',
    target: '< 100 MB RSS during a run of 10,000 tests with 20 MB of output.',
    headers: ['<run', 'output through run-chunks (MiB)', 'run-chunks peak RSS (MiB)', 'under 100 MB'],
    rows,
    notes: [
      `Peak RSS of the run-chunks process alone (getrusage ru_maxrss, recorded in report.json as orchestrator.peakRssBytes), median of ${ROUNDS} runs. The chunk runs pytest -s without xdist, so every byte a test prints passes through run-chunks: to its stdout (a pipe here) and to output.log; per-test events are tailed from events.jsonl.`,
      'What grows with the test count is garbage, not data: the live heap after a full GC at the end of a 10,000-test run was about 20 MB (heap snapshot), and V8 widens its young generation (up to 3 × 16 MiB) when a run allocates fast. Parsing 20,000 events used to build each event\'s field checks afresh; building them once took this run from about 111 to under 90 MiB. NODE_OPTIONS=--max-semi-space-size=4 lowers it further, but only works at Node\'s start, so it is not the default.',
      'Output is streamed, never held: each chunk of output is written on as it comes, and the chunk\'s pipe is paused while the log file falls behind. The fault suite checks a bound on a 20 MiB chunk too (docs/reliability.md).',
    ],
  };
}
