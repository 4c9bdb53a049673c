// The pip wheel (scripts/build-wheel.mjs), as a pytest team gets it: built once for this file,
// installed with `pip install --no-index` into a fresh venv, and run with a PATH on which there
// is no node: --version three ways, and a real chunk on a tiny pytest project, whose event
// plugin and launcher must come from the wheel. Then the wheel's own bookkeeping (RECORD, the
// executable's mode), and the node binaries and platform tags the build must refuse.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { assertNoLeftovers, chunkOf, makeProject, readReport, REPO_ROOT, TAG_VARIABLE, VENV_PYTHON, writeConfig } from '../helpers/cli.js';

const BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts', 'build-wheel.mjs');
const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const HOST_PYTHON = process.env.PYTHON ?? 'python3';
// This machine's CPU as wheel tags name it, and another one for a tag the binary cannot keep.
const ARCH = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
const OTHER_ARCH = ARCH === 'x86_64' ? 'aarch64' : 'x86_64';
// No pip cache or version check: nothing written outside the temp folder, no network tried.
const PIP_ENV = { PIP_NO_CACHE_DIR: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1' };

let work: string;
let wheel: string;
let venv: string;
/** A PATH holding the venv's bin and a folder with sh: no node anywhere on it. */
let nodelessPath: string;

function buildWheel(args: string[], outDir: string) {
  return execa(process.execPath, [BUILD_SCRIPT, '--out-dir', outDir, ...args], { cwd: REPO_ROOT, reject: false, all: true });
}

/** Runs a command found on the node-less PATH, tagged so that its leftovers can be found. */
function runWithoutNode(file: string, args: string[], cwd: string) {
  const tag = randomUUID();
  const run = execa(file, args, {
    cwd,
    env: { ...PIP_ENV, PATH: nodelessPath, NO_COLOR: '1', FORCE_COLOR: undefined, NODE_OPTIONS: undefined, [TAG_VARIABLE]: tag },
    reject: false,
    all: true,
  });
  return { tag, run };
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'run-chunks-wheel-test-'));
  const built = await buildWheel([], path.join(work, 'wheels'));
  assert.equal(built.exitCode, 0, built.all);
  const wheels = readdirSync(path.join(work, 'wheels'));
  assert.equal(wheels.length, 1, wheels.join(', '));
  wheel = path.join(work, 'wheels', wheels[0]!);

  venv = path.join(work, 'venv');
  await execa(HOST_PYTHON, ['-m', 'venv', venv]);
  const installed = await execa(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--no-index', '--quiet', wheel], { env: PIP_ENV, reject: false, all: true });
  assert.equal(installed.exitCode, 0, installed.all);

  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  symlinkSync('/bin/sh', path.join(bin, 'sh'));
  nodelessPath = [bin, path.join(venv, 'bin')].join(':');
}, { timeout: 300_000 });

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the pip wheel, installed where there is no node', () => {
  test('is named for this version and the platform its node binary needs', () => {
    assert.match(path.basename(wheel), new RegExp(`^run_chunks-${PACKAGE_VERSION.replaceAll('.', '\\.')}-py3-none-manylinux_2_\\d+_${ARCH}\\.whl$`));
  });

  test('the PATH it runs with finds no node', async () => {
    for (const folder of nodelessPath.split(':')) assert.ok(!existsSync(path.join(folder, 'node')), `node in ${folder}`);
    const { run } = runWithoutNode('/bin/sh', ['-c', 'command -v node'], work);
    const lookup = await run;
    assert.notEqual(lookup.exitCode, 0, `node found: ${lookup.all}`);
  });

  test('run-chunks --version, python -m run_chunks --version and run_chunks.__version__ give the package version', async () => {
    const viaScript = await runWithoutNode('run-chunks', ['--version'], work).run;
    assert.equal(viaScript.exitCode, 0, viaScript.all);
    assert.equal(viaScript.stdout.trim(), PACKAGE_VERSION);
    const viaModule = await runWithoutNode('python', ['-m', 'run_chunks', '--version'], work).run;
    assert.equal(viaModule.exitCode, 0, viaModule.all);
    assert.equal(viaModule.stdout.trim(), PACKAGE_VERSION);
    const imported = await runWithoutNode('python', ['-c', 'import run_chunks; print(run_chunks.__version__)'], work).run;
    assert.equal(imported.exitCode, 0, imported.all);
    assert.equal(imported.stdout.trim(), PACKAGE_VERSION);
  });

  test('a chunk runs real pytest with the plugin and launcher from the wheel, and leaves no process', async () => {
    const dir = makeProject({
      'tests/test_tiny.py': 'def test_adds():\n    assert 1 + 1 == 2\n\n\ndef test_holds_a_buffer():\n    assert len(bytearray(16 * 1024 * 1024)) > 0\n',
    });
    try {
      writeConfig(dir, { python: VENV_PYTHON, testPaths: ['tests'], chunks: [{ name: 'tiny', workers: 1 }] });
      const { tag, run } = runWithoutNode('run-chunks', [], dir);
      const result = await run;
      assert.equal(result.exitCode, 0, result.all);
      assertNoLeftovers(tag);

      const report = readReport(dir);
      assert.equal(report.tool.version, PACKAGE_VERSION);
      const chunk = chunkOf(report, 'tiny');
      assert.equal(chunk.status, 'passed');
      assert.deepEqual(chunk.tests, { total: 2, passed: 2, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
      // The counts came from the plugin's event stream, and each test has its own exact peak.
      assert.equal(chunk.testsSource, 'events');
      assert.deepEqual(chunk.topPeakTests.map((entry) => entry.nodeid).sort(), ['tests/test_tiny.py::test_adds', 'tests/test_tiny.py::test_holds_a_buffer']);
      assert.ok(chunk.topPeakTests.every((entry) => entry.peakRssSource === 'hwm' && entry.peakRssBytes > 0), JSON.stringify(chunk.topPeakTests));
      // The plugin was loaded from the wheel's resources, and the launcher ran (as subreaper).
      const resources = path.join(realpathSync(venv), 'lib');
      assert.ok(chunk.env.PYTHONPATH?.startsWith(resources) && chunk.env.PYTHONPATH.endsWith(path.join('run_chunks', '_resources', 'python')), chunk.env.PYTHONPATH);
      assert.ok(chunk.evidence?.containment.includes('subreaper'), JSON.stringify(chunk.evidence?.containment));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the wheel file', () => {
  test('RECORD matches every file, the executable is 0755, and the chunk-side folder holds only our modules', async () => {
    const script = [
      'import base64, hashlib, json, sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'names = [i.filename for i in z.infolist()]',
      'record = [line.split(",") for line in z.read([n for n in names if n.endswith(".dist-info/RECORD")][0]).decode().splitlines()]',
      'bad = [p for p, h, s in record if h and (h != "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(z.read(p)).digest()).rstrip(b"=").decode() or int(s) != len(z.read(p)))]',
      'modes = {i.filename: oct((i.external_attr >> 16) & 0o777) for i in z.infolist()}',
      'print(json.dumps({"names": names, "recorded": sorted(p for p, _, _ in record), "bad": bad, "modes": modes, "wheel": z.read([n for n in names if n.endswith(".dist-info/WHEEL")][0]).decode()}))',
    ].join('\n');
    const { stdout } = await execa(HOST_PYTHON, ['-c', script, wheel]);
    const listing = JSON.parse(stdout) as { names: string[]; recorded: string[]; bad: string[]; modes: Record<string, string>; wheel: string };
    assert.deepEqual(listing.recorded, [...listing.names].sort());
    assert.deepEqual(listing.bad, []);
    assert.equal(listing.modes['run_chunks/_resources/bin/run-chunks'], '0o755');
    assert.ok(Object.entries(listing.modes).every(([name, mode]) => name.endsWith('/bin/run-chunks') || mode === '0o644'), JSON.stringify(listing.modes));
    assert.match(listing.wheel, /^Root-Is-Purelib: false$/m);
    const chunkSide = new Set(listing.names.filter((name) => name.startsWith('run_chunks/_resources/python/')).map((name) => name.split('/')[3]));
    assert.deepEqual([...chunkSide].sort(), ['run_chunks_events', 'run_chunks_launcher.py']);
    assert.ok(!listing.names.some((name) => name.includes('__pycache__') || name.endsWith('.pyc')));
  });
});

describe('build-wheel refuses what it cannot make a working wheel of', () => {
  async function refusal(args: string[]): Promise<string> {
    const outDir = path.join(work, `refused-${randomUUID()}`);
    const result = await buildWheel(args, outDir);
    assert.equal(result.exitCode, 2, result.all);
    assert.doesNotMatch(result.all ?? '', /^\s+at /m, 'a stack trace');
    assert.ok(!existsSync(outDir) || readdirSync(outDir).length === 0, 'a wheel was written');
    return result.stderr;
  }

  test('a node binary that is not one: a script, an ELF without the fuse, one already holding an application', async () => {
    const script = path.join(work, 'fake-node');
    writeFileSync(script, '#!/bin/sh\necho v20.20.0\n', { mode: 0o755 });
    assert.match(await refusal(['--node', script]), /is not a Linux \(ELF\) executable/);
    const python = realpathSync(path.join(venv, 'bin', 'python'));
    assert.match(await refusal(['--node', python]), /has no single executable application fuse/);
    const installedExecutable = (await execa(path.join(venv, 'bin', 'python'), ['-c', 'import run_chunks._executable as e; print(e.bundled_executable())'])).stdout.trim();
    assert.match(await refusal(['--node', installedExecutable]), /already holds a single executable application/);
    assert.match(await refusal(['--node', path.join(work, 'no-such-node')]), /no such file/);
  });

  test('a platform tag the binary cannot keep: another CPU, an older glibc, not Linux', async () => {
    assert.match(await refusal(['--platform', `manylinux_2_28_${OTHER_ARCH}`]), new RegExp(`is for ${OTHER_ARCH}, but .* is built for ${ARCH}`));
    assert.match(await refusal(['--platform', `manylinux2014_${ARCH}`]), /promises that the wheel runs on glibc 2\.17, but .* cannot: it needs GLIBC_2\.\d+/);
    assert.match(await refusal(['--platform', 'macosx_11_0_arm64']), /is not a Linux platform tag/);
    assert.match(await refusal(['--bogus']), /Unknown option '--bogus'/);
  });

  test('node older than 20.6', async () => {
    const script = `const { checkNodeVersion } = await import(${JSON.stringify(path.join(REPO_ROOT, 'scripts', 'wheel', 'node-binary.mjs'))});
      for (const version of ['v18.20.4', 'v20.5.1', 'v20.6.0', 'v22.1.0', 'Python 3.11']) {
        try { checkNodeVersion(version, 'node'); console.log(version, 'ok'); } catch (error) { console.log(version, error.message); }
      }`;
    const { stdout } = await execa(process.execPath, ['--input-type=module', '-e', script]);
    const lines = stdout.split('\n');
    assert.match(lines[0]!, /^v18\.20\.4 .*is Node v18\.20\.4; the wheel needs 20\.6 or newer/);
    assert.match(lines[1]!, /^v20\.5\.1 .*needs 20\.6 or newer/);
    assert.deepEqual(lines.slice(2, 4), ['v20.6.0 ok', 'v22.1.0 ok']);
    assert.match(lines[4]!, /does not look like node/);
  });
});
