// Benchmark section 4: start-up time of the CLI, what a user feels on every invocation.
// Target: < 150 ms median for `--help` and `--dry-run`.
import { spawnSync } from 'node:child_process';
import { CLI, fixed, median, QUICK, ROOT } from './lib.mjs';

const RUNS = QUICK ? 3 : 21;

function timeRuns(argv) {
  const times = [];
  for (let run = 0; run < RUNS; run += 1) {
    const start = performance.now();
    const result = spawnSync(argv[0], argv.slice(1), { cwd: ROOT, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    times.push(performance.now() - start);
    if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}`);
  }
  return times;
}

export async function startup() {
  const cases = [
    ['node -e 0 (Node itself, the floor)', [process.execPath, '-e', '0']],
    ['run-chunks --version', [process.execPath, CLI, '--version']],
    ['run-chunks --help', [process.execPath, CLI, '--help']],
    ['run-chunks --dry-run (demo config, 6 chunks)', [process.execPath, CLI, '--dry-run']],
  ];
  const rows = cases.map(([label, argv]) => {
    const times = timeRuns(argv);
    const medianMs = median(times);
    const within = label.startsWith('node') ? '–' : medianMs < 150 ? 'yes' : 'no';
    return [label, fixed(medianMs, 0), fixed(Math.min(...times), 0), within];
  });
  return {
    id: 'startup',
    title: '4. Start-up time',
    target: '< 150 ms median for `--help` and `--dry-run`.',
    headers: ['<command', 'median ms', 'fastest ms', 'under 150 ms'],
    rows,
    notes: [
      `${RUNS} runs each, wall time from spawn to exit, measured from Node (spawnSync).`,
      '`npm run build` bundles the CLI and its npm dependencies into one file with esbuild (scripts/bundle.mjs); loading ~150 separate ES modules took about 280 ms here, the bundle about 110 ms. bin/run-chunks.js uses the bundle only while it is at least as new as the compiled modules.',
    ],
  };
}
