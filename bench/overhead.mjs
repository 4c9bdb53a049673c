// Benchmark section 1: what run-chunks adds to a run. The demo suite's chunks run through
// run-chunks, against the very commands `--dry-run` prints, run directly one after another by sh.
// Target: wall and CPU time ratio <= 1.02.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixed, median, QUICK, readReport, ROOT, ROUNDS, tempDir, timeCommand, VENV_PYTHON } from './lib.mjs';

// The stress chunk is stopped at its memoryLimit on purpose (and would be retried), so it is left out here.
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

/** A project of `tests` tests each burning `seconds` of CPU, in one chunk of 2 xdist workers. */
function makeBusyProject(tests, seconds) {
  const dir = tempDir('overhead-busy');
  writeFileSync(path.join(dir, 'pytest.ini'), '[pytest]\n');
  writeFileSync(
    path.join(dir, 'test_busy.py'),
    ['import time', '', `@pytest.mark.parametrize("n", range(${tests}))`, 'def test_busy(n):', '    end = time.process_time() + ' + seconds, '    while time.process_time() < end:', '        pass', ''].join('\n').replace('import time', 'import time\nimport pytest'),
  );
  writeFileSync(path.join(dir, 'chunks.config.json'), JSON.stringify({ python: VENV_PYTHON, chunks: [{ name: 'busy', workers: 2 }] }));
  return dir;
}

/**
 * Runs `chunks` of the project in `cwd` both ways, ROUNDS times, alternating. Returns the runs,
 * run-chunks' own CPU, its fixed costs (start-up and exit outside the run; time between chunks)
 * and the test count.
 */
function compare(cwd, chunks) {
  const work = tempDir('overhead');
  const chunkArgs = ['--chunk', chunks.join(','), '--retry-on-oom', '0', '--gpu', 'off'];
  const direct = [];
  const wrapped = [];
  const ownCpu = [];
  const outsideRun = [];
  const betweenChunks = [];
  let tests = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    // Direct: the printed commands, written into their own report dir (events and JUnit files too).
    const directDir = path.join(work, `direct-${round}`);
    const dry = timeCommand([process.execPath, CLI, '--dry-run', '--report-dir', directDir, ...chunkArgs], { cwd });
    for (const chunk of chunks) mkdirSync(path.join(directDir, chunk), { recursive: true });
    const script = path.join(work, `direct-${round}.sh`);
    writeFileSync(script, `${scriptFromDryRun(dry.stdout)}\n`);
    direct.push(timeCommand(['sh', script], { cwd }));
    const reportDir = path.join(work, `run-chunks-${round}`);
    const run = timeCommand([process.execPath, CLI, '--report-dir', reportDir, ...chunkArgs], { cwd });
    wrapped.push(run);
    const report = readReport(reportDir);
    ownCpu.push(report.orchestrator.cpuUserMs + report.orchestrator.cpuSystemMs);
    outsideRun.push(run.wallMs - report.durationMs);
    betweenChunks.push(report.durationMs - report.chunks.reduce((sum, chunk) => sum + chunk.durationMs, 0));
    tests = report.chunks.reduce((sum, chunk) => sum + (chunk.tests?.total ?? 0), 0);
  }
  return {
    wallDirect: median(direct.map((run) => run.wallMs)),
    wallWrapped: median(wrapped.map((run) => run.wallMs)),
    cpuDirect: median(direct.map((run) => run.cpuMs)),
    cpuWrapped: median(wrapped.map((run) => run.cpuMs)),
    ownCpu: median(ownCpu),
    outsideRun: median(outsideRun),
    betweenChunks: median(betweenChunks),
    tests,
  };
}

export async function overhead() {
  const demo = compare(ROOT, CHUNKS);
  const [busyTests, busySeconds] = QUICK ? [4, '0.2'] : [40, '0.5'];
  const busy = compare(makeBusyProject(busyTests, busySeconds), ['busy']);
  const verdict = (ratio) => (ratio <= 1.02 ? 'yes' : 'no');
  const rows = (label, figures) => [
    [`${label}: wall time (s)`, fixed(figures.wallDirect / 1000), fixed(figures.wallWrapped / 1000), fixed(figures.wallWrapped / figures.wallDirect, 3), verdict(figures.wallWrapped / figures.wallDirect)],
    [`${label}: CPU time, whole tree (s)`, fixed(figures.cpuDirect / 1000), fixed(figures.cpuWrapped / 1000), fixed(figures.cpuWrapped / figures.cpuDirect, 3), verdict(figures.cpuWrapped / figures.cpuDirect)],
  ];
  const { wallDirect, wallWrapped, cpuDirect, cpuWrapped } = demo;
  const tests = demo.tests;
  const ownCpu = [demo.ownCpu];
  return {
    id: 'overhead',
    title: '1. Overhead: run-chunks vs the same pytest commands run directly',
    target: 'wall and CPU time ratio <= 1.02.',
    headers: ['<measure', 'pytest commands directly', 'through run-chunks', 'ratio', 'within 1.02'],
    rows: [...rows('demo suite', demo), ...rows(`${busyTests} CPU-bound tests`, busy)],
    notes: [
      `The demo suite's chunks ${CHUNKS.join(', ')} (${tests} tests, xdist workers as configured, sampled every 100 ms as the demo config says), one chunk at a time both ways. Medians of ${ROUNDS} rounds, the two ways alternating.`,
      'Directly: the commands, environment and working directories that `run-chunks --dry-run` prints, run by one `sh` script (each writes the same events file and JUnit file it would under run-chunks). CPU is GNU time\'s user + system time of the whole process tree.',
      `run-chunks' own CPU (its process alone, from report.json): median ${fixed(median(ownCpu) / 1000, 2)} s on the demo, ${fixed(busy.ownCpu / 1000, 2)} s on the CPU-bound chunk; it includes its start-up, sampling, the live event tail and writing report.json, junit.xml and report.html.`,
      `Where the demo's extra wall time goes: ${fixed(demo.outsideRun, 0)} ms outside the run (Node's start-up, loading the bundle, exiting), ${fixed(demo.betweenChunks, 0)} ms between chunks (the one preflight probe of the interpreter, report folders), the rest inside the chunks. These are fixed costs: the demo's chunks take ${fixed(wallDirect / 1000, 1)} s in all, so the ${fixed(demo.outsideRun + demo.betweenChunks, 0)} ms weigh ${fixed(((demo.outsideRun + demo.betweenChunks) / wallDirect) * 100, 1)}% here, and would weigh ${fixed((demo.outsideRun + demo.betweenChunks) / 600, 2)}% of a suite that runs for a minute.`,
      `The second pair of rows is one chunk of ${busyTests} tests, each burning ${busySeconds} s of CPU, on 2 xdist workers: the cost of supervising a chunk that runs long enough for fixed costs to fade.`,
    ],
  };
}

// Guard for readers who run this file by mistake: it is a section of bench/run-all.mjs.
if (import.meta.url === `file://${process.argv[1]}`) console.error(`run ${path.relative(process.cwd(), path.join(ROOT, 'bench', 'run-all.mjs'))} (BENCH_ONLY=overhead) instead`);
