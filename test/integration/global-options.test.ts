import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeSuiteProject, runCli, VENV_PYTHON } from '../helpers/cli.js';

// Options given before a subcommand's name (`run-chunks -c x.json plan`) are the subcommand's own,
// where it has them; an option it has no use for, a mistyped command and pytest's -k, -m and -n
// are clear errors (exit 2) that say what to do instead.

const CHUNKS = [{ name: 'first', markers: 'first' }];

test('-c before plan: the plan reads that config', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'unused' }] });
  writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ python: VENV_PYTHON, chunks: CHUNKS }));
  const result = await runCli(['-c', 'other.json', 'plan', '--json'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  const plan = JSON.parse(result.stdout) as { chunks: { name: string; tests: number }[] };
  assert.deepEqual(plan.chunks.map((chunk) => [chunk.name, chunk.tests]), [['first', 3]]);
  // --config=PATH before the name works the same.
  const joined = await runCli(['--config=other.json', 'plan', '--json'], { cwd: dir });
  assert.equal(joined.exitCode, 0, joined.stderr);
  // The same plan, but for how long collecting took.
  const withoutTime = (stdout: string): unknown => ({ ...JSON.parse(stdout), collection: { ...JSON.parse(stdout).collection, durationMs: 0 } });
  assert.deepEqual(withoutTime(joined.stdout), withoutTime(result.stdout));
});

test('--report-dir before report and --history before history', async () => {
  const { dir } = makeSuiteProject({ chunks: CHUNKS });
  const run = await runCli(['--report-dir', 'elsewhere', '--history', 'h.json'], { cwd: dir });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  const report = await runCli(['--report-dir', 'elsewhere', 'report'], { cwd: dir });
  assert.equal(report.exitCode, 0, report.stderr);
  assert.match(report.stdout, /first/);
  const history = await runCli(['--history', 'h.json', 'history'], { cwd: dir });
  assert.equal(history.exitCode, 0, history.stderr);
  assert.match(history.stdout, /│ first +│ +1 │ passed/);
  // Without them, the defaults hold nothing.
  const defaultHistory = await runCli(['history'], { cwd: dir });
  assert.match(defaultHistory.stdout, /The run history is empty/);
});

test('a global option the subcommand has no use for is an error naming the options it takes', async () => {
  const { dir } = makeSuiteProject({ chunks: CHUNKS });
  const plan = await runCli(['--dry-run', 'plan'], { cwd: dir });
  assert.equal(plan.exitCode, 2);
  assert.equal(plan.stderr, 'run-chunks: error: --dry-run does not apply to `run-chunks plan`, which takes --config, --chunk, --strict, --json, --history. Run `run-chunks plan --help` for them.\n');
  const report = await runCli(['-c', 'chunks.config.json', 'report'], { cwd: dir });
  assert.equal(report.exitCode, 2);
  assert.match(report.stderr, /^run-chunks: error: -c does not apply to `run-chunks report`, which takes --report-dir, --open\./);
});

test('a mistyped command gets a did-you-mean; pytest\'s -k, -m and -n say where they belong', async () => {
  const { dir } = makeSuiteProject({ chunks: CHUNKS });
  const typo = await runCli(['pln'], { cwd: dir });
  assert.equal(typo.exitCode, 2);
  assert.match(typo.stderr, /^run-chunks: error: Unknown command "pln"\. Did you mean `run-chunks plan`\?/);
  const afterOption = await runCli(['-c', 'chunks.config.json', 'reprot'], { cwd: dir });
  assert.match(afterOption.stderr, /Did you mean `run-chunks report`\?/);
  const cases: [string[], RegExp][] = [
    [['-k', 'quick'], /-k is pytest's option, not run-chunks'\. Pass it after -- .*\(run-chunks -- -k EXPR\), or set "keyword"/],
    [['--dry-run', '-m', 'first'], /-m is pytest's option, .*\(run-chunks -- -m EXPR\), or set "markers"/],
    [['-n4'], /-n is pytest's option, .*set "workers"/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args, { cwd: dir });
    assert.equal(result.exitCode, 2, args.join(' '));
    assert.match(result.stderr, message);
    assert.equal(result.stderr.split('\n').length, 2, result.stderr);
  }
  // After --, they are pytest's: the dry run shows them in the command.
  const passed = await runCli(['--dry-run', '--', '-k', 'quick'], { cwd: dir });
  assert.equal(passed.exitCode, 0, passed.stderr);
  assert.match(passed.stdout, / -k quick\n/);
});
