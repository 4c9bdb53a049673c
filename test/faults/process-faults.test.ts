// The fault suite, chunk processes: each case breaks a chunk in one known way through the built
// CLI with real pytest, then checks the status, the results kept, the logs on disk, the message,
// and that no process of the run is left. Records feed docs/reliability.md.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chunkOf, FIXTURES_DIR, isAlive, VENV_PYTHON, makeSuiteProject, readAnnounced, readReport, runCli, type CliResult } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';
import type { ChunkReport, RunReport } from '../../src/results/report-types.js';

interface FaultRun {
  dir: string;
  signalDir: string;
  result: CliResult;
  report: RunReport;
}

/** Runs the fixture suite under `config` to the end and reads its report. */
async function runFault(config: Record<string, unknown>, args: string[] = [], env: Record<string, string> = {}): Promise<FaultRun> {
  const { dir, signalDir } = makeSuiteProject(config);
  const result = await runCli(args, { cwd: dir, env });
  return { dir, signalDir, result, report: readReport(dir) };
}

/** Checks and records the run's exit code and one chunk's status. */
function expectOutcome(r: FaultRecorder, run: FaultRun, chunkName: string, status: string, exitCode: number): ChunkReport {
  const chunk = chunkOf(run.report, chunkName);
  r.outcomeOf(run.result.exitCode, chunk.status);
  assert.equal(chunk.status, status, `${chunk.message}\n${run.result.stdout}${run.result.stderr}`);
  assert.equal(run.result.exitCode, exitCode, run.result.stdout + run.result.stderr);
  r.did(`status ${status}, exit ${exitCode}: "${shorten(chunk.message, 140)}"`);
  r.held(`status ${status} and exit ${exitCode}`);
  return chunk;
}

function shorten(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** Checks the chunk's output.log is on disk and holds `text`. */
function expectLog(r: FaultRecorder, chunk: ChunkReport, text: string | RegExp): void {
  const log = readFileSync(chunk.logFile, 'utf8');
  if (typeof text === 'string') assert.ok(log.includes(text), `output.log lacks ${JSON.stringify(text)}`);
  else assert.match(log, text);
  r.held('output.log on disk with the chunk\'s output');
}

/** Checks the run printed no stack trace of its own. */
function expectNoStackTrace(r: FaultRecorder, result: CliResult): void {
  assert.doesNotMatch(result.stderr, /\n\s+at .+\(.+:\d+:\d+\)/, result.stderr);
  r.held('no stack trace');
}

faultCase('process', 'SIGKILL of the pytest process mid-test (from outside run-chunks, no OOM), no xdist', async (r) => {
  const run = await runFault({
    chunks: [
      { name: 'victim', markers: 'selfkill', workers: 1 },
      { name: 'after', markers: 'last' },
    ],
  });
  const chunk = expectOutcome(r, run, 'victim', 'killed', 3);
  assert.match(chunk.attempts[0]!.message, /^killed by SIGKILL from outside run-chunks; no OOM evidence for this chunk/);
  assert.match(chunk.message, /was killed again when run alone \(killed by SIGKILL from outside run-chunks; no OOM evidence for this chunk/);
  r.held('the message says the SIGKILL came from outside and no OOM was counted for this chunk');
  assert.deepEqual(chunk.attempts[0]?.tests, { total: 3, passed: 2, failed: 0, skipped: 0, errors: 1, xfailed: 0, xpassed: 0 });
  r.held('the 2 tests that finished before the kill kept as passed');
  assert.deepEqual(chunk.blamedTests.map((blamed) => [blamed.nodeid, blamed.reason]), [['tests/test_selfkill.py::test_b_kills_its_own_process', 'killed']]);
  r.held('the test running at the kill is blamed (killed)');
  // A kill without evidence may still have been the kernel's: recovery runs the culprit alone, then what never started.
  assert.deepEqual(chunk.blamedTests.map((blamed) => blamed.verdict), ['oom-deterministic']);
  assert.deepEqual(chunk.tests, { total: 5, passed: 4, failed: 0, skipped: 0, errors: 1, xfailed: 0, xpassed: 0 });
  assert.equal(chunk.notRun, 0);
  r.did(`ran the blamed test alone (killed again), then the 2 never started: ${chunk.attempts.length} attempts`);
  r.held('all 5 tests accounted for: 4 passed, 1 error, 0 not run');
  assert.equal(chunkOf(run.report, 'after').status, 'passed');
  r.held('the next chunk ran and passed');
  expectLog(r, chunk, 'test_selfkill.py');
  checkNoLeftovers(r, run.result.tag);
});

faultCase('process', 'SIGKILL of an xdist worker mid-test (workers: 2)', async (r) => {
  const run = await runFault({ chunks: [{ name: 'victim', markers: 'selfkill', workers: 2 }] });
  // The dead worker's test is run alone, as after a kill of the whole chunk: it kills itself again,
  // a SIGKILL with no OOM evidence for the chunk, so 'killed'.
  const chunk = expectOutcome(r, run, 'victim', 'killed', 3);
  assert.equal(chunk.tests?.passed, 4, 'the other four tests pass on the remaining or replaced worker');
  r.held('the 4 other tests kept as passed');
  const blamed = chunk.blamedTests[0];
  assert.equal(blamed?.nodeid, 'tests/test_selfkill.py::test_b_kills_its_own_process');
  assert.match(blamed?.worker ?? '', /^gw\d+$/);
  assert.equal(blamed?.verdict, 'oom-deterministic');
  r.did(`blamed ${blamed?.nodeid} on ${blamed?.worker} (${blamed?.reason}), ran it alone: killed again`);
  r.held('the killed worker\'s test is blamed with its worker id, and run alone');
  expectLog(r, chunk, /crashed|Not properly terminated|replacing crashed worker/i);
  checkNoLeftovers(r, run.result.tag);
});

faultCase('process', 'a runaway allocator stopped by memoryLimit while another chunk runs', async (r) => {
  const run = await runFault(
    {
      chunks: [
        { name: 'runaway', markers: 'runaway', memoryLimit: '300MB', timeout: '60s' },
        { name: 'neighbour', markers: 'idle' },
      ],
    },
    ['--parallel-chunks', '2'],
  );
  const chunk = expectOutcome(r, run, 'runaway', 'memory-limit', 3);
  // The fixture grows by 800 MB/s, so one 250 ms sample interval is worth 200 MB of overshoot.
  assert.ok(chunk.memory!.peakRssBytes < 300e6 + 2 * 200e6, `peak ${chunk.memory!.peakRssBytes}`);
  r.did(`stopped at a sampled peak of ${Math.round(chunk.memory!.peakRssBytes / 1e6)} MB (limit 300 MB, growing 800 MB/s)`);
  r.held('overshoot below 2 sample intervals of growth');
  assert.equal(chunk.blamedTests[0]?.reason, 'memory-limit');
  r.held('the runaway test is blamed');
  const neighbour = chunkOf(run.report, 'neighbour');
  assert.equal(neighbour.status, 'passed');
  assert.equal(neighbour.tests?.passed, 4);
  const overlapped = Date.parse(neighbour.startedAt!) < Date.parse(chunk.startedAt!) + chunk.durationMs;
  assert.ok(overlapped, 'the two chunks ran at the same time');
  r.held('the concurrent chunk ran alongside and passed all 4 tests');
  checkNoLeftovers(r, run.result.tag);
});

faultCase('process', 'a hang: the test sleeps forever after starting a grandchild that ignores SIGTERM', async (r) => {
  const run = await runFault({
    chunks: [
      { name: 'hang', markers: 'hang', timeout: '2s', gracePeriod: '1s' },
      { name: 'last', markers: 'last' },
    ],
  });
  const chunk = expectOutcome(r, run, 'hang', 'timeout', 3);
  assert.equal(chunk.timeoutMs, 2000);
  assert.match(chunk.message, /timeout of 2\.0s/);
  assert.ok(chunk.durationMs >= 2000 && chunk.durationMs < 15_000, `duration ${chunk.durationMs}`);
  assert.equal(chunkOf(run.report, 'last').status, 'passed');
  r.held('stopped after its 2 s timeout; the next chunk ran and passed');
  const grandchild = readAnnounced(run.signalDir, 'grandchild');
  assert.ok(grandchild !== undefined && !isAlive(grandchild));
  r.held('the SIGTERM-ignoring grandchild is dead (SIGKILL after the 1 s grace)');
  assert.deepEqual(chunk.blamedTests.map((blamed) => blamed.reason), ['timeout']);
  r.held('the hanging test is blamed for the timeout');
  checkNoLeftovers(r, run.result.tag);
});

faultCase('process', 'a hang whose grandchild called setsid() to leave the process group', async (r) => {
  const run = await runFault({ chunks: [{ name: 'escape', markers: 'escapee', timeout: '3s', gracePeriod: '1s' }] });
  const chunk = expectOutcome(r, run, 'escape', 'timeout', 3);
  const escapee = readAnnounced(run.signalDir, 'escapee');
  assert.ok(escapee !== undefined, 'the fixture started its escapee');
  assert.equal(isAlive(escapee), false, `escapee ${escapee} survived`);
  r.held('the escapee (own session, ignores SIGTERM) is dead: found by the chunk\'s environment markers');
  const warning = chunk.warnings.find((text) => text.includes('left the chunk\'s process group'));
  assert.ok(warning?.includes(`pid ${escapee}`), chunk.warnings.join('\n'));
  r.did(`warned: "${warning!.slice(0, 90)}…"`);
  r.held('a warning names the escaped pid');
  checkNoLeftovers(r, run.result.tag);
});

faultCase('process', 'a passing test that leaves a setsid() daemon behind', async (r) => {
  const run = await runFault({ chunks: [{ name: 'daemon', markers: 'escapee_done' }] });
  const chunk = expectOutcome(r, run, 'daemon', 'passed', 0);
  const escapee = readAnnounced(run.signalDir, 'escapee');
  assert.ok(escapee !== undefined && !isAlive(escapee), `escapee ${escapee} survived the chunk`);
  r.held('the daemon is killed when the chunk ends');
  assert.ok(chunk.warnings.some((text) => text.includes(`pid ${escapee}`)), chunk.warnings.join('\n'));
  r.held('a warning names it; the passing result stands');
  checkNoLeftovers(r, run.result.tag);
});

faultCase('process', 'a segfault in a test (no xdist)', async (r) => {
  const run = await runFault({ chunks: [{ name: 'segv', markers: 'segfault' }] });
  const chunk = expectOutcome(r, run, 'segv', 'crashed', 3);
  assert.equal(chunk.signal, 'SIGSEGV');
  r.held('signal SIGSEGV recorded');
  assert.equal(chunk.tests?.passed, 1);
  assert.equal(chunk.blamedTests[0]?.nodeid, 'tests/test_faults.py::test_b_segfaults');
  r.held('the test before kept as passed; the segfaulting test blamed');
  expectLog(r, chunk, 'Fatal Python error: Segmentation fault');
  checkNoLeftovers(r, run.result.tag);
});

for (const { exit, fault, chunk: chunkConfig, env, status, runExit, message } of [
  {
    exit: 2,
    fault: 'pytest exits 2 (interrupted: a test raised KeyboardInterrupt)',
    chunk: { markers: 'keyboard_interrupt' },
    env: {},
    status: 'error',
    runExit: 3,
    message: /interruption/i,
  },
  {
    exit: 3,
    fault: 'pytest exits 3 (internal error in a hook)',
    chunk: { markers: 'internal_error', env: { FIXTURE_INTERNAL_ERROR: '1' } },
    env: {},
    status: 'error',
    runExit: 3,
    message: /internal error/i,
  },
  {
    exit: 4,
    fault: 'pytest exits 4 (usage error: an unknown option in args)',
    chunk: { markers: 'first', args: ['--no-such-option'] },
    env: {},
    status: 'error',
    runExit: 3,
    message: /rejected its command line/i,
  },
  {
    exit: 5,
    fault: 'pytest exits 5 (no tests collected)',
    chunk: { markers: 'no_such_marker_anywhere' },
    env: {},
    status: 'no-tests',
    runExit: 3,
    message: /no tests/i,
  },
]) {
  faultCase('process', fault, async (r) => {
    const run = await runFault({ chunks: [{ name: 'odd', ...chunkConfig }, { name: 'after', markers: 'last' }] }, [], env);
    const chunk = expectOutcome(r, run, 'odd', status, runExit);
    assert.equal(chunk.exitCode, exit);
    assert.match(chunk.message, message);
    r.held(`pytest's exit code ${exit} recorded and explained`);
    assert.equal(chunkOf(run.report, 'after').status, 'passed');
    r.held('the next chunk ran and passed');
    checkNoLeftovers(r, run.result.tag);
  });
}

faultCase('process', 'a command chunk whose program does not exist', async (r) => {
  const run = await runFault({
    runner: 'command',
    chunks: [
      { name: 'missing', command: ['no-such-program-run-chunks-fault'] },
      { name: 'after', command: [VENV_PYTHON, '-c', 'print("after ran")'] },
    ],
  });
  const chunk = expectOutcome(r, run, 'missing', 'error', 3);
  assert.match(chunk.message, /no-such-program-run-chunks-fault/);
  assert.match(chunk.message, /no such program|not found/);
  r.held('the message names the program');
  assert.equal(chunkOf(run.report, 'after').status, 'passed');
  r.held('the next chunk ran and passed');
  expectNoStackTrace(r, run.result);
  checkNoLeftovers(r, run.result.tag);
});

faultCase('process', 'the configured python does not exist', async (r) => {
  const run = await runFault({ python: '/nonexistent/bin/python3', chunks: [{ name: 'first', markers: 'first' }] });
  const chunk = expectOutcome(r, run, 'first', 'error', 3);
  assert.match(chunk.message, /\/nonexistent\/bin\/python3/);
  r.held('the message names the interpreter');
  expectNoStackTrace(r, run.result);
  checkNoLeftovers(r, run.result.tag);
});

faultCase('process', 'pytest is not installed for the configured python', async (r) => {
  const venv = mkdtempSync(path.join(tmpdir(), 'run-chunks-bare-venv-'));
  execFileSync('python3', ['-m', 'venv', '--without-pip', venv]);
  const python = path.join(venv, 'bin', 'python');
  const run = await runFault({ python, chunks: [{ name: 'first', markers: 'first' }] });
  const chunk = expectOutcome(r, run, 'first', 'error', 3);
  assert.match(chunk.message, /pytest/);
  assert.match(chunk.message, /pip install/);
  r.held('the message says pytest is missing and how to install it');
  expectNoStackTrace(r, run.result);
  checkNoLeftovers(r, run.result.tag);
});

faultCase('process', 'pytest-xdist missing while the chunk asks for workers: 2', async (r) => {
  const run = await runFault({
    chunks: [
      { name: 'workers', markers: 'workers', workers: 2, env: { PYTHONPATH: `${FIXTURES_DIR}/blocker` } },
      { name: 'after', markers: 'last' },
    ],
  });
  const chunk = expectOutcome(r, run, 'workers', 'error', 3);
  assert.equal(chunk.pid, null);
  assert.match(chunk.message, /pip install pytest-xdist/);
  r.held('never spawned; the message says how to install xdist or use --no-parallel');
  assert.equal(chunkOf(run.report, 'after').status, 'passed');
  r.held('the next chunk ran and passed');
  checkNoLeftovers(r, run.result.tag);
});

faultCase('output', 'a chunk printing 20 MiB of output', async (r) => {
  const run = await runFault({ chunks: [{ name: 'flood', markers: 'flood', args: ['-s'] }] });
  const chunk = expectOutcome(r, run, 'flood', 'passed', 0);
  const log = readFileSync(chunk.logFile, 'utf8');
  // pytest prints the test file's name before the test's first line, so match anywhere.
  const lines = [...log.matchAll(/(\d{8}) x{1014}\n/g)].map((match) => Number(match[1]));
  assert.equal(lines.length, 20 * 1024);
  assert.ok(lines.every((number, index) => number === index), 'lines in order, none lost');
  assert.ok(log.includes('END-OF-FLOOD'));
  r.held(`output.log complete: all ${lines.length} numbered lines in order (${(log.length / 2 ** 20).toFixed(1)} MiB)`);
  assert.ok(run.result.stdout.includes('END-OF-FLOOD'), 'the terminal got the output too');
  r.held('the terminal got the whole stream too');
  const peak = run.report.orchestrator!.peakRssBytes;
  r.did(`run-chunks' own peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
  assert.ok(peak < 150 * 2 ** 20, `run-chunks' own peak RSS ${peak}`);
  r.held('run-chunks\' own peak RSS < 150 MiB (bounded: output is streamed, never held)');
  checkNoLeftovers(r, run.result.tag);
});

faultCase('output', 'a chunk that starts 200 processes, then hangs', async (r) => {
  const run = await runFault({ chunks: [{ name: 'swarm', markers: 'swarm', timeout: '6s', gracePeriod: '1s', sampleInterval: '250ms' }] });
  const chunk = expectOutcome(r, run, 'swarm', 'timeout', 3);
  assert.equal(readAnnounced(run.signalDir, 'swarm'), 200);
  assert.ok(chunk.memory!.peakProcesses >= 201, `peak processes ${chunk.memory!.peakProcesses}`);
  r.did(`sampled ${chunk.memory!.peakProcesses} processes at the peak`);
  r.held('all 200 children and pytest sampled');
  checkNoLeftovers(r, run.result.tag);
  r.held('all 201 processes killed');
});

faultCase('report', 'a chunk\'s report folder already holds files run-chunks did not write', async (r) => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first' }, { name: 'last', markers: 'last' }] });
  const foreign = path.join(dir, 'reports', 'first');
  mkdirSync(foreign, { recursive: true });
  writeFileSync(path.join(foreign, 'notes.txt'), 'precious');
  const result = await runCli(['--report-dir', 'reports'], { cwd: dir });
  const report = readReport(dir, 'reports');
  const chunk = chunkOf(report, 'first');
  r.outcomeOf(result.exitCode, chunk.status);
  assert.equal(chunk.status, 'error');
  assert.equal(result.exitCode, 3);
  assert.match(chunk.message, /already exists and was not made by run-chunks, so it was left untouched/);
  r.did(`status error, exit 3: "${shorten(chunk.message, 120)}"`);
  assert.equal(readFileSync(path.join(foreign, 'notes.txt'), 'utf8'), 'precious');
  r.held('the foreign folder and its file are untouched (a folder is emptied only when run-chunks made it)');
  assert.equal(chunkOf(report, 'last').status, 'passed');
  r.held('the other chunk ran and passed');
  checkNoLeftovers(r, result.tag);
});
