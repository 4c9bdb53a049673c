import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { assertNoLeftovers, chunkOf, readReport, REPO_ROOT, runCli, VENV_PYTHON } from '../helpers/cli.js';

// The package as a user gets it: `npm pack` from a clean checkout (its prepack builds what the
// package needs), the tarball installed into an empty folder, and run-chunks run from there on a
// small pytest project: --help, --version, a chunk with the plugin, and the config schema.

const work = mkdtempSync(path.join(tmpdir(), 'run-chunks-npm-'));
after(() => rmSync(work, { recursive: true, force: true }));

function npm(args: string[], cwd: string): string {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  assert.equal(result.status, 0, `npm ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** A clean checkout of this tree: its tracked and unignored files (no dist/, no .venv), with node_modules linked in for the build tools. */
function cleanCheckout(): string {
  const checkout = path.join(work, 'checkout');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    const source = path.join(REPO_ROOT, file);
    const target = path.join(checkout, file);
    mkdirSync(path.dirname(target), { recursive: true });
    try {
      cpSync(source, target, { verbatimSymlinks: true });
    } catch (error) {
      // A file git still lists but the tree has deleted (an uncommitted removal) is not part of the checkout.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
  return checkout;
}

const TESTS = `import pytest

@pytest.mark.unit
def test_adds():
    assert 1 + 1 == 2

@pytest.mark.unit
def test_holds_a_buffer():
    data = bytearray(32 * 1024 * 1024)
    assert len(data) == 32 * 1024 * 1024
`;

test('npm pack from a clean checkout builds the bundle; the installed tarball runs a chunk with the plugin and validates against its schema', { timeout: 600_000 }, async () => {
  const checkout = cleanCheckout();
  assert.ok(!readdirSync(checkout).includes('dist'), 'the checkout starts without a build');
  const packed = npm(['pack', '--pack-destination', work, '--json'], checkout);
  const [{ filename, files }] = JSON.parse(packed.slice(packed.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  const paths = files.map((file) => file.path).sort();
  assert.ok(paths.includes('dist/src/cli/main.bundle.js'), paths.join('\n'));
  assert.ok(paths.includes('python/run_chunks_events/events_plugin.py') && paths.includes('python/run_chunks_launcher.py'), paths.join('\n'));
  assert.ok(paths.includes('schema/chunks.config.schema.json') && paths.includes('schema/report.schema.json'));
  const stray = paths.filter((file) => file.startsWith('dist/test') || file.includes('__pycache__') || file.endsWith('.map') || file === 'dist/src/cli/main.js');
  assert.deepEqual(stray, [], 'the package holds the bundle alone: no compiled modules, tests, source maps or bytecode');

  const app = path.join(work, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), '{"name": "app", "private": true}\n');
  // The dependencies come from npm's cache where they are there (npm ci filled it), so an offline CI machine can run this.
  npm(['install', '--prefer-offline', '--no-package-lock', path.join(work, filename)], app);

  const help = spawnSync('npx', ['--no-install', 'run-chunks', '--help'], { cwd: app, encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: run-chunks /m);
  const installedBin = path.join(app, 'node_modules', '.bin', 'run-chunks');
  const version = spawnSync(installedBin, ['--version'], { cwd: app, encoding: 'utf8' });
  assert.equal(version.stdout.trim(), (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);

  const config = {
    $schema: './node_modules/run-chunks/schema/chunks.config.schema.json',
    python: VENV_PYTHON,
    testPaths: ['tests'],
    chunks: [{ name: 'unit', markers: 'unit', workers: 2 }, { name: 'rest', rest: true }],
  };
  writeFileSync(path.join(app, 'chunks.config.json'), JSON.stringify(config, null, 2));
  mkdirSync(path.join(app, 'tests'));
  writeFileSync(path.join(app, 'tests', 'test_app.py'), TESTS);
  writeFileSync(path.join(app, 'pytest.ini'), '[pytest]\nmarkers =\n    unit: fast tests\n');
  const schema = JSON.parse(readFileSync(path.join(app, config.$schema), 'utf8')) as object;
  const validate = new Ajv2020.default({ strict: false }).compile(schema);
  assert.ok(validate(config), JSON.stringify(validate.errors));

  const run = await runCli([], { cwd: app, bin: installedBin });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  const unit = chunkOf(readReport(app), 'unit');
  assert.equal(unit.tests?.passed, 2);
  assert.equal(unit.workers, 2);
  const buffer = unit.topPeakTests.find((entry) => entry.nodeid.endsWith('test_holds_a_buffer'));
  assert.ok(buffer && buffer.peakRiseBytes !== null && buffer.peakRiseBytes >= 30 * 1024 * 1024, JSON.stringify(unit.topPeakTests));
  assertNoLeftovers(run.tag);
});
