#!/usr/bin/env node
// Benchmark (not a test): wall time of the bundled demo suite run one chunk after another vs
// with --memory-budget (chunks packed by their forecast peaks from history). Prints a table;
// never fails on a number. Medians of BENCH_ROUNDS runs each, alternating to share the noise.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'run-chunks.js');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const budget = process.env.BENCH_BUDGET ?? '50%';
const work = mkdtempSync(path.join(os.tmpdir(), 'run-chunks-makespan-'));
const history = path.join(work, 'history.json');

function run(label, extra) {
  const reportDir = path.join(work, `${label}-${Date.now()}`);
  const start = performance.now();
  try {
    execFileSync(process.execPath, [cli, '--report-dir', reportDir, '--history', history, ...extra], { cwd: root, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  } catch {
    // A failing chunk is part of what is measured, not a benchmark failure.
  }
  const wallMs = performance.now() - start;
  const report = JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8'));
  const tests = report.chunks.reduce((sum, chunk) => sum + (chunk.tests?.total ?? 0), 0);
  return { wallMs, tests };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
// One run to fill the history the scheduler forecasts from.
run('warmup', []);
const sequential = [];
const packed = [];
for (let round = 0; round < rounds; round += 1) {
  sequential.push(run('sequential', []));
  packed.push(run('budget', ['--memory-budget', budget]));
}
const seq = median(sequential.map((r) => r.wallMs));
const pack = median(packed.map((r) => r.wallMs));
console.log(`Demo suite makespan (${rounds} rounds each, medians; ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()})`);
console.log('| mode | wall time (s) | tests with results | ratio |');
console.log('|---|---:|---:|---:|');
console.log(`| one chunk after another | ${(seq / 1000).toFixed(2)} | ${sequential[0].tests} | 1.00 |`);
console.log(`| --memory-budget ${budget} | ${(pack / 1000).toFixed(2)} | ${packed[0].tests} | ${(pack / seq).toFixed(2)} |`);
