// The fault suite, the run history: runs that measured nothing a forecast can use, and runs of
// one chunk, must not cost the others their history or invent a memory regression.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { chunkOf, makeProject, readReport, runCli, startCli, VENV_PYTHON, waitUntil, writeConfig } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase } from '../helpers/fault-case.js';

const CASE_TIMEOUT_MS = 120_000;
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// One test whose behaviour mode.txt picks, so that consecutive runs of the same chunk differ:
// pytest's own KeyboardInterrupt (pytest exits 2: chunk status error), a hang for run-chunks' Ctrl-C,
// or 150 MiB held while it runs (the real peak).
const WORK_TEST = `import pathlib, time

HERE = pathlib.Path(__file__).parent


def test_work():
    mode = (HERE / "mode.txt").read_text().strip()
    if mode == "keyboard-interrupt":
        raise KeyboardInterrupt
    if mode == "hang":
        (HERE / "hanging").write_text("1")
        time.sleep(60)
    data = b"\\x01" * (150 * 1024 * 1024)
    time.sleep(1.0)
    assert len(data) > 0
`;

function project(chunks: string[]): string {
  const files: Record<string, string> = {};
  for (const name of chunks) {
    files[`tests/${name}/test_${name}.py`] = WORK_TEST;
    files[`tests/${name}/mode.txt`] = 'work';
  }
  const dir = makeProject(files);
  dirs.push(dir);
  writeConfig(dir, { python: VENV_PYTHON, testPaths: ['tests'], defaults: { sampleInterval: '100ms' }, chunks: chunks.map((name) => ({ name, paths: [`tests/${name}`] })) });
  return dir;
}

function setMode(dir: string, chunk: string, mode: string): void {
  writeFileSync(path.join(dir, 'tests', chunk, 'mode.txt'), mode);
}

faultCase(
  'report',
  'the history holds a run where pytest was interrupted (KeyboardInterrupt) and one stopped by Ctrl-C: neither is a baseline',
  async (r) => {
    const dir = project(['work']);
    setMode(dir, 'work', 'keyboard-interrupt');
    const broken = await runCli([], { cwd: dir });
    const brokenChunk = chunkOf(readReport(dir), 'work');
    assert.equal(brokenChunk.status, 'error', broken.stdout + broken.stderr);
    checkNoLeftovers(r, broken.tag);

    setMode(dir, 'work', 'hang');
    const run = startCli([], { cwd: dir });
    await waitUntil(() => existsSync(path.join(dir, 'tests', 'work', 'hanging')), 30_000, 'the test to hang');
    run.child.kill('SIGINT');
    const interrupted = await run.result;
    assert.equal(interrupted.exitCode, 130, interrupted.stdout + interrupted.stderr);
    assert.equal(chunkOf(readReport(dir), 'work').status, 'interrupted');
    checkNoLeftovers(r, interrupted.tag);
    r.did('recorded a pytest KeyboardInterrupt (status error, exit 3) and a Ctrl-C (interrupted, exit 130), both with small peaks');

    setMode(dir, 'work', 'work');
    for (let n = 0; n < 3; n += 1) {
      const result = await runCli([], { cwd: dir });
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      checkNoLeftovers(r, result.tag);
    }
    const history = JSON.parse(readFileSync(path.join(dir, '.run-chunks', 'history.json'), 'utf8')) as { runs: { chunks: { status: string }[] }[] };
    assert.deepEqual(
      history.runs.map((entry) => entry.chunks[0]!.status),
      ['error', 'interrupted', 'passed', 'passed', 'passed'],
    );
    r.held('all five runs are in the history, the error and the interrupted one included');

    const printed = await runCli(['history'], { cwd: dir });
    r.outcomeOf(printed.exitCode, 'passed');
    assert.equal(printed.exitCode, 0, printed.stderr);
    assert.doesNotMatch(printed.stdout, /REGRESSION|Memory regression/, printed.stdout);
    r.held('`run-chunks history` flags no memory regression: the three passed runs are the only baselines');
    const row = printed.stdout.split('\n').find((line) => /│ work +│/.test(line));
    assert.ok(row !== undefined && /│ work +│ +3 │/.test(row), printed.stdout);
    r.held('the chunk counts 3 runs, not 4 or 5');
    assert.match(printed.stdout, /Runs not counted \(.*\): work 2\./);
    r.held('and says that 2 runs of it are not counted');
    r.did(`history row: ${row!.replace(/\s+/g, ' ').trim()}`);
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCase(
  'report',
  'ten runs of one chunk (--chunk a) after a run of every chunk: the other chunk keeps its history',
  async (r) => {
    const dir = project(['a', 'b']);
    const all = await runCli([], { cwd: dir });
    assert.equal(all.exitCode, 0, all.stdout + all.stderr);
    for (let n = 0; n < 10; n += 1) {
      const only = await runCli(['--chunk', 'a'], { cwd: dir });
      assert.equal(only.exitCode, 0, only.stdout + only.stderr);
    }
    r.did('recorded one run of a and b, then ten runs of a alone');
    const printed = await runCli(['history'], { cwd: dir });
    r.outcomeOf(printed.exitCode, 'passed');
    assert.equal(printed.exitCode, 0, printed.stderr);
    const rows = printed.stdout.split('\n');
    assert.ok(rows.some((line) => /│ b +│/.test(line)), printed.stdout);
    r.held('`run-chunks history` still lists b');

    const plan = await runCli(['--memory-budget', '4GB', '--dry-run'], { cwd: dir });
    assert.equal(plan.exitCode, 0, plan.stderr);
    const bLine = plan.stdout.split('\n').find((line) => /: b \(/.test(line));
    assert.match(bLine ?? '', /from history/, plan.stdout);
    r.held("--memory-budget forecasts b from its history, not 'no history'");
    const history = JSON.parse(readFileSync(path.join(dir, '.run-chunks', 'history.json'), 'utf8')) as { runs: { chunks: { name: string }[] }[] };
    const entries = history.runs.flatMap((run) => run.chunks.map((chunk) => chunk.name));
    assert.deepEqual([entries.filter((name) => name === 'a').length, entries.filter((name) => name === 'b').length], [10, 1]);
    r.held('the file keeps 10 runs of a (the last ten) and b\'s one run');
    checkNoLeftovers(r, plan.tag);
  },
  { timeout: CASE_TIMEOUT_MS * 2 },
);
