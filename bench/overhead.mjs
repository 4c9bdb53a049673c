// Benchmark section 1: what run-chunks adds to a run. The demo suite's chunks run through
// run-chunks, against the very commands `--dry-run` prints, run directly one after another by sh.
// Target: wall and CPU time ratio <= 1.02.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixed, median, QUICK, readReport, ROOT, ROUNDS, tempDir, timeCommand } from './lib.mjs';

// The stress chunk SIGKILLs itself on purpose (and would be retried), so it is left out here.
const CHUNKS = QUICK ? ['unit_fast'] : ['unit_fast', 'unit_memory', 'integration', 'validation', 'performance'];

function quote(text) {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Turns `--dry-run` output into one sh script running each chunk's command with its env and cwd,
 * exactly as printed (the printed command and env lines are already shell-quoted).
 */
export function scriptFromDryRun(output) {
  const lines = [];
  let cwd;
  let env = '';
  for (const line of output.split('\n')) {
    if (line.startsWith('  cwd: ')) cwd = line.slice('  cwd: '.length);
    else if (line.startsWith('  env: ')) env = line.slice('  env: '.length);
    else if (line.startsWith('  $ ')) {
      if (cwd === undefined) throw new Error('a command without a cwd line in --dry-run output');
      lines.push(`(cd ${quote(cwd)} && exec env ${env} ${line.slice('  $ '.length)})`);
      cwd = undefined;
      env = '';
    }
  }
  if (lines.length === 0) throw new Error(`no commands found in --dry-run output:\n${output}`);
  return lines.join('\n');
}

export async function overhead() {
  const work = tempDir('overhead');
  const chunkArgs = ['--chunk', CHUNKS.join(','), '--retry-on-oom', '0', '--gpu', 'off'];
  const direct = [];
  const wrapped = [];
  const ownCpu = [];
  let tests = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    // Direct: the printed commands, written into their own report dir (events and JUnit files too).
    const directDir = path.join(work, `direct-${round}`);
    const dry = timeCommand([process.execPath, CLI, '--dry-run', '--report-dir', directDir, ...chunkArgs]);
    for (const chunk of CHUNKS) mkdirSync(path.join(directDir, chunk), { recursive: true });
    const script = path.join(work, `direct-${round}.sh`);
    writeFileSync(script, `${scriptFromDryRun(dry.stdout)}\n`);
    direct.push(timeCommand(['sh', script]));
    const reportDir = path.join(work, `run-chunks-${round}`);
    wrapped.push(timeCommand([process.execPath, CLI, '--report-dir', reportDir, ...chunkArgs]));
    const report = readReport(reportDir);
    ownCpu.push(report.orchestrator.cpuUserMs + report.orchestrator.cpuSystemMs);
    tests = report.chunks.reduce((sum, chunk) => sum + (chunk.tests?.total ?? 0), 0);
  }
  const wallDirect = median(direct.map((run) => run.wallMs));
  const wallWrapped = median(wrapped.map((run) => run.wallMs));
  const cpuDirect = median(direct.map((run) => run.cpuMs));
  const cpuWrapped = median(wrapped.map((run) => run.cpuMs));
  const verdict = (ratio) => (ratio <= 1.02 ? 'yes' : 'no');
  return {
    id: 'overhead',
    title: '1. Overhead: run-chunks vs the same pytest commands run directly',
    target: 'wall and CPU time ratio <= 1.02.',
    headers: ['<measure', 'pytest commands directly', 'through run-chunks', 'ratio', 'within 1.02'],
    rows: [
      ['wall time (s)', fixed(wallDirect / 1000), fixed(wallWrapped / 1000), fixed(wallWrapped / wallDirect, 3), verdict(wallWrapped / wallDirect)],
      ['CPU time, user + system, whole tree (s)', fixed(cpuDirect / 1000), fixed(cpuWrapped / 1000), fixed(cpuWrapped / cpuDirect, 3), verdict(cpuWrapped / cpuDirect)],
    ],
    notes: [
      `The demo suite's chunks ${CHUNKS.join(', ')} (${tests} tests, xdist workers as configured, sampled every 100 ms as the demo config says), one chunk at a time both ways. Medians of ${ROUNDS} rounds, the two ways alternating.`,
      'Directly: the commands, environment and working directories that `run-chunks --dry-run` prints, run by one `sh` script (each writes the same events file and JUnit file it would under run-chunks). CPU is GNU time\'s user + system time of the whole process tree.',
      `run-chunks' own CPU (its process alone, from report.json): median ${fixed(median(ownCpu) / 1000, 2)} s, which includes its start-up, sampling, the live event tail and writing report.json, junit.xml and report.html.`,
    ],
  };
}

// Guard for readers who run this file by mistake: it is a section of bench/run-all.mjs.
if (import.meta.url === `file://${process.argv[1]}`) console.error(`run ${path.relative(process.cwd(), path.join(ROOT, 'bench', 'run-all.mjs'))} (BENCH_ONLY=overhead) instead`);
