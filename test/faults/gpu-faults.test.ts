import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';
import { chunkOf, makeSuiteProject, readAnnounced, readReport, startCli, waitUntil, type CliResult, type CliRun } from '../helpers/cli.js';
import { listProcessesMentioning, makeFakeSmi, type FakeSmi } from '../unit/gpu/fake-smi-helpers.js';

// nvidia-smi misbehaving while a real chunk runs, through the built CLI with `--gpu on` and a
// private copy of the fake nvidia-smi (test/fixtures/fake-nvidia-smi) first on PATH. Whatever
// nvidia-smi does, the chunk's own result must not change, GPU sampling must end (or go on) with
// one warning that says why, and no nvidia-smi may outlive the run.
//
// A stall is declared after 5 s without a reading (NVML can take that long to start), and
// sampling gives up at the second failure, so a fault takes ~10 s to play out. The chunk is held
// open by a gate test until the case has seen what it waits for: its length is the case's
// choice, never a guess that a slow machine could beat.

const GPU0 = 'GPU-5f0c2a3e-8d41-4b6a-9c7e-000000000000';
const DEVICES = [{ index: 0, uuid: GPU0, totalMiB: 81_559, usedMiB: 1_200, utilization: 30 }];
const SCENARIO = { devices: DEVICES, processes: [{ pidOfChunk: 'gpu', gpuUuid: GPU0, usedMiB: 700 }] };

// Three quick fixture tests (marker "first") plus the gate's three.
const TESTS_IN_CHUNK = 6;
// A fault plays out within ~10 s; this leaves room for a loaded machine.
const FAULT_SEEN_WITHIN_MS = 30_000;
// Once the gate opens, the chunk's last test ends at once: its result must not wait on nvidia-smi.
const RESULT_AFTER_RELEASE_MS = 8_000;

const GATE_TESTS = `"""Held open by the GPU fault cases: the middle test waits for their go-ahead."""
import os
import time

from conftest import announce


def test_before_the_gate():
    assert True


def test_waits_at_the_gate():
    announce("gate")
    release = os.path.join(os.environ["FIXTURE_SIGNAL_DIR"], "release")
    deadline = time.monotonic() + 120
    while not os.path.exists(release):
        assert time.monotonic() < deadline, "the fault case never opened the gate"
        time.sleep(0.05)


def test_after_the_gate():
    assert True
`;

interface GpuFaultRun {
  dir: string;
  signalDir: string;
  fake: FakeSmi;
  run: CliRun;
  /** Rewrites the fake's scenario; the running fake reads it at its next iteration. */
  setScenario: (scenario: Record<string, unknown>) => void;
}

/** Starts `run-chunks --gpu on` on one chunk (the "first" tests and the gate) with the fake following `scenario`. */
function startGpuRun(scenario: Record<string, unknown>, options: { gate: boolean }): GpuFaultRun {
  const paths = options.gate ? ['tests/test_first.py', 'tests/test_gpu_gate.py'] : ['tests/test_first.py', 'tests/test_memory.py'];
  const markers = options.gate ? undefined : 'first or idle';
  const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'gpu', paths, ...(markers ? { markers } : {}), sampleInterval: '100ms', timeout: '3m' }] });
  writeFileSync(path.join(dir, 'tests', 'test_gpu_gate.py'), GATE_TESTS);
  const fake = makeFakeSmi(scenario);
  const run = startCli(['--gpu', 'on'], { cwd: dir, env: { PATH: fake.env.PATH!, FAKE_NVIDIA_SMI_SCENARIO: fake.scenarioFile } });
  const setScenario = (next: Record<string, unknown>): void => writeFileSync(fake.scenarioFile, JSON.stringify(next));
  return { dir, signalDir, fake, run, setScenario };
}

/** Whether the chunk has a memory sample that carries a GPU figure: sampling was working. */
function hasGpuSample(dir: string): boolean {
  const file = path.join(dir, '.run-chunks', 'report', 'gpu', 'samples.jsonl');
  if (!existsSync(file)) return false;
  return readFileSync(file, 'utf8')
    .split('\n')
    .some((line) => /"gpuBytes":\d/.test(line));
}

/** Waits until the gate test runs and GPU sampling has produced readings: the healthy part of the run. */
async function waitForHealthySampling(gpuRun: GpuFaultRun): Promise<void> {
  await waitUntil(() => readAnnounced(gpuRun.signalDir, 'gate') !== undefined, 60_000, 'the gate test to start');
  await waitUntil(() => hasGpuSample(gpuRun.dir), 15_000, 'a memory sample with a GPU figure');
}

/** A process's command line, or '' once it is gone. */
function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Waits until one --query-compute-apps process has been running for `forMs`: it hangs. */
async function waitForStuckQuery(gpuRun: GpuFaultRun, forMs = 500): Promise<void> {
  const firstSeenMs = new Map<number, number>();
  await waitUntil(
    () => {
      const now = Date.now();
      const queries = listProcessesMentioning(gpuRun.fake.dir).filter((pid) => cmdlineOf(pid).includes('--query-compute-apps'));
      return queries.some((pid) => now - (firstSeenMs.get(pid) ?? firstSeenMs.set(pid, now).get(pid)!) >= forMs);
    },
    10_000,
    'a stuck --query-compute-apps',
  );
}

/** Waits until the run says sampling is off (or ends without saying it); returns how long that took. */
async function waitForOff(gpuRun: GpuFaultRun): Promise<number> {
  const startedAtMs = Date.now();
  const saidOff = (): boolean => gpuRun.run.output().includes('GPU sampling is off');
  await waitUntil(() => saidOff() || gpuRun.run.child.exitCode !== null, FAULT_SEEN_WITHIN_MS, 'GPU sampling to go off');
  assert.ok(saidOff(), `the run ended without turning GPU sampling off:\n${gpuRun.run.output().slice(-3000)}`);
  return Date.now() - startedAtMs;
}

/** Opens the gate and returns the run's result with how long it took after the release. */
async function release(gpuRun: GpuFaultRun): Promise<{ result: CliResult; afterReleaseMs: number }> {
  const releasedAtMs = Date.now();
  writeFileSync(path.join(gpuRun.signalDir, 'release'), '');
  const result = await gpuRun.run.result;
  return { result, afterReleaseMs: Date.now() - releasedAtMs };
}

function countMatches(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

/** The checks every case makes: the chunk's result untouched, exit 0, and nothing left running. */
function checkChunkUnharmed(r: FaultRecorder, gpuRun: GpuFaultRun, result: CliResult, tests: number): void {
  const chunk = chunkOf(readReport(gpuRun.dir), 'gpu');
  r.outcomeOf(result.exitCode, chunk.status);
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.equal(chunk.status, 'passed');
  assert.deepEqual(chunk.tests, { total: tests, passed: tests, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
  r.held(`chunk passed with all ${tests} tests counted; exit code 0`);
  checkNoLeftovers(r, result.tag);
  assert.deepEqual(listProcessesMentioning(gpuRun.fake.dir), [], 'an nvidia-smi outlived the run');
  r.held('no nvidia-smi process left (by path)');
}

/** A message as a table cell: the temp folder left out, cut to a readable length. */
function cellText(message: string, gpuRun: GpuFaultRun): string {
  const text = message.replaceAll(gpuRun.fake.dir, '…');
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/** What a fault must lead to: the reason of the one restart, and the reason sampling went off for. */
interface ExpectedFailures {
  restart: RegExp;
  off: RegExp;
}

/** The same failure before and after the restart. */
function sameTwice(reason: RegExp): ExpectedFailures {
  return { restart: reason, off: reason };
}

/** Checks one restart note, then sampling off with exactly one warning whose reason is report.json's. */
function checkOffOnce(r: FaultRecorder, gpuRun: GpuFaultRun, result: CliResult, offAfterMs: number, expected: ExpectedFailures): void {
  const { gpuSampling } = readReport(gpuRun.dir);
  // One retry before giving up; a note per failed sample would be noise.
  const restarts = [...result.stderr.matchAll(/^note: GPU sampling: (.*); restarting nvidia-smi$/gm)].map((match) => match[1]!);
  assert.equal(restarts.length, 1, result.stderr);
  r.did(restarts[0] === gpuSampling.reason ? 'restarted nvidia-smi once; it failed the same way' : `restarted nvidia-smi once, after "${cellText(restarts[0]!, gpuRun)}"`);
  const when = offAfterMs < 1_000 ? 'within 1 s of' : `~${Math.round(offAfterMs / 1000)} s after`;
  r.did(`sampling off ${when} the fault: "${cellText(gpuSampling.reason ?? '', gpuRun)}"`);
  assert.match(restarts[0]!, expected.restart);
  assert.equal(gpuSampling.active, false);
  assert.match(gpuSampling.reason ?? '', expected.off);
  r.held('report.json gpuSampling: active false, with that reason');
  assert.equal(countMatches(result.stderr, /warning: /), 1, result.stderr);
  assert.ok(result.stderr.includes(`warning: GPU sampling is off: ${gpuSampling.reason}\n`), result.stderr);
  r.held('one restart note, then exactly one warning (that reason)');
}

/** Checks that the chunk's result came at once after its last test, however nvidia-smi behaved. */
function checkPrompt(r: FaultRecorder, afterReleaseMs: number): void {
  assert.ok(afterReleaseMs < RESULT_AFTER_RELEASE_MS, `the run ended ${afterReleaseMs} ms after the last test`);
  r.held(`run over ${(afterReleaseMs / 1000).toFixed(1)} s after the last test ended`);
}

const CASE_TIMEOUT_MS = 120_000;

/**
 * One mid-run fault: healthy sampling first, then `inject`, then the gate opens once sampling is
 * off. Checks the warning, the report, the chunk's result, its timing, and leftovers.
 */
async function checkMidRunFault(r: FaultRecorder, inject: (gpuRun: GpuFaultRun) => void | Promise<void>, expected: ExpectedFailures): Promise<GpuFaultRun> {
  const gpuRun = startGpuRun(SCENARIO, { gate: true });
  await waitForHealthySampling(gpuRun);
  await inject(gpuRun);
  const offAfterMs = await waitForOff(gpuRun);
  const { result, afterReleaseMs } = await release(gpuRun);
  checkOffOnce(r, gpuRun, result, offAfterMs, expected);
  checkPrompt(r, afterReleaseMs);
  checkChunkUnharmed(r, gpuRun, result, TESTS_IN_CHUNK);
  return gpuRun;
}

faultCase(
  'gpu',
  'nvidia-smi prints garbage instead of rows mid-run (loop mode)',
  async (r) => {
    const gpuRun = await checkMidRunFault(
      r,
      (run) => run.setScenario({ ...SCENARIO, garbage: true }),
      sameTwice(/^nvidia-smi gave no complete reading for 5000 ms; it printed: %%% fake nvidia-smi garbage %%%$/),
    );
    assert.equal(chunkOf(readReport(gpuRun.dir), 'gpu').gpu?.peakBytes, 700 * 1024 * 1024);
    r.held('GPU peak read before the fault kept in the chunk report');
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCase(
  'gpu',
  'nvidia-smi floods one endless line, no newline, mid-run',
  async (r) => {
    await checkMidRunFault(r, (run) => run.setScenario({ ...SCENARIO, flood: true }), sameTwice(/^nvidia-smi gave no complete reading for 5000 ms; it printed: x{160}…$/));
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCase(
  'gpu',
  'nvidia-smi loop stops printing mid-run but stays alive',
  async (r) => {
    await checkMidRunFault(r, (run) => run.setScenario({ ...SCENARIO, hangAfterTicks: 0 }), sameTwice(/^nvidia-smi gave no complete reading for 5000 ms$/));
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCase(
  'gpu',
  'nvidia-smi --query-compute-apps never returns (mid-run)',
  async (r) => {
    await checkMidRunFault(
      r,
      (run) => run.setScenario({ ...SCENARIO, hangQueries: true }),
      sameTwice(/^nvidia-smi gave no complete reading for 5000 ms: nvidia-smi --query-compute-apps has not returned$/),
    );
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCase(
  'gpu',
  'nvidia-smi --query-compute-apps never returns, from the start of a 2 s chunk',
  async (r) => {
    const gpuRun = startGpuRun({ ...SCENARIO, hangQueries: true }, { gate: false });
    const startedAtMs = Date.now();
    const result = await gpuRun.run.result;
    const tookMs = Date.now() - startedAtMs;
    r.did(`ended the run after ${(tookMs / 1000).toFixed(1)} s without waiting on the query; stopped it`);
    // 3 "first" tests and 4 idle ones of 0.4 s: about 2 s of pytest, less than a stall.
    assert.ok(tookMs < 20_000, `${tookMs} ms`);
    r.held('run took less than 20 s');
    const { gpuSampling } = readReport(gpuRun.dir);
    assert.deepEqual(gpuSampling, { requested: 'on', active: true, reason: null });
    assert.doesNotMatch(result.stderr, /warning: /);
    r.held('no warning: the run ended before a stall could be declared');
    checkChunkUnharmed(r, gpuRun, result, 7);
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCase(
  'gpu',
  'nvidia-smi loop exits mid-run and the program vanishes from PATH',
  async (r) => {
    await checkMidRunFault(
      r,
      async (run) => {
        // A stuck query holds off the next ones (no two run at once), so none can start while
        // the file goes: a script deleted under a starting node fails in its own way, which a
        // real (binary) nvidia-smi never would.
        run.setScenario({ ...SCENARIO, hangQueries: true });
        await waitForStuckQuery(run);
        rmSync(run.fake.program);
        run.setScenario({ ...SCENARIO, exitAfterTicks: 0 });
      },
      // The exit is worth one restart; the missing program then ends sampling at once.
      { restart: /^nvidia-smi exited with code 0$/, off: /^could not start "[^"]*nvidia-smi": no such program$/ },
    );
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCase(
  'gpu',
  'nvidia-smi ignores SIGTERM when the run ends',
  async (r) => {
    const gpuRun = startGpuRun({ ...SCENARIO, ignoreSigterm: true }, { gate: true });
    await waitForHealthySampling(gpuRun);
    const running = listProcessesMentioning(gpuRun.fake.dir);
    assert.ok(running.length >= 1, 'no nvidia-smi running before the end');
    const { result, afterReleaseMs } = await release(gpuRun);
    r.did('stopped the nvidia-smi still running, which ignores SIGTERM (SIGKILL after the grace)');
    checkPrompt(r, afterReleaseMs);
    const { gpuSampling } = readReport(gpuRun.dir);
    assert.deepEqual(gpuSampling, { requested: 'on', active: true, reason: null });
    assert.doesNotMatch(result.stderr, /warning: /);
    r.held('sampling on to the end, no warning');
    checkChunkUnharmed(r, gpuRun, result, TESTS_IN_CHUNK);
  },
  { timeout: CASE_TIMEOUT_MS },
);
