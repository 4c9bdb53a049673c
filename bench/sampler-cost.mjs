// Benchmark section 2: what one sample of a chunk's process tree costs, for trees of 1, 8, 32 and
// 128 processes, without PSS (the usual sample) and with it (every 2 s), and what run-chunks'
// own CPU is while it samples a 32-process chunk at 4 Hz, measured on a real run.
// Targets: < 1 ms per sample for 32 processes; < 1% of one core at 4 Hz.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixed, median, QUICK, readReport, ROUNDS, tempDir, timeCommand, VENV_PYTHON } from './lib.mjs';
import { listProcStats } from '../dist/src/proc/read-proc-stat.js';
import { ProcessTracker } from '../dist/src/monitor/process-tracker.js';
import { measureTree } from '../dist/src/monitor/measure-tree.js';

const SIZES = QUICK ? [1, 3] : [1, 8, 32, 128];
const SAMPLES = QUICK ? 5 : 200;

// Python processes like the pytest workers a chunk runs, each holding 8 MiB it has touched.
const CHILD = 'import time; b = bytearray(8 << 20); b[::4096] = bytes(len(range(0, len(b), 4096))); time.sleep(600)';

/** Python source of a leader that starts size-1 children like CHILD, then sleeps `seconds`. */
function treeSource(size, seconds) {
  return `import subprocess, sys, time\nkids = [subprocess.Popen([sys.executable, "-c", ${JSON.stringify(CHILD)}]) for _ in range(${size} - 1)]\ntime.sleep(${seconds})\nfor kid in kids: kid.kill()`;
}

async function waitForTree(pgid, size) {
  for (let i = 0; i < 400; i += 1) {
    if (listProcStats().filter((stat) => stat.pgid === pgid).length >= size) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`tree of ${size} did not start`);
}

/**
 * Times the sampler's three kinds of sample: 'stat' (the usual one: the chunk's own processes and
 * their children), 'full' (a scan of all of /proc, every 2 s), and 'pss' (PSS and fds, every 2 s).
 */
function timeSamples(pgid, kind) {
  const tracker = new ProcessTracker({ pgid, runId: 'bench', chunkName: 'bench' });
  tracker.scan(0);
  let previous = new Map();
  let members = 0;
  const times = [];
  for (let round = 0; round < SAMPLES; round += 1) {
    // A clock far ahead forces a full scan; one just after the first keeps scans incremental.
    const nowMs = kind === 'full' ? (round + 1) * 10_000 : 1;
    const start = process.hrtime.bigint();
    const found = tracker.scan(nowMs);
    const usage = measureTree(found, kind === 'pss', previous);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    previous = usage.cpuTicksByPid;
    members = usage.processes;
  }
  return { members, medianMs: median(times) };
}

/** The CPU run-chunks itself spends on a command chunk of `size` processes living `seconds`. */
function ownCpuOfRun(size, seconds) {
  const dir = tempDir('sampler-run');
  writeFileSync(
    path.join(dir, 'chunks.config.json'),
    JSON.stringify({ runner: 'command', chunks: [{ name: 'tree', command: [VENV_PYTHON, '-c', treeSource(size, seconds)], sampleInterval: '250ms' }] }),
  );
  const reportDir = path.join(dir, 'report');
  timeCommand([process.execPath, CLI, '--report-dir', reportDir, '--gpu', 'off'], { cwd: dir });
  const { orchestrator } = readReport(reportDir);
  return orchestrator.cpuUserMs + orchestrator.cpuSystemMs;
}

export async function samplerCost() {
  const rows = [];
  for (const size of SIZES) {
    const leader = spawn(VENV_PYTHON, ['-c', treeSource(size, 600)], { detached: true, stdio: 'ignore' });
    try {
      await waitForTree(leader.pid, size);
      const stat = timeSamples(leader.pid, 'stat');
      const full = timeSamples(leader.pid, 'full');
      const pss = timeSamples(leader.pid, 'pss');
      // At 4 Hz: 4 usual samples a second, plus a full scan and a PSS read every 2 s.
      const percent = (4 * stat.medianMs + (full.medianMs + pss.medianMs) / 2) / 10;
      rows.push([size, stat.members, fixed(stat.medianMs, 3), fixed(full.medianMs, 3), fixed(pss.medianMs, 3), fixed(percent, 2)]);
    } finally {
      process.kill(-leader.pid, 'SIGKILL');
    }
  }
  // The same, measured on whole runs: the extra CPU of a longer run is the sampling's.
  const size = QUICK ? 3 : 32;
  const [shortSeconds, longSeconds] = QUICK ? [1, 3] : [2, 22];
  const extra = [];
  for (let round = 0; round < ROUNDS; round += 1) extra.push(ownCpuOfRun(size, longSeconds) - ownCpuOfRun(size, shortSeconds));
  const measuredPercent = median(extra) / ((longSeconds - shortSeconds) * 1000) * 100;
  return {
    id: 'sampler',
    title: '2. Sampler cost',
    target: '< 1 ms per sample for 32 processes; run-chunks\' own CPU while sampling at 4 Hz < 1% of one core.',
    headers: ['tree size', 'processes found', 'usual sample, no PSS (ms)', 'full /proc scan (ms)', 'with PSS and fds (ms)', 'CPU at 4 Hz, % of a core'],
    rows,
    notes: [
      `Medians of ${SAMPLES} samples of a live tree of Python processes (each holding 8 MiB). The usual sample reads /proc/PID/stat of the chunk's processes and their children lists; every 2 s a full /proc scan finds escaped and re-parented processes, and PSS (smaps_rollup) and fd counts are read. The last column combines them: 4 usual samples a second, plus a full scan and a PSS read every 2 s.`,
      `Measured on whole runs: run-chunks' own CPU (getrusage of itself, from report.json) for a ${size}-process chunk living ${longSeconds} s minus one living ${shortSeconds} s, sampled every 250 ms: ${fixed(median(extra), 0)} ms of CPU over ${longSeconds - shortSeconds} s = **${fixed(measuredPercent, 2)}% of one core** (median of ${ROUNDS}). This includes everything run-chunks does while a chunk runs (sampling, the event tail, timers); a CPU profile of such a run puts about half of it in the PSS reads (smaps_rollup makes the kernel walk each process's page tables) and most of the rest in the usual samples' stat and children reads.`,
    ],
  };
}
