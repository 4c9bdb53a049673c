// Benchmark section 4: start-up time of the CLI, what a user feels on every invocation.
// Targets: < 150 ms median for `--help` and `--dry-run`; the installed npm package's `--help`
// within 2x of `node -e 0`. The commands are timed in alternating rounds (one run of each per
// round), so that the machine's noise falls on all of them alike and the ratios hold.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixed, median, QUICK, ROOT, tempDir, timeSideBySide } from './lib.mjs';

const RUNS = QUICK ? 3 : 21;

function npm(args, cwd) {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** The package as users install it: packed from this build (the bench has just built it) and installed into an empty folder. */
function installPackage(dir) {
  const packed = npm(['pack', '--ignore-scripts', '--pack-destination', dir, '--json'], ROOT);
  const [{ filename }] = JSON.parse(packed.slice(packed.indexOf('[')));
  const app = path.join(dir, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), '{"name": "app", "private": true}\n');
  npm(['install', '--prefer-offline', '--no-package-lock', path.join(dir, filename)], app);
  return path.join(app, 'node_modules', 'run-chunks', 'bin', 'run-chunks.js');
}

export async function startup() {
  const dir = tempDir('startup');
  try {
    const installed = installPackage(dir);
    const cases = [
      ['node -e 0 (Node itself, the floor)', [process.execPath, '-e', '0']],
      ['run-chunks --version', [process.execPath, CLI, '--version']],
      ['run-chunks --help', [process.execPath, CLI, '--help']],
      ['run-chunks --dry-run (demo config, 6 chunks)', [process.execPath, CLI, '--dry-run']],
      ['installed npm package: run-chunks --help', [process.execPath, installed, '--help']],
    ];
    const times = timeSideBySide(cases, RUNS);
    const floor = median(times[0]);
    const rows = cases.map(([label], index) => {
      const medianMs = median(times[index]);
      const within = index === 0 ? '–' : medianMs < 150 ? 'yes' : 'no';
      return [label, fixed(medianMs, 0), fixed(Math.min(...times[index]), 0), index === 0 ? '1.00' : fixed(medianMs / floor, 2), within];
    });
    return {
      id: 'startup',
      title: '4. Start-up time',
      target: '< 150 ms median for `--help` and `--dry-run`; the installed npm package\'s `--help` within 2x of `node -e 0`.',
      headers: ['<command', 'median ms', 'fastest ms', 'x node -e 0', 'under 150 ms'],
      rows,
      notes: [
        `${RUNS} alternating rounds (one run of each command per round, each round starting with the next command), after one untimed run of each; wall time from spawn to exit, measured from Node (spawnSync).`,
        '`npm run build` bundles the CLI and its npm dependencies into one file with esbuild (scripts/bundle.mjs); loading ~150 separate ES modules took about 280 ms here, the bundle about 110 ms.',
        'The installed row is `npm pack` of this build installed into an empty folder (`npm install <tarball>`): the package holds the bundle alone, so it always runs it. In a checkout, bin/choose-entry.js runs the bundle only while its build id matches the compiled main.js (never by file times).',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
