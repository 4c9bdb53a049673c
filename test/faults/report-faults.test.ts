import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI_PATH, makeProject, makeSuiteProject, readAnnounced, runCli, startCli, TAG_VARIABLE, VENV_PYTHON, waitUntil, writeConfig, type CliResult } from '../helpers/cli.js';
import { annotationsByTest, FAILURE_SUITE_EXPECTED, FAILURE_SUITE_FILES } from '../helpers/failure-suite.js';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';

// The report cannot be written: a report dir that is no folder or is read-only (found before any
// chunk starts, exit 2), and a disk or file-size limit that runs out while the report is written
// (exit 3, the earlier report kept whole). We run as root, where chmod stops no write, so the
// faults are a file in the path, a read-only tmpfs, a full tmpfs and `ulimit -f`.

const CASE_TIMEOUT_MS = 120_000;

/** Why tmpfs cannot be mounted here (not root, no CAP_SYS_ADMIN), or undefined when it can. */
function findMountProblem(): string | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-mount-probe-'));
  try {
    mountTmpfs(dir, 'size=64k');
    unmount(dir);
    return undefined;
  } catch (error) {
    return `mount -t tmpfs failed here, so the case cannot be set up (${String(error).split('\n')[0]})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function mountTmpfs(dir: string, options: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
}

/** Unmounts `dir`; lazily when something still holds it, so that no mount is ever left behind. */
function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  }
}

/** Runs `body` with a tmpfs mounted (with `options`) at a new folder `name` in `parent`; always unmounts. */
async function withTmpfs(parent: string, name: string, options: string, body: (mountPoint: string) => Promise<void>): Promise<void> {
  const mountPoint = path.join(parent, name);
  mkdirSync(mountPoint);
  mountTmpfs(mountPoint, options);
  try {
    await body(mountPoint);
  } finally {
    unmount(mountPoint);
  }
}

const MOUNT_PROBLEM = findMountProblem();

/** A fault case that needs `mount -t tmpfs`: skipped, with the reason, where mounting is not permitted. */
function faultCaseWithMount(fault: string, body: (recorder: FaultRecorder) => Promise<void>): void {
  faultCase('report', fault, body, MOUNT_PROBLEM === undefined ? { timeout: CASE_TIMEOUT_MS } : { skip: MOUNT_PROBLEM });
}

/** Fills the filesystem holding `dir` to the last byte with a ballast file. */
function fillDisk(dir: string): void {
  const fd = openSync(path.join(dir, 'ballast'), 'a');
  try {
    for (const size of [65_536, 4096, 512, 1]) {
      const block = Buffer.alloc(size, 'x');
      for (;;) {
        try {
          writeSync(fd, block);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A test that waits until the case opens its gate, so that the disk can be filled while the
 * chunk runs. Written into the project (not the shared fixture suite) and run by path.
 */
const GATE_TEST = `import os
import time


def test_waits_for_the_gate():
    directory = os.environ["FIXTURE_SIGNAL_DIR"]
    open(os.path.join(directory, "gate-waiting"), "w").close()
    while not os.path.exists(os.path.join(directory, "gate-open")):
        time.sleep(0.05)
`;

/** Runs the built CLI under a file-size limit (RLIMIT_FSIZE), tagged like startCli's runs. */
function runCliWithFileSizeLimit(args: string[], cwd: string, limitBytes: number): Promise<CliResult> {
  const tag = randomUUID();
  // POSIX `ulimit -f` counts 512-byte blocks (dash, and bash run as sh).
  const script = 'ulimit -f "$1"; shift; exec "$@"';
  const { FORCE_COLOR: _forceColor, ...inherited } = process.env;
  const child = spawn('sh', ['-c', script, 'sh', String(limitBytes / 512), process.execPath, CLI_PATH, ...args], {
    cwd,
    env: { ...inherited, NO_COLOR: '1', [TAG_VARIABLE]: tag },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve) => child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr, tag })));
}

/**
 * run-chunks' own error lines: exactly one paragraph, naming each of `mentions` (`named` says
 * what they are, for the record), and no stack trace anywhere in the output.
 */
function checkOneParagraphError(recorder: FaultRecorder, result: CliResult, named: string, mentions: readonly string[]): void {
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('run-chunks: error:'));
  assert.equal(errors.length, 1, `one error paragraph expected:\n${result.stderr}`);
  const error = errors[0]!;
  for (const mention of mentions) assert.ok(error.includes(mention), `the error names ${mention}: ${error}`);
  assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
  recorder.held(`one error paragraph naming ${named}; no stack trace`);
}

/** The status and message the terminal reporter printed when chunk `name` ended. */
function chunkEnding(stdout: string, name: string): { status: string; message: string } | undefined {
  const match = new RegExp(`^\\S+ ${name} ([a-z-]+)(?: in \\S+)?: (.*)$`, 'm').exec(stdout);
  return match ? { status: match[1]!, message: match[2]! } : undefined;
}

/** Temp files a writer left beside the report files (write-then-rename leaves none when it fails). */
function strayTempFiles(reportDir: string): string[] {
  return readdirSync(reportDir).filter((name) => /^(report\.json|report\.html|junit\.xml)\../.test(name) || name.endsWith('.tmp') || name.startsWith('.run-chunks-probe'));
}

faultCase(
  'report',
  '--report-dir runs through a regular file (ENOTDIR)',
  async (r) => {
    const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'victim', markers: 'victim', timeout: '20s' }] });
    writeFileSync(path.join(dir, 'a-file'), '');
    const reportDir = path.join(dir, 'a-file', 'report');
    const result = await runCli(['--report-dir', reportDir], { cwd: dir });
    r.outcomeOf(result.exitCode);
    r.did('refused before starting any chunk: "Cannot write to the report dir …: not a directory (ENOTDIR)", exit 2');
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    r.held('exit code 2 (usage/configuration error: nothing ran)');
    checkOneParagraphError(r, result, 'the dir, ENOTDIR and --report-dir', [reportDir, 'not a directory (ENOTDIR)', '--report-dir', 'Nothing ran']);
    assert.equal(readAnnounced(signalDir, 'victim'), undefined, 'the chunk never started');
    assert.doesNotMatch(result.stdout, /test session starts/);
    assert.equal(existsSync(path.join(dir, '.run-chunks', 'history.json')), false, 'no history recorded');
    r.held('no chunk started, no history recorded');
    checkNoLeftovers(r, result.tag);
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCaseWithMount('--report-dir on a read-only filesystem (EROFS)', async (r) => {
  const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'victim', markers: 'victim', timeout: '20s' }] });
  await withTmpfs(dir, 'read-only', 'ro,size=1m', async (reportDir) => {
    const result = await runCli(['--report-dir', reportDir], { cwd: dir });
    r.outcomeOf(result.exitCode);
    r.did('refused before starting any chunk: its probe file write got EROFS, exit 2');
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    r.held('exit code 2 (nothing ran)');
    checkOneParagraphError(r, result, 'the dir, EROFS and --report-dir', [reportDir, 'read-only file system (EROFS)', '--report-dir']);
    assert.equal(readAnnounced(signalDir, 'victim'), undefined, 'the chunk never started');
    assert.doesNotMatch(result.stdout, /test session starts/);
    r.held('no chunk started');
    checkNoLeftovers(r, result.tag);
  });
});

faultCaseWithMount('the disk fills up while the chunk runs and the report is written (ENOSPC)', async (r) => {
  const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'gated', paths: ['tests/test_gate.py'], timeout: '60s' }] });
  writeFileSync(path.join(dir, 'tests', 'test_gate.py'), GATE_TEST);
  const gate = path.join(signalDir, 'gate-open');
  await withTmpfs(dir, 'small-disk', 'size=256k', async (disk) => {
    const reportDir = path.join(disk, 'report');
    // An earlier run leaves a complete report in the dir; it must survive the failed one.
    writeFileSync(gate, '');
    const earlier = await runCli(['--report-dir', reportDir], { cwd: dir });
    assert.equal(earlier.exitCode, 0, earlier.stdout + earlier.stderr);
    const earlierJson = readFileSync(path.join(reportDir, 'report.json'), 'utf8');
    rmSync(gate);
    rmSync(path.join(signalDir, 'gate-waiting'));

    const run = startCli(['--report-dir', reportDir], { cwd: dir });
    const log = path.join(reportDir, 'gated', 'output.log');
    await waitUntil(() => readAnnounced(signalDir, 'gate-waiting') !== undefined, 30_000, 'the chunk to start its test');
    // The log is written by run-chunks as the output arrives: let it hold the start before the disk is full.
    await waitUntil(() => readFileSync(log, 'utf8').includes('collected 1 item'), 10_000, 'the log to hold the start of the output');
    fillDisk(disk);
    writeFileSync(gate, '');
    const result = await run.result;
    const ending = chunkEnding(result.stdout, 'gated');
    r.outcomeOf(result.exitCode, ending?.status);
    r.did(`chunk ended ${ending?.status}: ${ending?.message}`);
    r.did('then "Could not write the report: …/report.json: no space left on device (ENOSPC); …", exit 3');
    assert.equal(result.exitCode, 3, result.stdout + result.stderr);
    assert.equal(result.signal, null);
    r.held('exit code 3 (the run is not complete without its report)');
    checkOneParagraphError(r, result, 'report.json, ENOSPC and the fix', [path.join(reportDir, 'report.json'), 'no space left on device (ENOSPC)', 'Free space', '--report-dir']);
    assert.equal(readFileSync(path.join(reportDir, '.previous', 'report.json'), 'utf8'), earlierJson);
    assert.equal(JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8')).status, 'running');
    r.held("the earlier run's report.json is kept whole in .previous/; report.json still says the run did not finish");
    assert.deepEqual(strayTempFiles(reportDir), []);
    r.held('no temp file left in the report dir');
    assert.match(readFileSync(log, 'utf8'), /test session starts[\s\S]*collected 1 item/);
    assert.ok(existsSync(path.join(reportDir, 'gated', 'events.jsonl')), 'the events file is kept');
    r.held("the chunk's output.log and events.jsonl are kept as far as the disk allowed");
    checkNoLeftovers(r, result.tag);
  });
});

faultCase(
  'report',
  'report.json is larger than the file-size limit (ulimit -f: SIGXFSZ, EFBIG)',
  async (r) => {
    const { dir } = makeSuiteProject({ chunks: [{ name: 'quick', markers: 'first' }] });
    const earlier = await runCli([], { cwd: dir });
    assert.equal(earlier.exitCode, 0, earlier.stdout + earlier.stderr);
    const reportDir = path.join(dir, '.run-chunks', 'report');
    const reportFile = path.join(reportDir, 'report.json');
    const earlierJson = readFileSync(reportFile, 'utf8');
    // Below report.json (and report.html), above every chunk file and junit.xml.
    const limitBytes = 512 * (Math.floor(statSync(reportFile).size / 512) - 1);

    const result = await runCliWithFileSizeLimit([], dir, limitBytes);
    r.outcomeOf(result.exitCode, chunkEnding(result.stdout, 'quick')?.status);
    r.did('caught SIGXFSZ, got EFBIG: "Could not write the report: …/report.json: file too large (EFBIG)", exit 3');
    assert.equal(result.signal, null, 'not killed by SIGXFSZ');
    assert.equal(result.exitCode, 3, result.stdout + result.stderr);
    assert.match(result.stdout, /Run passed/);
    r.held('not killed by SIGXFSZ; exit code 3 although the tests passed');
    checkOneParagraphError(r, result, 'report.json, EFBIG and the fix', [reportFile, 'file too large (EFBIG)', 'ulimit -f']);
    assert.equal(readFileSync(path.join(reportDir, '.previous', 'report.json'), 'utf8'), earlierJson, 'the earlier report.json, kept whole');
    assert.equal(JSON.parse(readFileSync(reportFile, 'utf8')).status, 'running', 'report.json is the in-progress marker, not a truncated new report');
    r.held('report.json is not replaced by the first bytes of the new one: it still says the run did not finish; the earlier one is whole in .previous/');
    assert.deepEqual(strayTempFiles(reportDir), []);
    r.held('no temp file left in the report dir');
    assert.match(readFileSync(path.join(reportDir, 'quick', 'output.log'), 'utf8'), /3 passed/);
    r.held("the chunk's output.log is complete");
    checkNoLeftovers(r, result.tag);
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCase(
  'report',
  'on GitHub Actions, tests fail inside a library (a traceback of several KB), a helper module and a fixture',
  async (r) => {
    const dir = makeProject(FAILURE_SUITE_FILES);
    writeConfig(dir, { python: VENV_PYTHON, chunks: [{ name: 'where', paths: ['tests'] }] });
    const result = await runCli([], { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md') } });
    r.outcomeOf(result.exitCode, chunkEnding(result.stdout, 'where')?.status);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    const annotations = annotationsByTest(result.stdout);
    const deep = annotations.get('tests/test_where.py::test_deep_in_the_library');
    r.did(`annotated the library failure at ${deep?.properties.file}:${deep?.properties.line}, its message starting "${deep?.message.split('\n')[0]?.slice(0, 40)}…"`);
    for (const expected of FAILURE_SUITE_EXPECTED) {
      const annotation = annotations.get(`tests/test_where.py::${expected.name}`);
      assert.ok(annotation, `${expected.name} has an annotation`);
      assert.equal(annotation.properties.file, 'tests/test_where.py', expected.name);
      assert.equal(annotation.properties.line, String(expected.failed), `${expected.name}: the line it failed on, not its def (line ${expected.defined})`);
    }
    r.held("each annotation is on the line that failed in the test's file (the assert, the helper's call, the fixture's raise, the innermost frame before json), not on the test's def");
    for (const expected of FAILURE_SUITE_EXPECTED) {
      const annotation = annotations.get(`tests/test_where.py::${expected.name}`)!;
      assert.ok(annotation.message.startsWith(expected.messageStart), `${expected.name}: ${annotation.message.slice(0, 120)}`);
      assert.ok(annotation.message.length <= 2_000, expected.name);
    }
    r.held('each message starts with the exception (assertion explanation included), the traceback clipped after it, 2,000 characters at most');
    checkNoLeftovers(r, result.tag);
    rmSync(dir, { recursive: true, force: true });
  },
  { timeout: CASE_TIMEOUT_MS },
);
