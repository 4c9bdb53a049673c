// Benchmark section 'accuracy': does the peak run-chunks samples match the kernel's own high-water
// mark? A generated pytest suite allocates known amounts (in one process, or in every xdist
// worker at once) and each process records its VmHWM; report.json's sampled peak is held against
// their sum, and the single process is also run under GNU time for its maximum RSS.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixed, hasGnuTime, median, MIB, QUICK, readReport, ROOT, ROUNDS, start, tempDir, timeCommand, VENV_PYTHON } from './lib.mjs';

const SUITE = path.join(ROOT, 'bench', 'fixtures', 'peak-suite');
const SAMPLE_INTERVAL_MS = 250;
// Six sample intervals: a peak held this long is seen by several samples however they fall.
const HOLD_SECONDS = 1.5;
// Under half an interval: whether a sample lands on such a peak is down to chance.
const BRIEF_HOLD_SECONDS = 0.1;
const CASES = [
  ...(QUICK ? [100] : [100, 300, 600]).flatMap((allocationMib) => [1, 2].map((workers) => ({ allocationMib, workers, holdSeconds: HOLD_SECONDS }))),
  ...(QUICK ? [] : [{ allocationMib: 300, workers: 1, holdSeconds: BRIEF_HOLD_SECONDS }]),
];
const TOLERANCE = 0.05;

/** A fresh copy of the suite and the folders its processes write to. */
function prepareRun(label) {
  const work = tempDir(`accuracy-${label}`);
  const suite = path.join(work, 'suite');
  cpSync(SUITE, suite, { recursive: true });
  const hwmDir = path.join(work, 'hwm');
  const barrierDir = path.join(work, 'barrier');
  mkdirSync(hwmDir);
  mkdirSync(barrierDir);
  return { work, suite, hwmDir, barrierDir };
}

function suiteEnv({ allocationMib, workers, holdSeconds }, hwmDir, barrierDir) {
  return {
    BENCH_ALLOC_MIB: String(allocationMib),
    BENCH_PARTIES: String(workers),
    BENCH_HOLD_SECONDS: String(holdSeconds),
    BENCH_HWM_DIR: hwmDir,
    BENCH_BARRIER_DIR: barrierDir,
  };
}

/** The VmHWM each pytest process wrote at its session's end: [{ role, hwmBytes }]. */
function readHighWaterMarks(hwmDir) {
  return readdirSync(hwmDir).map((name) => {
    const [role, bytes] = readFileSync(path.join(hwmDir, name), 'utf8').trim().split(' ');
    return { role, hwmBytes: Number(bytes) };
  });
}

/**
 * RSS − PSS at the last sample that read PSS (smaps_rollup) with every process of the tree up:
 * what the shared pages really come to, beside what the peak PSS estimate made of them. A read
 * with PSS over RSS is left out: a process that was starting up grew between the two reads.
 */
function readMeasuredSharing(samplesFile, peakProcesses) {
  const reads = readFileSync(samplesFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((sample) => sample.pssBytes !== null && sample.pssBytes <= sample.rssBytes && sample.processes === peakProcesses);
  const last = reads.at(-1);
  return last === undefined ? undefined : last.rssBytes - last.pssBytes;
}

/** One run of the CLI on the suite: its sampled peaks, the kernel's, and the command it ran. */
async function runCli(testCase) {
  const { allocationMib, workers } = testCase;
  const { work, suite, hwmDir, barrierDir } = prepareRun(`${allocationMib}-${workers}`);
  const chunk = {
    name: 'allocate',
    paths: ['test_allocate.py'],
    workers,
    sampleInterval: SAMPLE_INTERVAL_MS,
    retryOnOom: 0,
    env: suiteEnv(testCase, hwmDir, barrierDir),
  };
  const config = path.join(suite, 'chunks.config.json');
  writeFileSync(config, JSON.stringify({ python: VENV_PYTHON, chunks: [chunk] }, null, 2));
  const reportDir = path.join(work, 'report');
  const argv = [process.execPath, CLI, '--config', config, '--report-dir', reportDir, '--history', path.join(work, 'history.json'), '--gpu', 'off'];
  const { exitCode, output } = await start(argv, { cwd: suite }).done;
  const result = readReport(reportDir).chunks[0];
  const marks = readHighWaterMarks(hwmDir);
  if (result.status !== 'passed' || marks.length !== workers + (workers > 1 ? 1 : 0)) {
    throw new Error(`the ${allocationMib} MiB × ${workers} run did not pass with a high-water mark per process (exit ${exitCode}, ${marks.length} marks):\n${output}`);
  }
  return {
    sampledRssBytes: result.memory.peakRssBytes,
    sampledPssBytes: result.memory.peakPssBytes,
    kernelBytes: marks.reduce((sum, mark) => sum + mark.hwmBytes, 0),
    measuredSharingBytes: readMeasuredSharing(path.join(reportDir, 'allocate', 'samples.jsonl'), result.memory.peakProcesses),
    command: result.command,
    env: result.env,
    suite,
    work,
  };
}

/** The same pytest command, run directly under GNU time: its maximum RSS (%M), in bytes. */
function runUnderTime(testCase, cliRun) {
  const { work, hwmDir, barrierDir } = prepareRun(`${testCase.allocationMib}-time`);
  const env = { ...cliRun.env, ...suiteEnv(testCase, hwmDir, barrierDir), RUN_CHUNKS_EVENTS_FILE: path.join(work, 'events.jsonl') };
  const command = cliRun.command.map((part) => (part.startsWith('--junitxml=') ? `--junitxml=${path.join(work, 'junit.xml')}` : part));
  const timed = timeCommand(command, { cwd: cliRun.suite, env });
  if (timed.exitCode !== 0) throw new Error(`pytest under GNU time failed (exit ${timed.exitCode}):\n${timed.stdout}${timed.stderr}`);
  rmSync(work, { recursive: true, force: true });
  return timed.maxRssKib * 1024;
}

/** @returns {Promise<import('./lib.mjs').Section>} */
export async function peakAccuracy() {
  const gnuTime = hasGnuTime();
  const rows = [];
  const sharedMib = { 1: [], 2: [] };
  const measuredSharedMib = { 1: [], 2: [] };
  for (const testCase of CASES) {
    const { allocationMib, workers, holdSeconds } = testCase;
    const runs = [];
    const timedBytes = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const run = await runCli(testCase);
      runs.push(run);
      if (workers === 1 && gnuTime) timedBytes.push(runUnderTime(testCase, run));
      // Kept when something broke (the errors name it); a measured run leaves nothing behind.
      rmSync(run.work, { recursive: true, force: true });
    }
    const ratios = runs.map((run) => run.sampledRssBytes / run.kernelBytes);
    const within = ratios.filter((ratio) => Math.abs(ratio - 1) <= TOLERANCE).length;
    const pss = runs.map((run) => run.sampledPssBytes).filter((value) => value !== null);
    const held = holdSeconds === HOLD_SECONDS;
    for (const run of held ? runs : []) {
      if (run.sampledPssBytes !== null) sharedMib[workers].push((run.sampledRssBytes - run.sampledPssBytes) / MIB);
      if (run.measuredSharingBytes !== undefined) measuredSharedMib[workers].push(run.measuredSharingBytes / MIB);
    }
    rows.push([
      held ? allocationMib : `${allocationMib}, held ${holdSeconds} s`,
      workers,
      fixed(median(runs.map((run) => run.sampledRssBytes)) / MIB, 1),
      pss.length === 0 ? '–' : fixed(median(pss) / MIB, 1),
      fixed(median(runs.map((run) => run.kernelBytes)) / MIB, 1),
      timedBytes.length === 0 ? '–' : fixed(median(timedBytes) / MIB, 1),
      fixed(median(ratios), 3),
      `${within === runs.length ? 'yes' : 'no'} (${within}/${runs.length})`,
    ]);
  }
  return {
    id: 'accuracy',
    title: "6. Peak accuracy: sampled peak vs the kernel's high-water mark",
    target: 'within 5%',
    headers: ['<allocation MiB', 'workers', 'sampled peak RSS MiB', 'sampled peak PSS MiB', 'kernel VmHWM MiB', '/usr/bin/time max RSS MiB', 'sampled RSS ÷ kernel', '<within 5%'],
    rows,
    notes: [
      `The built CLI runs a generated pytest suite (bench/fixtures/peak-suite, copied to a temp folder) with sampleInterval ${SAMPLE_INTERVAL_MS} ms. Each test allocates the amount with bytearray (zero-filled, so every page is resident), waits at a file barrier for the other workers' tests, and holds it ${HOLD_SECONDS} s, ${HOLD_SECONDS * 1000 / SAMPLE_INTERVAL_MS} sample intervals: a sampler sees a peak only when a sample lands on it, so a peak shorter than an interval can be missed entirely${QUICK ? '' : ` (the "held ${BRIEF_HOLD_SECONDS} s" row shows it)`}. ${ROUNDS} round(s) per row; medians.`,
      "Kernel VmHWM: each pytest process (the xdist controller and every worker) writes its VmHWM from /proc/self/status at pytest_sessionfinish; the row sums them. A sum of per-process peaks equals the tree's simultaneous peak only when the peaks coincide, hence the barrier; the controller's own peak (tens of MiB) may come at another moment.",
      `Sampled: report.json's chunk.memory.peakRssBytes, the largest sum of /proc/PID/stat RSS over the chunk's processes at one sample. "within 5%" judges every round's ratio. The chunk's processes leave out run-chunks' launcher (python/run_chunks_launcher.py, the Python process that leads the chunk's group, joins its cgroup and is its child subreaper): it is run-chunks' own process, about 10 MiB of RSS, and the VmHWM column has no row for it either.`,
      `GNU time's %M is the largest RSS of the process it ran (ru_maxrss, the kernel's high-water mark), run directly on the same pytest command and environment as the chunk; for the single process only, since ru_maxrss is the largest of one process, never a sum over xdist workers.${gnuTime ? '' : ' GNU time was not installed here (Debian: apt-get install time).'}`,
      sharedMib[1].length + sharedMib[2].length > 0
        ? `PSS divides each shared page among the processes that map it, where RSS counts it in full in each; the kernel's VmHWM is an RSS figure, so RSS is the one compared. xdist workers are separate interpreters started by execnet, not forks, so they share only file-backed pages (the interpreter, its libraries), never the allocations.`
        : 'No PSS was read on this machine (no /proc/PID/smaps_rollup), so only RSS is compared.',
      ...(sharedMib[2].length > 0
        ? [
            `The reported peak PSS is not a measured PSS: smaps_rollup is read every 2 s and in between PSS is estimated as the last read plus RSS's growth since, which counts a newly started process's shared pages in full. With 2 workers the peak PSS came out a median ${fixed(median(sharedMib[2]), 1)} MiB under the peak RSS, while an actual read with the whole tree up was ${measuredSharedMib[2].length > 0 ? `${fixed(median(measuredSharedMib[2]), 1)} MiB` : 'never taken'} under RSS at the same sample. For one process: ${fixed(median(sharedMib[1]), 1)} MiB vs ${measuredSharedMib[1].length > 0 ? `${fixed(median(measuredSharedMib[1]), 1)} MiB` : 'no read after its start-up'}. The estimate errs high, so memoryLimit (checked against it) fires early rather than late.`,
          ]
        : []),
    ],
  };
}
