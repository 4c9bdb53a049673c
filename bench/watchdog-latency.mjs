// Benchmark section 'watchdog': how long a chunk that crosses its memoryLimit lives on, and how far
// past the limit it gets. A Python allocator grows at a known rate under the built CLI; the
// benchmark watches its pid from outside and compares the moment it crossed the limit (from its
// own log) with the moment it was gone (no /proc entry, or a zombie: its memory is freed by then).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { estimatePss } from '../dist/src/monitor/chunk-monitor.js';
import { pageSizeBytes } from '../dist/src/proc/read-proc-stat.js';
import { CLI, fixed, median, QUICK, readReport, ROOT, ROUNDS, start, tempDir, VENV_PYTHON } from './lib.mjs';

const ALLOCATOR = path.join(ROOT, 'bench', 'fixtures', 'allocator.py');
const MB = 1e6; // memoryLimit "400MB" is 400 × 10^6 bytes, and rates are quoted in the same unit.
const LIMIT = QUICK ? '150MB' : '400MB';
const LIMIT_BYTES = QUICK ? 150 * MB : 400 * MB;
// Far above the limit, so the allocator never stops by itself while the watchdog works, yet well
// under the 24 GiB of the shared machine should the watchdog never fire.
const CAP_BYTES = QUICK ? 600 * MB : 2_000 * MB;
// 500 ms is run-chunks' default sampleInterval (src/plan/create-plans.ts).
const INTERVALS_MS = [500, 250, 100];
const CASES = [
  ...(QUICK ? [200 * MB] : [200 * MB, 1_000 * MB]).flatMap((rate) => INTERVALS_MS.map((intervalMs) => ({ rate, intervalMs, ignoreSigterm: false }))),
  // A chunk that ignores SIGTERM (a test that installs its own handler) waits out the 1 s grace.
  ...(QUICK ? [] : [{ rate: 200 * MB, intervalMs: 250, ignoreSigterm: true }]),
];
// The kernel sets PF_EXITING in /proc/PID/stat's flags when the process starts to exit (the
// signal was delivered); from there to the zombie is the kernel freeing its memory.
const PF_EXITING = 0x4;
const POLL_MS = 1;
// A run that takes longer than this has hung; the benchmark stops it rather than wait forever.
const RUN_DEADLINE_MS = 60_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const nowNs = () => process.hrtime.bigint();
const secondsOf = (ns) => Number(ns) / 1e9;

/** Waits for the allocator to write its pid file; undefined when the run ended first. */
async function waitForPid(pidFile, runEnded) {
  const deadline = performance.now() + RUN_DEADLINE_MS;
  while (!runEnded() && performance.now() < deadline) {
    try {
      return Number(readFileSync(pidFile, 'utf8'));
    } catch {
      await sleep(POLL_MS);
    }
  }
  return undefined;
}

/**
 * Polls /proc/PID/stat every ~1 ms until the process is gone. Times are CLOCK_MONOTONIC seconds,
 * as the allocator's time.monotonic(). Also keeps the largest RSS seen (the overshoot from outside).
 */
async function watchUntilGone(pid) {
  const pageBytes = pageSizeBytes();
  const deadline = performance.now() + RUN_DEADLINE_MS;
  let exitBeganAt;
  let maxRssBytes = 0;
  let previousNs;
  const gapsMs = [];
  while (performance.now() < deadline) {
    const at = nowNs();
    if (previousNs !== undefined) gapsMs.push(Number(at - previousNs) / 1e6);
    previousNs = at;
    let text;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      return { goneAt: secondsOf(at), exitBeganAt: exitBeganAt ?? secondsOf(at), maxRssBytes, gapsMs };
    }
    // Fields after the command's closing parenthesis: state is field 3, flags 9, rss 24.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if ((Number(fields[6]) & PF_EXITING) !== 0) exitBeganAt ??= secondsOf(at);
    if (fields[0] === 'Z' || fields[0] === 'X') return { goneAt: secondsOf(at), exitBeganAt: exitBeganAt ?? secondsOf(at), maxRssBytes, gapsMs };
    maxRssBytes = Math.max(maxRssBytes, Number(fields[21]) * pageBytes);
    await sleep(POLL_MS);
  }
  return undefined;
}

/** The allocator's log: one step per line, "<end s> <VmRSS> <VmHWM> <start s>". */
function readSteps(logFile) {
  const lines = readFileSync(logFile, 'utf8').split('\n');
  // The last line may have been cut short by the kill.
  return lines.map((line) => line.split(' ').map(Number)).filter((fields) => fields.length === 4 && fields.every(Number.isFinite));
}

/**
 * When the allocator's RSS reached `bytes`. Memory grows only during a step's allocation, between
 * its start and its log line, so the moment is interpolated there, never across the pacing sleep
 * that follows. Past the last logged step (the allocator was killed in the middle of one), it is
 * placed in the step that would have come next.
 */
function findTimeOfRss(steps, bytes, rate) {
  const index = steps.findIndex(([, rss]) => rss >= bytes);
  if (index === -1) return extrapolateStep(steps, bytes, rate);
  const [end, rss, , begin] = steps[index];
  const before = index === 0 ? 0 : steps[index - 1][1];
  const share = rss > before ? Math.min(1, Math.max(0, (bytes - before) / (rss - before))) : 1;
  return begin + share * (end - begin);
}

/** When the step after `index` began (or would have: paced as the last two, were it logged). */
function nextStepBegin(steps, index) {
  if (index + 1 < steps.length) return steps[index + 1][3];
  const [end, , , begin] = steps[index];
  return index === 0 ? end : Math.max(end, begin + (begin - steps[index - 1][3]));
}

/** Inside the step that was under way when the allocator was killed: paced and sized as the last. */
function extrapolateStep(steps, bytes, rate) {
  if (steps.length < 2) return steps.length === 0 ? undefined : steps[0][0] + Math.max(0, bytes - steps[0][1]) / rate;
  const [[, previousRss], [end, rss, , begin]] = steps.slice(-2);
  const share = Math.min(1, Math.max(0, (bytes - rss) / (rss - previousRss)));
  return nextStepBegin(steps, steps.length - 1) + share * (end - begin);
}

// The allocator's own logging touches a few pages after a step's allocation, so its logged RSS
// runs a little ahead of what a sample read during the following sleep: this close is "that step".
const RSS_NOISE_BYTES = 256 * 1024;

/**
 * When a sample that read `bytes` was taken. Read during the pacing sleep after step k (RSS at
 * step k's level), it lies between that step's log line and the next step's start: the middle of
 * that window (at most a step wide). Read during an allocation, the moment RSS passed `bytes`.
 */
function findTimeOfSample(steps, bytes, rate) {
  const index = steps.findIndex(([, rss]) => rss >= bytes);
  if (index !== -1 && steps[index][1] - bytes <= RSS_NOISE_BYTES) return (steps[index][0] + nextStepBegin(steps, index)) / 2;
  return findTimeOfRss(steps, bytes, rate);
}

/**
 * The sample that fired: the first whose memory, as the monitor judges it (PSS, estimated between
 * reads from RSS's growth), is over the limit. Its RSS, found in the allocator's log, says when it
 * was taken, on the allocator's clock (to about ±5 ms).
 */
function findFiringSample(samplesFile, limitBytes) {
  let lastPss;
  for (const line of readFileSync(samplesFile, 'utf8').split('\n')) {
    if (!line) continue;
    const sample = JSON.parse(line);
    if (sample.pssBytes !== null) lastPss = { pssBytes: sample.pssBytes, rssBytes: sample.rssBytes };
    if (estimatePss(sample, lastPss) > limitBytes) return sample;
  }
  return undefined;
}

/** One run of the CLI on the allocator; undefined figures where the watchdog never fired. */
async function runOnce({ rate, intervalMs, ignoreSigterm }, delayMs) {
  const work = tempDir('watchdog');
  const logFile = path.join(work, 'allocator.log');
  const pidFile = path.join(work, 'allocator.pid');
  const config = path.join(work, 'chunks.config.json');
  const command = [VENV_PYTHON, ALLOCATOR, String(rate), String(CAP_BYTES), logFile, pidFile, '--delay-ms', delayMs.toFixed(1), ...(ignoreSigterm ? ['--ignore-sigterm'] : [])];
  const chunk = { name: 'allocator', command, memoryLimit: LIMIT, sampleInterval: intervalMs, retryOnOom: 0 };
  writeFileSync(config, JSON.stringify({ runner: 'command', chunks: [chunk] }, null, 2));
  const reportDir = path.join(work, 'report');
  const argv = [process.execPath, CLI, '--config', config, '--report-dir', reportDir, '--history', path.join(work, 'history.json'), '--gpu', 'off'];
  const { child, done } = start(argv, { cwd: work });
  let ended = false;
  void done.then(() => (ended = true));
  const pid = await waitForPid(pidFile, () => ended);
  const watch = pid === undefined ? undefined : await watchUntilGone(pid);
  if (watch === undefined && !ended) child.kill('SIGKILL');
  const { exitCode, output } = await done;
  const report = readReport(reportDir);
  const result = report.chunks[0];
  if (watch === undefined) throw new Error(`the allocator never started or never ended (exit ${exitCode}):\n${output}`);
  const steps = readSteps(logFile);
  const crossedAt = findTimeOfRss(steps, LIMIT_BYTES, rate);
  const firing = findFiringSample(path.join(reportDir, 'allocator', 'samples.jsonl'), LIMIT_BYTES);
  const sampledAt = firing === undefined ? undefined : findTimeOfSample(steps, firing.rssBytes, rate);
  const stopped = result.status === 'memory-limit';
  const peakBytes = Math.max(watch.maxRssBytes, steps.at(-1)?.[2] ?? 0);
  // Kept when something broke (the error above names it); a measured run leaves nothing behind.
  rmSync(work, { recursive: true, force: true });
  return {
    stopped,
    status: result.status,
    metric: result.memory?.metric ?? '–',
    message: result.message,
    latencyMs: stopped && crossedAt !== undefined ? (watch.goneAt - crossedAt) * 1000 : undefined,
    firingReadPss: firing !== undefined && firing.pssBytes !== null,
    toSampleMs: stopped && crossedAt !== undefined && sampledAt !== undefined ? (sampledAt - crossedAt) * 1000 : undefined,
    sampleToExitMs: stopped && sampledAt !== undefined ? (watch.exitBeganAt - sampledAt) * 1000 : undefined,
    teardownMs: (watch.goneAt - watch.exitBeganAt) * 1000,
    overshootBytes: peakBytes - LIMIT_BYTES,
    pollGapMs: median(watch.gapsMs),
  };
}

const rateLabel = (rate) => (rate >= 1_000 * MB ? `${rate / (1_000 * MB)} GB/s` : `${rate / MB} MB/s`);
const medianOf = (runs, key) => {
  const values = runs.map((run) => run[key]).filter((value) => value !== undefined);
  return values.length === 0 ? undefined : median(values);
};

/** @returns {Promise<import('./lib.mjs').Section>} */
export async function watchdogLatency() {
  const rows = [];
  const pollGaps = [];
  const messages = new Set();
  const metrics = new Set();
  let signalledInTime = 0;
  let signalledRounds = 0;
  const reactionMs = { withPss: [], without: [] };
  for (const testCase of CASES) {
    const runs = [];
    // Growth at a steady rate from a steady start-up would cross the limit at the same phase of the
    // sample clock every round; a start delay spread evenly over one interval covers every phase.
    for (let round = 0; round < ROUNDS; round += 1) runs.push(await runOnce(testCase, ((round + 0.5) / ROUNDS) * testCase.intervalMs));
    const targetMs = testCase.intervalMs + 50;
    const latencies = runs.map((run) => run.latencyMs).filter((value) => value !== undefined);
    const within = runs.filter((run) => run.latencyMs !== undefined && run.latencyMs <= targetMs).length;
    if (!testCase.ignoreSigterm) {
      for (const run of runs) if (run.sampleToExitMs !== undefined) reactionMs[run.firingReadPss ? 'withPss' : 'without'].push(run.sampleToExitMs);
      signalledInTime += runs.filter((run) => run.toSampleMs !== undefined && run.toSampleMs + run.sampleToExitMs <= targetMs).length;
      signalledRounds += runs.length;
    }
    const worst = latencies.length === runs.length ? Math.max(...latencies) : undefined;
    pollGaps.push(...runs.map((run) => run.pollGapMs));
    for (const run of runs) metrics.add(run.metric);
    for (const run of runs) messages.add(run.stopped ? run.message.replace(/[\d.]+ ?[KMG]i?B/g, 'N MB') : `${run.status}: ${run.message}`);
    rows.push([
      rateLabel(testCase.rate) + (testCase.ignoreSigterm ? ', ignores SIGTERM' : ''),
      testCase.intervalMs,
      fixed(medianOf(runs, 'latencyMs'), 0),
      worst === undefined ? `never stopped (${runs.length - latencies.length}/${runs.length})` : fixed(worst, 0),
      fixed(medianOf(runs, 'toSampleMs'), 0),
      fixed(medianOf(runs, 'sampleToExitMs'), 0),
      fixed(medianOf(runs, 'teardownMs'), 0),
      fixed(medianOf(runs, 'overshootBytes') / MB, 0),
      targetMs,
      `${within === runs.length ? 'yes' : 'no'} (${within}/${runs.length})`,
    ]);
  }
  return {
    id: 'watchdog',
    title: '5. Watchdog: memoryLimit to gone',
    target: 'the chunk is gone within one sample interval + 50 ms of crossing memoryLimit; overshoot reported',
    headers: ['<rate', 'interval ms', 'median latency ms', 'worst latency ms', 'median to firing sample ms', 'median sample to exit ms', 'median exit to gone ms', 'median overshoot MB', 'interval + 50 ms', '<within target'],
    rows,
    notes: [
      `A chunk (\`runner: "command"\`, memoryLimit ${LIMIT}, retryOnOom 0) runs bench/fixtures/allocator.py under the built CLI: it allocates bytearrays and touches every page, in steps of 10 ms paced to the rate, and after each step logs CLOCK_MONOTONIC and its VmRSS/VmHWM. ${ROUNDS} round(s) per row; medians. Round r of N starts growing (r + ½)/N of a sample interval after start-up, so the crossings fall evenly over the phases of the sample clock (at a steady rate they would otherwise all land at the same phase).`,
      `Crossing: when the allocator's RSS reached the limit, interpolated within the allocation of the first step that ended over it. Gone: the benchmark polls /proc/PID/stat (a median ${fixed(median(pollGaps), 2)} ms between polls) until the entry is missing or a zombie, when the kernel has freed the memory. Latency = gone − crossing, both on CLOCK_MONOTONIC.`,
      'The latency in three parts. "to firing sample": crossing until the sample that found the chunk over its limit (samples.jsonl; its RSS, looked up in the allocator\'s log, says when it was taken: within a step\'s allocation, or in the pacing sleep after one, whose middle is taken: to about ±5 ms). "sample to exit": from that sample until the kernel flagged the process as exiting (PF_EXITING in /proc/PID/stat: the signal was delivered), which is run-chunks\' own reaction. "exit to gone": the kernel tearing the process down and freeing its pages.',
      `Leaving the kernel's teardown out (crossing → exit began), ${signalledInTime} of ${signalledRounds} rounds at SIG_DFL were within interval + 50 ms.`,
      reactionMs.withPss.length === 0
        ? 'No firing sample was also one of the PSS reads that come every 2 s.'
        : `In ${reactionMs.withPss.length} of ${signalledRounds} rounds at SIG_DFL the firing sample was also one of the every-2-s PSS reads; its median sample to exit was ${fixed(median(reactionMs.withPss), 0)} ms, against ${fixed(reactionMs.without.length > 0 ? median(reactionMs.without) : undefined, 0)} ms for the others: smaps_rollup of a process of several hundred MB is read before the limit is checked.${QUICK ? '' : ' (At 200 MB/s the limit is crossed about 2 s in, right when that read is due, so those rows meet it more often than chance would.)'}`,
      `Overshoot = the largest RSS seen (polled from outside, or the allocator's last VmHWM) − the limit, in MB of 10^6 bytes. It is about rate × latency. "within target" judges every round (the worst), not the median.`,
      `What report.json said: chunk.memory.metric ${[...metrics].map((metric) => `"${metric}"`).join(', ')}; message "${[...messages].join('" / "')}". The limit is checked against PSS estimated between reads as the last PSS plus RSS's growth since, which is at most a few MB under RSS for a lone Python process (its shared libraries), so the watchdog fires at most a few MB after RSS crosses.`,
      ...(QUICK ? [] : ['The "ignores SIGTERM" row: the allocator sets SIGTERM to SIG_IGN, as a test with its own handler may; run-chunks then waits out its 1 s memory-limit grace before SIGKILL, allocating all the while.']),
    ],
  };
}
