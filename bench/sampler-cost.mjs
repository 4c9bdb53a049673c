#!/usr/bin/env node
// Benchmark (not a test): what one sample of a chunk's process tree costs, for trees of
// 1, 8, 32 and 128 processes, for each kind of sample. Prints a table; never fails on a number.
// Target from issue 3 / 8: under 1 ms per sample for 32 processes on Linux.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { listProcStats } from '../dist/src/proc/read-proc-stat.js';
import { ProcessTracker } from '../dist/src/monitor/process-tracker.js';
import { measureTree } from '../dist/src/monitor/measure-tree.js';

const SIZES = (process.env.BENCH_TREE_SIZES ?? '1,8,32,128').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

// Python processes like the pytest workers a chunk runs, each holding 8 MiB it has touched.
const CHILD = 'import time; b = bytearray(8 << 20); b[::4096] = bytes(len(range(0, len(b), 4096))); time.sleep(600)';

/** A process group of `size` python processes: a leader and size-1 children. */
function startTree(size) {
  const leader = `import subprocess, sys, time\nkids = [subprocess.Popen([sys.executable, "-c", ${JSON.stringify(CHILD)}]) for _ in range(${size} - 1)]\ntime.sleep(600)`;
  // The project's venv python, not a pyenv shim (a shell script that would add a process of its own).
  const python = process.env.PYTHON ?? (existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3');
  return spawn(python, ['-c', leader], { detached: true, stdio: 'ignore' });
}

async function waitForTree(pgid, size) {
  for (let i = 0; i < 200; i += 1) {
    if (listProcStats().filter((stat) => stat.pgid === pgid).length >= size) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`tree of ${size} did not start`);
}

/**
 * Times the sampler's three kinds of sample: 'stat' (the usual one: the chunk's own processes and
 * their children), 'full' (a scan of all of /proc, every 2 s), and 'detail' (PSS and fds, every 2 s).
 */
function timeSamples(pgid, kind) {
  const tracker = new ProcessTracker({ pgid, runId: 'bench', chunkName: 'bench' });
  tracker.scan(0);
  let previous = new Map();
  let members = 0;
  const times = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    // A clock far ahead forces a full scan; one just after the first keeps scans incremental.
    const nowMs = kind === 'full' ? (round + 1) * 10_000 : 1;
    const start = process.hrtime.bigint();
    const found = tracker.scan(nowMs);
    const usage = measureTree(found, kind === 'detail', previous);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    previous = usage.cpuTicksByPid;
    members = usage.processes;
  }
  times.sort((a, b) => a - b);
  return { members, medianMs: times[Math.floor(times.length / 2)], p95Ms: times[Math.floor(times.length * 0.95)] };
}

const cpuBefore = process.cpuUsage();
const rows = [];
for (const size of SIZES) {
  const leader = startTree(size);
  try {
    await waitForTree(leader.pid, size);
    for (const kind of ['stat', 'full', 'detail']) rows.push({ size, kind, ...timeSamples(leader.pid, kind) });
  } finally {
    process.kill(-leader.pid, 'SIGKILL');
  }
}
const cpu = process.cpuUsage(cpuBefore);
const processesOnMachine = listProcStats().length;
console.log(`Sampler cost per sample (${ROUNDS} rounds each; ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, ${processesOnMachine} processes on the machine)`);
console.log('| tree size | sample kind | processes found | median ms | p95 ms |');
console.log('|---:|:---|---:|---:|---:|');
for (const row of rows) console.log(`| ${row.size} | ${row.kind} | ${row.members} | ${row.medianMs.toFixed(3)} | ${row.p95Ms.toFixed(3)} |`);
console.log('\nCPU of one chunk\'s sampler at 4 Hz (4 stat samples a second, a full scan and a detail read every 2 s), % of one core:');
for (const size of SIZES) {
  const median = (kind) => rows.find((row) => row.size === size && row.kind === kind).medianMs;
  const msPerSecond = 4 * median('stat') + (median('full') + median('detail')) / 2;
  console.log(`  ${size} processes: ${(msPerSecond / 10).toFixed(2)}%`);
}
console.log(`(benchmark's own CPU: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms)`);
