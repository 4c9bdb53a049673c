// Benchmark section 11: the pip wheel (scripts/build-wheel.mjs): what it costs to download and
// to install, and what its start-up costs against Node itself and the npm install's CLI.
// Target: the wheel under 50 MB, and `run-chunks --help` from it no slower than the npm CLI's.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixed, median, QUICK, ROOT, tempDir, timeSideBySide } from './lib.mjs';

const RUNS = 21;
const HOST_PYTHON = process.env.PYTHON ?? 'python3';
const QUIET_PIP = { ...process.env, PIP_NO_CACHE_DIR: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' };

function run(argv, options = {}) {
  const result = spawnSync(argv[0], argv.slice(1), { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr}`);
  return result.stdout;
}

/** Bytes under `target`, a file or a folder (sizes as the files say, not blocks). */
function sizeOf(target) {
  const stats = statSync(target);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(target).reduce((total, name) => total + sizeOf(path.join(target, name)), 0);
}

/** Builds the wheel and installs it into a fresh venv; returns the paths and sizes. */
function buildAndInstall(work) {
  run([process.execPath, path.join(ROOT, 'scripts', 'build-wheel.mjs'), '--out-dir', path.join(work, 'wheels')]);
  const wheel = path.join(work, 'wheels', readdirSync(path.join(work, 'wheels'))[0]);
  const venv = path.join(work, 'venv');
  run([HOST_PYTHON, '-m', 'venv', venv]);
  run([path.join(venv, 'bin', 'python'), '-m', 'pip', 'install', '--no-index', '--quiet', wheel], { env: QUIET_PIP });
  const sitePackages = run([path.join(venv, 'bin', 'python'), '-c', 'import sysconfig; print(sysconfig.get_paths()["platlib"])']).trim();
  // What pip put there: the package, its .dist-info, and the console script.
  const installed = readdirSync(sitePackages).filter((name) => /^run_chunks(-.*\.dist-info)?$/.test(name));
  const installedBytes = installed.reduce((total, name) => total + sizeOf(path.join(sitePackages, name)), 0) + sizeOf(path.join(venv, 'bin', 'run-chunks'));
  return {
    wheelName: path.basename(wheel),
    wheelBytes: statSync(wheel).size,
    installedBytes,
    consoleScript: path.join(venv, 'bin', 'run-chunks'),
    executable: path.join(sitePackages, 'run_chunks', '_resources', 'bin', 'run-chunks'),
  };
}

export async function wheel() {
  const work = tempDir('wheel');
  try {
    const built = QUICK ? null : buildAndInstall(work);
    const cases = [
      ['node -e 0 (Node itself, the floor)', [process.execPath, '-e', '0']],
      ['node bin/run-chunks.js --help (the npm install)', [process.execPath, CLI, '--help']],
    ];
    if (built) {
      cases.push(['run-chunks --help from the wheel (console script, exec)', [built.consoleScript, '--help']]);
      cases.push(['its executable --help, run directly (no Python)', [built.executable, '--help']]);
    }
    const runs = QUICK ? 3 : RUNS;
    const times = timeSideBySide(cases, runs);
    const npmMedian = median(times[1]);
    const rows = [
      ['wheel file, MB (the download)', built ? fixed(built.wheelBytes / 1e6, 1) : '–', '–', '–'],
      ['installed, MB (package, .dist-info, console script)', built ? fixed(built.installedBytes / 1e6, 1) : '–', '–', '–'],
      ...cases.map(([label], index) => [`${label}, ms`, fixed(median(times[index]), 0), fixed(Math.min(...times[index]), 0), fixed(median(times[index]) / npmMedian, 2)]),
    ];
    const notes = [
      built ? `${built.wheelName}, built by scripts/build-wheel.mjs with this machine's node (${process.version}) and installed with \`pip install --no-index\` into a fresh venv.` : 'Quick run (BENCH_QUICK=1): the wheel is not built or installed (that takes about 20 s), so only the Node rows are measured.',
      `${runs} runs of each command in alternating rounds (each round starts with the next command), after one untimed run of each; wall time from spawn to exit (spawnSync). MB is 10^6 bytes.`,
      'The executable is a copy of the node binary (about 100 MB, with its debug information: stripping it saved 8% of the download) with the bundled CLI and its V8 code cache injected; the console script is pip\'s Python launcher, which imports run_chunks and execs the executable.',
    ];
    return {
      id: 'wheel',
      title: '11. The pip wheel: size and start-up',
      target: 'the wheel under 50 MB; `run-chunks --help` from it no slower than `node bin/run-chunks.js --help`.',
      headers: ['<measure', 'median', 'fastest', 'vs the npm CLI'],
      rows,
      notes,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
