import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe } from 'node:test';
import { chunkOf, FIXTURES_DIR, makeProject, readReport, runCli, startCli, VENV_PYTHON, waitUntil, writeConfig, type CliResult } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';
import { assertUsageError, configWith, projectWith } from './refusal.js';

// Hostile input: paths that name something other than a file (a FIFO that would block a read
// forever, /dev/zero that never ends, a folder, a sparse 300 MiB file), configs that JSON.parse
// reads wrongly without a word (a key twice, UTF-16), report dirs reached through a symlink.
// Each must be refused with exit 2 and one paragraph, before anything runs or is written.

// A read that blocks (a FIFO without a writer) would hang the CLI: the case fails at this limit.
const REFUSAL_TIMEOUT_MS = 20_000;

/** Like refusal.ts's snapshot, without following symlinks (some projects here hold a link to themselves). */
function snapshotNoFollow(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix))
    .sort()
    .flatMap((name) => {
      const entry = path.join(prefix, name);
      const stats = lstatSync(path.join(dir, entry));
      const line = `${entry} ${stats.isDirectory() ? 'dir' : stats.size} ${stats.mtimeMs}`;
      return stats.isDirectory() ? [line, ...snapshotNoFollow(dir, entry)] : [line];
    });
}

/** Runs the CLI in `dir` (already set up) and checks the refusal, no process and no change to the project. */
async function expectRefusedIn(r: FaultRecorder, dir: string, args: string[], fragments: readonly string[]): Promise<void> {
  const snapshot = snapshotNoFollow;
  const before = snapshot(dir);
  const started = Date.now();
  const result = await runCli(args, { cwd: dir });
  r.did(`refused after ${Date.now() - started} ms`);
  assertUsageError(r, result, dir, fragments);
  checkNoLeftovers(r, result.tag);
  assert.deepEqual(snapshot(dir), before, 'the project changed');
  r.held('nothing spawned or written');
}

function makeFifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

/** A sparse file of `bytes` (no disk used): its size is all that is seen before a read. */
function makeSparse(file: string, bytes: number): void {
  writeFileSync(file, '');
  truncateSync(file, bytes);
}

const VALID = configWith({});

describe('--config that is not a regular file', () => {
  faultCase('input', '--config is a FIFO with no writer (a read would block forever)', async (r) => {
    const dir = projectWith(VALID);
    makeFifo(path.join(dir, 'pipe.json'));
    await expectRefusedIn(r, dir, ['--config', 'pipe.json'], ['pipe.json is a named pipe (FIFO), not a config file', 'did not read it', 'Point --config at the JSON file']);
  }, { timeout: REFUSAL_TIMEOUT_MS });

  faultCase('input', '--config /dev/zero (endless character device)', async (r) => {
    const dir = projectWith(VALID);
    await expectRefusedIn(r, dir, ['--config', '/dev/zero'], ['/dev/zero is a character device, not a config file']);
  }, { timeout: REFUSAL_TIMEOUT_MS });

  faultCase('input', '--config is a sparse 65 MiB file (over the 64 MiB cap)', async (r) => {
    const dir = projectWith(VALID);
    makeSparse(path.join(dir, 'huge.json'), 65 * 1024 * 1024);
    await expectRefusedIn(r, dir, ['--config', 'huge.json'], ['huge.json is 65 MiB, more than any config (at most 64 MiB)']);
  }, { timeout: REFUSAL_TIMEOUT_MS });

  faultCase('input', '--config is a symlink to a FIFO', async (r) => {
    const dir = projectWith(VALID);
    makeFifo(path.join(dir, 'pipe'));
    symlinkSync('pipe', path.join(dir, 'link.json'));
    await expectRefusedIn(r, dir, ['--config', 'link.json'], ['link.json is a named pipe (FIFO), not a config file']);
  }, { timeout: REFUSAL_TIMEOUT_MS });
});

describe('--history that is not a regular file', () => {
  const cases: [string, (dir: string) => string, string][] = [
    ['a FIFO with no writer', (dir) => (makeFifo(path.join(dir, 'history.json')), 'history.json'), 'is a named pipe (FIFO), not a history file'],
    ['a folder', (dir) => (mkdirSync(path.join(dir, 'hist.d')), 'hist.d'), 'is a folder, not a history file'],
    ['/dev/zero', () => '/dev/zero', '/dev/zero is a character device, not a history file'],
    ['a sparse 300 MiB file (over the 256 MiB cap)', (dir) => (makeSparse(path.join(dir, 'big.json'), 300 * 1024 * 1024), 'big.json'), 'is 300 MiB, more than a history may be (at most 256 MiB)'],
  ];
  for (const [what, make, fragment] of cases) {
    faultCase('input', `--history is ${what}`, async (r) => {
      const dir = projectWith(VALID);
      const history = make(dir);
      await expectRefusedIn(r, dir, ['--history', history], [fragment, 'did not read it', 'Point --history at a regular JSON file']);
    }, { timeout: REFUSAL_TIMEOUT_MS });
  }
});

describe('configs that JSON.parse misreads silently', () => {
  faultCase('input', 'a key twice in one chunk ("workers" on lines 5 and 7)', async (r) => {
    const text = '{\n  "python": "./fake-python",\n  "chunks": [\n    {"name": "a",\n     "workers": 8,\n     "markers": "not slow",\n     "workers": 1}\n  ]\n}\n';
    const dir = projectWith(text);
    await expectRefusedIn(r, dir, [], ['chunks.config.json:7: the key chunks[0].workers appears twice in one object, on line 5 and on line 7', 'Remove one of them']);
  });

  faultCase('input', 'a top-level key twice ("python" on lines 1 and 3)', async (r) => {
    const dir = projectWith('{"python": "./fake-python",\n "chunks": [{"name": "a"}],\n "python": "/usr/bin/python3"}\n');
    await expectRefusedIn(r, dir, [], ['the key python appears twice in one object, on line 1 and on line 3']);
  });

  const utf16 = (text: string, bigEndian: boolean, bom: boolean): Buffer => {
    const little = Buffer.from(`${bom ? '\uFEFF' : ''}${text}`, 'utf16le');
    return bigEndian ? little.swap16() : little;
  };
  const utf16Cases: [string, boolean, boolean][] = [
    ['UTF-16 LE with its byte-order mark (FF FE)', false, true],
    ['UTF-16 BE with its byte-order mark (FE FF)', true, true],
    ['UTF-16 LE without a mark (a NUL after every character)', false, false],
  ];
  for (const [what, bigEndian, bom] of utf16Cases) {
    faultCase('input', `config saved as ${what}`, async (r) => {
      const dir = projectWith(undefined);
      writeFileSync(path.join(dir, 'chunks.config.json'), utf16(JSON.stringify(VALID), bigEndian, bom));
      await expectRefusedIn(r, dir, [], ['chunks.config.json is saved as UTF-16', 'Save it as UTF-8']);
    });
  }
});

describe('report dirs in the wrong place', () => {
  faultCase('input', '--report-dir is a symlink to the project', async (r) => {
    const dir = projectWith(VALID);
    symlinkSync(dir, path.join(dir, 'out'));
    await expectRefusedIn(r, dir, ['--report-dir', 'out'], ['--report-dir "out" is the current folder', 'through a symlink: it resolves to', 'must be a folder of its own']);
  });

  faultCase('input', '--report-dir is a symlink to the folder above the project', async (r) => {
    const dir = projectWith(VALID);
    symlinkSync(path.dirname(dir), path.join(dir, 'up'));
    await expectRefusedIn(r, dir, ['--report-dir', 'up'], ['--report-dir "up" holds the current folder', 'through a symlink']);
  });

  faultCase('input', '--report-dir not made yet, under a symlink to /sys (kern/new/report)', async (r) => {
    const dir = projectWith(VALID);
    symlinkSync('/sys/kernel', path.join(dir, 'kern'));
    await expectRefusedIn(r, dir, ['--report-dir', 'kern/new/report'], ['is inside /sys (/sys/kernel/new/report)']);
  });

  for (const reportDir of ['/proc/self/report', '/sys/kernel/report']) {
    faultCase('input', `--report-dir ${reportDir} (a kernel file system)`, async (r) => {
      const dir = projectWith(VALID);
      await expectRefusedIn(r, dir, ['--report-dir', reportDir], [`is inside /${reportDir.split('/')[1]}`, 'Choose a folder on a real disk']);
    });
  }
});

/** A copy of test/fixtures/input-suite (its pytest.ini has addopts = -n 2) run by `chunks`; returns it and its record folder. */
function inputSuiteProject(chunks: Record<string, unknown>[], top: Record<string, unknown> = {}): { dir: string; records: string } {
  const dir = makeProject({});
  cpSync(path.join(FIXTURES_DIR, 'input-suite'), dir, { recursive: true });
  const records = path.join(dir, 'records');
  mkdirSync(records);
  writeConfig(dir, { python: VENV_PYTHON, ...top, defaults: { env: { INPUT_RECORD_DIR: records } }, chunks });
  return { dir, records };
}

/** Which xdist worker ran each recorded test ("none": no xdist), by test name. */
function workersSeen(records: string): Map<string, string> {
  return new Map(readdirSync(records).map((name) => [name, readFileSync(path.join(records, name), 'utf8').split(' ')[0]!]));
}

describe('workers: 1 against a pytest.ini with addopts = -n 2', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['"workers": 1 with addopts = -n 2 in pytest.ini', { name: 'one', workers: 1 }, []],
    ['--no-parallel over "workers": 2, with addopts = -n 2', { name: 'one', workers: 2 }, ['--no-parallel']],
  ];
  for (const [fault, chunk, args] of cases) {
    faultCase('input', fault, async (r) => {
      const { dir, records } = inputSuiteProject([chunk]);
      const result = await runCli(args, { cwd: dir });
      const report = chunkOf(readReport(dir), 'one');
      r.outcomeOf(result.exitCode, report.status);
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      assert.equal(report.status, 'passed');
      assert.equal(report.tests?.passed, 4);
      r.held('chunk passed, 4 of 4 tests');
      const seen = workersSeen(records);
      r.did(`tests ran in: ${[...new Set(seen.values())].join(', ')}; report workers ${report.workers}`);
      assert.equal(seen.size, 4);
      assert.deepEqual([...new Set(seen.values())], ['none'], 'a test ran inside an xdist worker');
      assert.equal(new Set(readdirSync(records).map((name) => readFileSync(path.join(records, name), 'utf8').split(' ')[1])).size, 1);
      r.held('all 4 tests ran in one process, with no PYTEST_XDIST_WORKER');
      assert.equal(report.workers, 1);
      assert.ok(report.command.includes('-n') && report.command[report.command.indexOf('-n') + 1] === '0', report.commandLine);
      r.held('report.json says workers 1, and its command has -n 0');
      checkNoLeftovers(r, result.tag);
    }, { timeout: 60_000 });
  }

  faultCase('input', '"workers": 2 with the same pytest.ini (control: the fixture sees xdist)', async (r) => {
    const { dir, records } = inputSuiteProject([{ name: 'one', workers: 2 }]);
    const result = await runCli([], { cwd: dir });
    const report = chunkOf(readReport(dir), 'one');
    r.outcomeOf(result.exitCode, report.status);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const seen = new Set(workersSeen(records).values());
    r.did(`tests ran in: ${[...seen].sort().join(', ')}`);
    assert.ok(!seen.has('none') && [...seen].every((worker) => /^gw[01]$/.test(worker)), [...seen].join(','));
    assert.equal(report.workers, 2);
    r.held('tests ran in xdist workers gw0/gw1; report workers 2');
    checkNoLeftovers(r, result.tag);
  }, { timeout: 60_000 });
});

/** A project whose tests folder holds symlink loops (tests/sub/loop → tests, tests/self → tests) and a second name for one file. */
function loopProject(paths: string[]): string {
  const dir = makeProject({
    'tests/test_a.py': 'def test_a():\n    pass\n',
    'tests/sub/test_b.py': 'def test_b():\n    pass\n',
  });
  symlinkSync('..', path.join(dir, 'tests/sub/loop'));
  symlinkSync('../tests', path.join(dir, 'tests/self'));
  symlinkSync('test_a.py', path.join(dir, 'tests/test_alias.py'));
  writeConfig(dir, { python: VENV_PYTHON, chunks: [{ name: 'globbed', paths }] });
  return dir;
}

describe('path globs over symlink loops', () => {
  faultCase('input', '"paths": ["tests/**/test_*.py"] over a symlink loop (--dry-run)', async (r) => {
    const dir = loopProject(['tests/**/test_*.py']);
    const result = await runCli(['--dry-run'], { cwd: dir });
    r.outcomeOf(result.exitCode);
    assert.equal(result.exitCode, 0, result.stderr);
    const command = /^\s+\$ (.*)$/m.exec(result.stdout)?.[1] ?? '';
    r.did(`exit 0; the command names ${(command.match(/tests\/\S+\.py/g) ?? []).length} test files`);
    assert.deepEqual(command.match(/tests\/\S+\.py/g), ['tests/sub/test_b.py', 'tests/test_a.py'], result.stdout);
    r.held('the dry run finishes; each real file once (no loop copies, no second name)');
    checkNoLeftovers(r, result.tag);
  }, { timeout: 30_000 });

  faultCase('input', '"paths": ["tests/**/test_*.py", "tests/*.py", "tests/test_alias*.py"] over a symlink loop (run)', async (r) => {
    // The later patterns match test_a.py again, and under its second name (test_alias.py).
    const dir = loopProject(['tests/**/test_*.py', 'tests/*.py', 'tests/test_alias*.py']);
    const result = await runCli([], { cwd: dir });
    const chunk = chunkOf(readReport(dir), 'globbed');
    r.outcomeOf(result.exitCode, chunk.status);
    r.did(`exit ${result.exitCode}, ${chunk.status}: ${chunk.tests?.total} tests`);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.equal(chunk.status, 'passed');
    assert.deepEqual(chunk.tests, { total: 2, passed: 2, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
    r.held('2 tests, each run once');
    checkNoLeftovers(r, result.tag);
  }, { timeout: 60_000 });
});

// A python wrapper whose start-up never ends (as with a sitecustomize.py waiting on a network):
// it says so, marks that it started, and sleeps in a child, the process that would be orphaned
// if only the wrapper were killed.
const HANGING_PYTHON = '#!/bin/sh\necho "sitecustomize: waiting for the licence server"\ntouch "$(dirname "$0")/probe-started"\nsleep 600\n';

// A conftest that hangs collection: it announces itself on stderr, leaves a marker, starts a
// grandchild (sleep) and waits. Only when COLLECT_HANG is set, so the chunk itself could run.
const HANGING_CONFTEST = [
  'import os, subprocess, sys, time',
  'if os.environ.get("COLLECT_HANG"):',
  '    print("conftest: connecting to the fixture database", file=sys.stderr, flush=True)',
  '    subprocess.Popen(["sleep", "600"])',
  '    open(os.path.join(os.path.dirname(__file__), "collect-started"), "w").close()',
  '    time.sleep(600)',
  '',
].join('\n');

function hangingProbeProject(): string {
  const dir = makeProject({ 'python-wrapper': HANGING_PYTHON, 'tests/test_a.py': 'def test_a():\n    pass\n' });
  chmodSync(path.join(dir, 'python-wrapper'), 0o755);
  writeConfig(dir, { python: './python-wrapper', chunks: [{ name: 'probed', paths: ['tests'] }] });
  return dir;
}

/** A project whose collection hangs: a rest chunk (collected when the run starts) beside a marked one. */
function hangingCollectionProject(top: Record<string, unknown> = {}): string {
  const dir = makeProject({ 'conftest.py': HANGING_CONFTEST, 'tests/test_a.py': 'def test_a():\n    pass\n' });
  writeConfig(dir, {
    python: VENV_PYTHON,
    testPaths: ['tests'],
    ...top,
    defaults: { env: { COLLECT_HANG: '1' } },
    // `-p` of its own: the rest chunk cannot judge "marked" inside its own session, so "marked"
    // is collected before any chunk starts (a rest chunk alone collects as part of its own run).
    chunks: [{ name: 'marked', markers: 'not slow', args: MARKED_ARGS }, { name: 'others', rest: true }],
  });
  return dir;
}

const MARKED_ARGS = ['-p', 'no:cacheprovider'];

/** The result with run-chunks' notices (the separate collection's) taken out of stderr. */
function withoutNotices(result: CliResult): CliResult {
  assert.match(result.stderr, /^run-chunks: notice: chunk "marked" has arguments that change collection/m);
  return { ...result, stderr: result.stderr.replace(/^run-chunks: notice: .*\n/gm, '') };
}

describe('probes and collections that hang', () => {
  faultCase('input', 'the interpreter probe hangs (a python wrapper that sleeps for ever)', async (r) => {
    const dir = hangingProbeProject();
    const started = Date.now();
    const result = await runCli([], { cwd: dir });
    const chunk = chunkOf(readReport(dir), 'probed');
    r.outcomeOf(result.exitCode, chunk.status);
    r.did(`after ${Math.round((Date.now() - started) / 1000)} s: ${chunk.status}, exit ${result.exitCode}`);
    assert.equal(result.exitCode, 3, result.stdout + result.stderr);
    assert.equal(chunk.status, 'error');
    assert.match(chunk.message ?? '', /did not answer within 30 s while checking for pytest, so it was stopped with its whole process group/);
    assert.match(chunk.message ?? '', /sitecustomize: waiting for the licence server/);
    r.held('chunk error after the 30 s probe limit; the message holds the probe\'s own output');
    checkNoLeftovers(r, result.tag);
  }, { timeout: 90_000 });

  faultCase('input', 'SIGINT while the interpreter probe hangs', async (r) => {
    const dir = hangingProbeProject();
    const run = startCli([], { cwd: dir });
    await waitUntil(() => existsSync(path.join(dir, 'probe-started')), 20_000, 'the probe to start');
    const sentAt = Date.now();
    run.child.kill('SIGINT');
    const result = await run.result;
    const stoppedMs = Date.now() - sentAt;
    const chunk = chunkOf(readReport(dir), 'probed');
    r.outcomeOf(result.exitCode, chunk.status);
    r.did(`exit ${result.exitCode} ${stoppedMs} ms after SIGINT; chunk ${chunk.status}`);
    assert.equal(result.exitCode, 130, result.stdout + result.stderr);
    assert.equal(chunk.status, 'skipped');
    assert.match(chunk.message ?? '', /interrupted during its preflight check/);
    assert.ok(stoppedMs < 10_000, `took ${stoppedMs} ms`);
    r.held('exit 130 within seconds; chunk skipped, saying why');
    checkNoLeftovers(r, result.tag);
  }, { timeout: 60_000 });

  faultCase('input', 'collection for a rest chunk hangs (collectTimeout "2s")', async (r) => {
    const dir = hangingCollectionProject({ collectTimeout: '2s' });
    const result = withoutNotices(await runCli([], { cwd: dir }));
    assertUsageError(r, result, dir, [
      'took more than 2 s, so pytest was stopped with its whole process group',
      'Collecting the tests of chunk "marked"',
      'conftest: connecting to the fixture database',
      'raise "collectTimeout" in the config',
    ]);
    checkNoLeftovers(r, result.tag);
  }, { timeout: 60_000 });

  faultCase('input', 'collection for --shard 1/2 hangs (collectTimeout "2s")', async (r) => {
    const dir = hangingCollectionProject({ collectTimeout: '2s' });
    const result = await runCli(['--chunk', 'marked', '--shard', '1/2'], { cwd: dir });
    assertUsageError(r, result, dir, ['Collecting the tests of chunk "marked" took more than 2 s', 'conftest: connecting to the fixture database']);
    checkNoLeftovers(r, result.tag);
  }, { timeout: 60_000 });

  faultCase('input', 'collection for run-chunks plan hangs (collectTimeout "2s")', async (r) => {
    const dir = hangingCollectionProject({ collectTimeout: '2s' });
    const result = withoutNotices(await runCli(['plan'], { cwd: dir }));
    assertUsageError(r, result, dir, ['took more than 2 s, so pytest was stopped with its whole process group']);
    checkNoLeftovers(r, result.tag);
  }, { timeout: 60_000 });

  for (const [what, args] of [['a rest chunk\'s collection', []], ['run-chunks plan', ['plan']]] as const) {
    faultCase('input', `SIGINT during ${what} (default 60 s limit)`, async (r) => {
      const dir = hangingCollectionProject();
      const run = startCli([...args], { cwd: dir });
      await waitUntil(() => existsSync(path.join(dir, 'collect-started')), 30_000, 'the collection to start');
      const sentAt = Date.now();
      run.child.kill('SIGINT');
      const result = await run.result;
      const stoppedMs = Date.now() - sentAt;
      r.outcomeOf(result.exitCode);
      r.did(`exit ${result.exitCode} ${stoppedMs} ms after SIGINT`);
      assert.equal(result.exitCode, 130, result.stdout + result.stderr);
      assert.match(result.stderr, /^run-chunks: error: Interrupted by SIGINT while (?:collecting the tests of|listing the markers pytest knows).*: pytest was stopped with its whole process group, and no chunk ran\.$/m);
      assert.ok(stoppedMs < 10_000, `took ${stoppedMs} ms`);
      r.held('exit 130 within seconds, one line saying what was stopped');
      checkNoLeftovers(r, result.tag);
    }, { timeout: 60_000 });
  }

  faultCase('input', 'collection fails on an import error in conftest.py: pytest\'s own stderr is shown', async (r) => {
    const dir = makeProject({ 'conftest.py': 'import fixture_database_driver\n', 'tests/test_a.py': 'def test_a():\n    pass\n' });
    writeConfig(dir, { python: VENV_PYTHON, testPaths: ['tests'], chunks: [{ name: 'marked', markers: 'not slow', args: MARKED_ARGS }, { name: 'others', rest: true }] });
    const result = withoutNotices(await runCli([], { cwd: dir }));
    assertUsageError(r, result, dir, ['Collecting the tests of', 'failed (pytest exit 4)', "ModuleNotFoundError: No module named 'fixture_database_driver'"]);
    checkNoLeftovers(r, result.tag);
  }, { timeout: 60_000 });
});

// 40 MB in one line; run-chunks' own memory must not hold it (a prefixed copy of each partial
// line was made on every read: 56 s and 580 MiB before the cap).
const LONG_LINE_BYTES = 40_000_000;
const OWN_PEAK_BOUND_BYTES = 200 * 1024 * 1024;

/** How many bytes of `file` are `byte`. */
function countByte(file: string, byte: string): number {
  const data = readFileSync(file);
  const code = byte.charCodeAt(0);
  let count = 0;
  for (let index = 0; index < data.length; index += 1) if (data[index] === code) count += 1;
  return count;
}

describe('output without newlines', () => {
  faultCase('input', 'a 40 MB line without a newline under --parallel-chunks 2', async (r) => {
    const dir = makeProject({
      'tests/test_long.py': `import sys\n\ndef test_long_line():\n    sys.stdout.write("#" * ${LONG_LINE_BYTES})\n    sys.stdout.flush()\n`,
      'tests/test_quiet.py': 'def test_quiet():\n    pass\n',
    });
    writeConfig(dir, {
      python: VENV_PYTHON,
      chunks: [
        { name: 'long', paths: ['tests/test_long.py'], args: ['-s'] },
        { name: 'quiet', paths: ['tests/test_quiet.py'] },
      ],
    });
    const started = Date.now();
    const result = await runCli(['--parallel-chunks', '2'], { cwd: dir });
    const wallS = (Date.now() - started) / 1000;
    const report = readReport(dir);
    const long = chunkOf(report, 'long');
    r.outcomeOf(result.exitCode, long.status);
    const peak = report.orchestrator?.peakRssBytes ?? Number.NaN;
    r.did(`exit ${result.exitCode} after ${wallS.toFixed(1)} s; run-chunks' peak RSS ${Math.round(peak / 1024 / 1024)} MiB`);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(long.status, 'passed');
    assert.equal(chunkOf(report, 'quiet').status, 'passed');
    r.held('both chunks passed');
    assert.equal(countByte(long.logFile, '#'), LONG_LINE_BYTES);
    r.held(`output.log holds all ${LONG_LINE_BYTES} bytes of the line`);
    // pytest -s starts the line with the test's file name; the #s follow, cut into marked pieces.
    // (Not a letter: the temp folder's random name, which pytest prints, may hold any letter.)
    const shown = result.stdout.split('\n').filter((line) => /^long +│ /.test(line) && line.includes('#'));
    assert.equal(shown.reduce((sum, line) => sum + (line.length - line.replaceAll('#', '').length), 0), LONG_LINE_BYTES);
    assert.ok(shown.length > 600 && shown.every((line) => line.length <= 64 * 1024 + 40), `${shown.length} pieces`);
    r.held(`the terminal shows it in ${shown.length} prefixed pieces of at most 64 KiB, every byte`);
    assert.ok(peak < OWN_PEAK_BOUND_BYTES, `peak RSS ${peak}`);
    r.held('run-chunks\' own peak RSS under 200 MiB');
    checkNoLeftovers(r, result.tag);
  }, { timeout: 180_000 });
});

// A test that deletes a folder (the whole report dir, or its own chunk's folder) mid-run, then
// more tests run, one of which fails: that failure must still be reported.
const DELETING_TESTS = [
  'import os, shutil, time',
  '',
  'def test_first():',
  '    # Long enough for run-chunks to have opened the events file, unless told to delete at once.',
  '    time.sleep(float(os.environ.get("DELETE_AFTER_S", "0")))',
  '',
  'def test_deletes_the_folder():',
  '    shutil.rmtree(os.environ["TARGET_DIR"])',
  '',
  'def test_after_the_deletion_fails():',
  '    assert 1 + 1 == 3',
  '',
].join('\n');

function deletingProject(target: 'report dir' | 'chunk folder', deleteAfterS: number): string {
  const dir = makeProject({ 'tests/test_delete.py': DELETING_TESTS, 'tests/test_other.py': 'def test_other():\n    pass\n' });
  const reportDir = path.join(dir, '.run-chunks/report');
  writeConfig(dir, {
    python: VENV_PYTHON,
    chunks: [
      { name: 'deleter', paths: ['tests/test_delete.py'], env: { TARGET_DIR: target === 'report dir' ? reportDir : path.join(reportDir, 'deleter'), DELETE_AFTER_S: String(deleteAfterS) } },
      { name: 'after', paths: ['tests/test_other.py'] },
    ],
  });
  return dir;
}

describe('a test deletes the report dir while its chunk runs', () => {
  // Whether run-chunks had opened the events file before the deletion depends on timing (it polls
  // every 250 ms): after 1 s it has; at once it may not have. Either way the report must agree with itself.
  const cases: ['report dir' | 'chunk folder', number][] = [
    ['report dir', 1],
    ['chunk folder', 0],
  ];
  for (const [target, deleteAfterS] of cases) {
    faultCase('input', `a test rm -rf's the ${target} mid-chunk (${deleteAfterS === 0 ? 'at once' : 'after 1 s'}), then a test fails`, async (r) => {
      const dir = deletingProject(target, deleteAfterS);
      const result = await runCli([], { cwd: dir });
      const reportDir = path.join(dir, '.run-chunks/report');
      const report = readReport(dir);
      const deleter = chunkOf(report, 'deleter');
      r.outcomeOf(result.exitCode, deleter.status);
      r.did(`exit ${result.exitCode}; ${deleter.status}, tests from ${deleter.testsSource}: ${JSON.stringify(deleter.tests)}`);
      assert.equal(result.exitCode, 1, result.stdout + result.stderr);
      assert.doesNotMatch(result.stderr, /internal error/);
      assert.equal(deleter.status, 'failed');
      assert.deepEqual(deleter.tests, { total: 3, passed: 2, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
      if (deleteAfterS > 0) assert.equal(deleter.testsSource, 'events');
      const eventsSentence =
        deleter.testsSource === 'events'
          ? 'its test events were still read'
          : 'its test events were lost too, so its test counts come from the junit.xml pytest wrote at its end';
      r.held('the failure after the deletion is reported: failed, 2 passed 1 failed');
      const warning = deleter.warnings.find((text) => text.includes('was deleted while it ran')) ?? '';
      assert.match(warning, /its output\.log was copied back whole from the file run-chunks had open, but its memory samples \(samples\.jsonl\) are lost/);
      const log = readFileSync(path.join(reportDir, 'deleter/output.log'), 'utf8');
      assert.match(log, /test_after_the_deletion_fails/);
      assert.match(log, /assert \(1 \+ 1\) == 3|assert 2 == 3/);
      r.held('output.log restored whole: it shows the failure that came after the deletion');
      assert.ok(warning.includes(eventsSentence), warning);
      assert.match(result.stderr + result.stdout, /deleter: its report folder .* was deleted while it ran/);
      assert.equal(deleter.memory?.verdict, 'unknown');
      r.held('a warning (report and terminal) says what was lost and kept; leak verdict unknown, saying why');
      assert.equal(chunkOf(report, 'after').status, 'passed');
      for (const file of ['report.json', 'junit.xml', 'report.html', 'deleter/output.log', 'after/output.log']) assert.ok(existsSync(path.join(reportDir, file)), file);
      r.held('the next chunk ran; report.json, junit.xml, report.html written into the remade dir');
      checkNoLeftovers(r, result.tag);
    }, { timeout: 60_000 });
  }
});
