// Shared pieces of the benchmarks (`npm run bench`): paths, the machine, statistics, timing a
// command with its CPU, and the section shape that bench/run-all.mjs turns into docs/benchmarks.md.
// Benchmarks never fail on a number: they measure and print.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(ROOT, 'bin', 'run-chunks.js');
export const VENV_PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
/** BENCH_QUICK=1: tiny sizes and one round, for the smoke test in `npm test`. */
export const QUICK = process.env.BENCH_QUICK === '1';
/** Rounds per measurement (medians are quoted); BENCH_ROUNDS overrides. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 5));

/**
 * A section of docs/benchmarks.md.
 * @typedef {{ id: string, title: string, target: string, headers: string[], rows: (string|number)[][], notes: string[] }} Section
 */

/** The machine, as every figure must say where it came from. */
export function describeMachine() {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function tempDir(label) {
  return mkdtempSync(path.join(os.tmpdir(), `run-chunks-bench-${label}-`));
}

/** Formats a number with `digits` decimals; '–' for null/undefined/NaN. */
export function fixed(value, digits = 2) {
  return value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

export const MIB = 2 ** 20;

/**
 * `argv` wrapped so that its CPU time (and, with GNU time, its peak RSS) lands in `timeFile`:
 * GNU time where there is one, else sh's `times` builtin, whose second line is the user and
 * system time of the children it waited for. Read the file back with readTimeFile.
 */
export function timedArgv(argv, timeFile) {
  if (hasGnuTime()) return ['/usr/bin/time', '-o', timeFile, '-f', '%e %U %S %M', ...argv];
  return ['sh', '-c', '"$@"; status=$?; times > "$0"; exit $status', timeFile, ...argv];
}

/** CPU time (ms) and peak RSS (KiB, null without GNU time) from a file timedArgv wrote. */
export function readTimeFile(timeFile) {
  const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
  if (hasGnuTime()) {
    const fields = lines.at(-1).split(' ').map(Number);
    return { cpuMs: (fields[1] + fields[2]) * 1000, maxRssKib: fields[3] };
  }
  // "0m1.234s 0m0.120s": the children's user and system time.
  const seconds = lines[1].split(/\s+/).map((field) => {
    const match = /^(\d+)m([\d.]+)s$/.exec(field);
    return match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
  });
  return { cpuMs: (seconds[0] + seconds[1]) * 1000, maxRssKib: null };
}

/**
 * Runs a command to its end, timing it: wall time, and the CPU time of the command and every
 * descendant it waited for. Returns { wallMs, cpuMs, maxRssKib, exitCode, stdout, stderr }.
 */
export function timeCommand(argv, options = {}) {
  const timeFile = path.join(tempDir('time'), 'time.txt');
  const wrapped = timedArgv(argv, timeFile);
  const start = performance.now();
  const result = spawnSync(wrapped[0], wrapped.slice(1), {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    maxBuffer: 256 * MIB,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wallMs = performance.now() - start;
  return { wallMs, ...readTimeFile(timeFile), exitCode: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Whether GNU time is there (Debian: apt-get install time); benchmarks that need it say so. */
export function hasGnuTime() {
  // BENCH_NO_GNU_TIME=1 takes the fallback on purpose (to check it where GNU time is installed).
  return process.env.BENCH_NO_GNU_TIME !== '1' && existsSync('/usr/bin/time');
}

/** Starts a process and resolves with its exit; for benchmarks that watch a run from outside. */
export function start(argv, options = {}) {
  const child = spawn(argv[0], argv.slice(1), {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (data) => (output += data));
  child.stderr.on('data', (data) => (output += data));
  const done = new Promise((resolve) => child.on('close', (exitCode) => resolve({ exitCode, output })));
  return { child, done };
}

/** Reads a run's report.json. */
export function readReport(reportDir) {
  return JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8'));
}

/** A Markdown table. */
export function markdownTable(headers, rows) {
  const alignment = headers.map((header) => (header.startsWith('<') ? ':---' : '---:'));
  const clean = headers.map((header) => header.replace(/^</, ''));
  return [`| ${clean.join(' | ')} |`, `| ${alignment.join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** Wall times of each case's command, taken in alternating rounds so that drift hits all alike. */
export function timeSideBySide(cases, runs) {
  const times = cases.map(() => []);
  // One untimed run of each warms the page cache (the wheel's executable is 100 MB).
  for (const [, argv] of cases) {
    const warm = spawnSync(argv[0], argv.slice(1), { cwd: ROOT, stdio: 'ignore' });
    if (warm.status !== 0) throw new Error(`${argv.join(' ')} exited ${warm.status}`);
  }
  for (let round = 0; round < runs; round += 1) {
    for (let offset = 0; offset < cases.length; offset += 1) {
      const index = (round + offset) % cases.length;
      const argv = cases[index][1];
      const start = performance.now();
      const result = spawnSync(argv[0], argv.slice(1), { cwd: ROOT, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
      times[index].push(performance.now() - start);
      if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}`);
    }
  }
  return times;
}
