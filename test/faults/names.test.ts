import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe } from 'node:test';
import { makeSuiteProject, readReport, runCli, VENV_PYTHON, writeConfig } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase } from '../helpers/fault-case.js';
import { configWith, expectRefused, projectWith, snapshot, SPAWN_MARKER } from './refusal.js';

// Chunk names become folders of the report dir, and every other string of a config ends up in a
// command line. Names are held to a conservative pattern (letters, digits, "_", "-", "."; first a
// letter or digit; at most 64 characters), so none can leave the report dir or carry a terminal
// escape; the other strings may hold anything, because commands are argv arrays and never pass
// through a shell, and --dry-run prints them quoted so that pasting the line into a shell runs
// exactly that argv.

const ALLOWED = 'use letters, digits, "_", "-" and "." only, starting with a letter or digit';

/** stderr holds no control character but newline: a name's ESC or NUL is shown escaped. */
function assertNoControlCharacters(stderr: string): void {
  assert.doesNotMatch(stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, `raw control character in ${JSON.stringify(stderr)}`);
}

describe('chunk names that could reach a path or a terminal', () => {
  const refusedNames: [fault: string, name: string, shown: string][] = [
    ['name "../../etc" (climbs out of the report dir)', '../../etc', '"../../etc"'],
    ['name ".."', '..', '".."'],
    ['name "."', '.', '"."'],
    ['name "/abs/path"', '/abs/path', '"/abs/path"'],
    ['name "a/b" (a sub-folder)', 'a/b', '"a/b"'],
    ['name "a\\b" (a Windows separator)', 'a\\b', '"a\\\\b"'],
    ['name with NUL', 'a\u0000b', '"a\\u0000b"'],
    ['name with a newline', 'a\nb', '"a\\nb"'],
    ['name with a tab', 'a\tb', '"a\\tb"'],
    ['name with ESC (a terminal colour escape)', '\u001b[31mred', '"\\u001b[31mred"'],
    ['name with a bidi override (U+202E)', 'abc\u202Etxt.exe', '"abc\\u202etxt.exe"'],
    ['unicode name "tëst"', 'tëst', '"tëst"'],
    ['unicode name "测试"', '测试', '"测试"'],
    ['name "$(touch pwned)"', '$(touch pwned)', '"$(touch pwned)"'],
    ['name with backticks', '`touch pwned`', '"`touch pwned`"'],
    ['name with ";"', 'a;touch pwned', '"a;touch pwned"'],
    ['name with "|"', 'a|touch pwned', '"a|touch pwned"'],
    ['name with "&&"', 'a&&touch pwned', '"a&&touch pwned"'],
    ['name starting with "-" (read as a flag)', '-rf', '"-rf"'],
  ];
  for (const [fault, name, shown] of refusedNames) {
    faultCase('names', fault, async (r) => {
      const result = await expectRefused(r, configWith({ name }), [], [`chunks[0].name: the string ${shown} is not allowed: ${ALLOWED}.`]);
      assertNoControlCharacters(result.stderr);
      r.held('name shown escaped; allowed characters named');
    });
  }

  faultCase('names', 'name of 300 characters', async (r) => {
    await expectRefused(r, configWith({ name: 'a'.repeat(300) }), [], ['chunks[0].name: must be at most 64 characters long, got 300.']);
  });

  faultCase('names', 'empty name', async (r) => {
    await expectRefused(r, configWith({ name: '' }), [], ['chunks[0].name: must not be empty.']);
  });

  faultCase('names', 'name "report.json" (would replace the run\'s report)', async (r) => {
    await expectRefused(r, configWith({ name: 'report.json' }), [], ['chunks[0].name: "report.json" ends like a file the report dir keeps']);
  });

  faultCase('names', 'description with ESC and a newline (printed by --list)', async (r) => {
    const result = await expectRefused(r, configWith({ description: 'ok\u001b[2J\nFAKE LINE' }), ['--list'], [
      'chunks[0].description: the string "ok\\u001b[2J\\nFAKE LINE" is not allowed: it must be one line, without control characters.',
    ]);
    assertNoControlCharacters(result.stderr);
  });

  faultCase('names', '--chunk "$(touch pwned)", and --chunk with ESC (run and matrix)', async (r) => {
    await expectRefused(r, configWith({}), ['--chunk', '$(touch pwned)'], ['"$(touch pwned)" cannot be a chunk name: names use letters, digits']);
    const result = await expectRefused(r, configWith({}), ['--chunk', '\u001b[2Jx'], ['"\\u001b[2Jx" cannot be a chunk name']);
    assertNoControlCharacters(result.stderr);
    const matrix = await expectRefused(r, configWith({}), ['matrix', '--chunk', '\u001b[2Jx'], ['"\\u001b[2Jx" cannot be a chunk name']);
    assertNoControlCharacters(matrix.stderr);
    r.held('the argument is shown escaped');
  });

  faultCase('names', 'allowed name "py3.11_slow-v2": its folder is inside the report dir', async (r) => {
    const dir = projectWith(configWith({ name: 'py3.11_slow-v2' }));
    const before = new Set(snapshot(dir).map((entry) => entry.split(' ')[0]));
    const result = await runCli(['--report-dir', 'reports'], { cwd: dir });
    r.outcomeOf(result.exitCode);
    r.did(`exit ${result.exitCode}: the chunk ran (the fake python passes no tests)`);
    assert.ok(readdirSync(dir).includes(SPAWN_MARKER), 'the chunk never ran');
    assert.ok(existsSync(path.join(dir, 'reports', 'py3.11_slow-v2')));
    const added = snapshot(dir)
      .map((entry) => entry.split(' ')[0]!)
      .filter((entry) => !before.has(entry) && entry !== SPAWN_MARKER);
    assert.deepEqual(added.filter((entry) => entry !== 'reports' && !entry.startsWith(`reports${path.sep}`)), []);
    r.held('everything written is under the report dir');
    checkNoLeftovers(r, result.tag);
  });
});

// --- Shell metacharacters in values that reach the chunk's command ---

/** Shell syntax that creates `pwned` in the shell's folder, or `pwned-abs` in the project, if anything interprets it. */
function injection(projectDir: string): string {
  return [
    '$(touch pwned)',
    '`touch pwned`',
    '; touch pwned',
    '| touch pwned',
    '&& touch pwned',
    `$(touch ${projectDir}/pwned-abs)`,
    "'; touch pwned; '",
    '"; touch pwned; "',
    '\ntouch pwned\n',
    '$HOME ${PATH} ~ !! #',
  ].join(' ');
}

/** A test that records the argv pytest got and the INJECT variable, for the run to compare. */
const ECHO_TEST = `import json, os, sys


def test_echo():
    target = os.path.join(os.environ["FIXTURE_SIGNAL_DIR"], os.environ["ECHO_FILE"])
    with open(target, "w") as handle:
        json.dump({"argv": sys.argv[1:], "inject": os.environ.get("INJECT")}, handle)
`;

/** A folder name a shell would act on: no "/" (so relative touches only) and no glob characters. */
const ODD_FOLDER = 'odd $(touch pwned) ;touch pwned|touch pwned&&touch pwned `touch pwned`';

interface Echo {
  argv: string[];
  inject: string | null;
}

/** The pwned files anywhere under `dir`. */
function findPwned(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((entry) => path.basename(entry).startsWith('pwned'));
}

/** --dry-run's command line of chunk `name` (its env additions included), as printed. */
function dryRunCommand(stdout: string, name: string): string {
  const block = stdout.split('\n\n').find((candidate) => candidate.startsWith(`${name}\n`));
  assert.ok(block, `no block for ${name} in:\n${stdout}`);
  const command = /\n {2}\$ ([\s\S]*)$/.exec(block)?.[1];
  assert.ok(command !== undefined, block);
  return command;
}

describe('shell metacharacters in markers, keyword, args, paths, env and -- arguments', () => {
  const projects: string[] = [];
  after(() => {
    for (const dir of projects) rmSync(dir, { recursive: true, force: true });
  });

  /** The fixture suite plus the echo test, a test folder with a shell-active name, and chunks carrying `inject` everywhere. */
  function injectionProject(): { dir: string; signalDir: string; inject: string } {
    // The injection names the project's own path, known only once the project exists.
    const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'placeholder' }] });
    const inject = injection(dir);
    writeConfig(dir, {
      python: VENV_PYTHON,
      defaults: { workers: 1, timeout: '2m', env: { FIXTURE_SIGNAL_DIR: signalDir, INJECT: inject } },
      chunks: [
        { name: 'echo', paths: ['tests/test_echo.py', ODD_FOLDER], args: ['--deselect', `tests/test_echo.py::${inject}`], env: { ECHO_FILE: 'echo.json' } },
        { name: 'markers', paths: ['tests/test_first.py'], markers: `first or (${inject})`, required: false },
        { name: 'keyword', paths: ['tests/test_first.py'], keyword: `quick or ${inject}`, required: false },
      ],
    });
    projects.push(dir);
    writeFileSync(path.join(dir, 'tests', 'test_echo.py'), ECHO_TEST);
    mkdirSync(path.join(dir, ODD_FOLDER));
    writeFileSync(path.join(dir, ODD_FOLDER, 'test_odd.py'), 'def test_odd():\n    assert True\n');
    return { dir, signalDir, inject };
  }

  faultCase(
    'names',
    'shell metacharacters in every string that reaches a command: run for real',
    async (r) => {
      const { dir, signalDir, inject } = injectionProject();
      const result = await runCli(['--', '--deselect', `tests/test_first.py::${inject}`], { cwd: dir });
      r.outcomeOf(result.exitCode);
      const report = readReport(dir);
      const statuses = report.chunks.map((chunk) => `${chunk.name} ${chunk.status}`).join(', ');
      r.did(`exit ${result.exitCode}: ${statuses} (pytest itself rejects the odd -m/-k expressions)`);
      assert.deepEqual(findPwned(dir), []);
      assert.equal(existsSync(path.join(dir, 'pwned-abs')), false);
      r.held('no pwned file: nothing was interpreted by a shell');
      const echo = JSON.parse(readFileSync(path.join(signalDir, 'echo.json'), 'utf8')) as Echo;
      assert.equal(echo.inject, inject);
      assert.ok(echo.argv.includes(ODD_FOLDER) && echo.argv.includes(`tests/test_echo.py::${inject}`), JSON.stringify(echo.argv));
      assert.deepEqual(echo.argv.slice(-2), ['--deselect', `tests/test_first.py::${inject}`]);
      r.held('pytest got each value byte for byte (path, args, -- args, env)');
      assert.equal(report.chunks.find((chunk) => chunk.name === 'echo')?.status, 'passed');
      const markersLog = readFileSync(path.join(dir, '.run-chunks/report/markers/output.log'), 'utf8');
      assert.ok(markersLog.includes(`first or (${inject.slice(0, 20)}`), markersLog);
      r.held('the -m expression reached pytest verbatim');
      checkNoLeftovers(r, result.tag);
    },
    { timeout: 120_000 },
  );

  faultCase(
    'names',
    'shell metacharacters: --dry-run\'s command line pasted into sh -c',
    async (r) => {
      const { dir, signalDir, inject } = injectionProject();
      const passthrough = ['--deselect', `tests/test_first.py::${inject}`];
      const dryRun = await runCli(['--dry-run', '--', ...passthrough], { cwd: dir });
      r.outcomeOf(dryRun.exitCode);
      assert.equal(dryRun.exitCode, 0, dryRun.stderr);
      const command = dryRunCommand(dryRun.stdout, 'echo');
      r.did('exit 0: prints the command line, env included, single-quoted');
      // The printed command writes its JUnit file and events where the run would have.
      mkdirSync(path.join(dir, '.run-chunks/report/echo'), { recursive: true });
      const shell = spawnSync('sh', ['-c', command], { cwd: dir, encoding: 'utf8', env: { ...process.env, FIXTURE_SIGNAL_DIR: signalDir } });
      assert.equal(shell.status, 0, `${shell.stdout}\n${shell.stderr}`);
      assert.deepEqual(findPwned(dir), []);
      assert.equal(existsSync(path.join(dir, 'pwned-abs')), false);
      r.held('sh -c of the printed line creates no pwned file');
      const echo = JSON.parse(readFileSync(path.join(signalDir, 'echo.json'), 'utf8')) as Echo;
      assert.equal(echo.inject, inject);
      assert.deepEqual(echo.argv.slice(-2), passthrough);
      assert.ok(echo.argv.includes(ODD_FOLDER));
      r.held('the shell rebuilt the exact argv and env');
      checkNoLeftovers(r, dryRun.tag);
    },
    { timeout: 120_000 },
  );
});
