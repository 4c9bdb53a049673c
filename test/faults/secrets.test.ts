import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeSuiteProject, readReport, runCli, type CliResult } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';

// Secrets: values of run-chunks' own environment never reach a report, a log, the job summary or
// the terminal; values the config names are shown, masked when the name looks secret (TOKEN, KEY,
// SECRET, PASSWORD, ...), and so are secret-looking options in a chunk's arguments. Every file
// run-chunks leaves under .run-chunks/ is searched, the chunks' own logs included: the fixture
// tests print no environment, so a marker found anywhere there came from run-chunks.

const CASE_TIMEOUT_MS = 120_000;

/** A value that cannot turn up anywhere by chance. */
function marker(label: string): string {
  return `${label}-${randomUUID()}`;
}

/** Every file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** What run-chunks wrote or printed, by where: every file under .run-chunks/, the job summary, each run's output. */
function collectWritten(dir: string, summaryFile: string, runs: Record<string, CliResult>): Map<string, string> {
  const written = new Map<string, string>();
  for (const file of filesUnder(path.join(dir, '.run-chunks'))) written.set(path.relative(dir, file), readFileSync(file, 'latin1'));
  written.set('GITHUB_STEP_SUMMARY', readFileSync(summaryFile, 'utf8'));
  for (const [name, run] of Object.entries(runs)) written.set(`output of ${name}`, run.stdout + run.stderr);
  return written;
}

/** Asserts that no marker appears in anything written; returns how many places were searched. */
function checkNoneLeaked(written: ReadonlyMap<string, string>, markers: readonly string[]): number {
  const leaks = [...written].flatMap(([where, text]) => markers.filter((value) => text.includes(value)).map((value) => `${value} in ${where}`));
  assert.deepEqual(leaks, [], 'secret values leaked');
  return written.size;
}

/** The places that must exist for the search to mean anything. */
function checkSearchedEverything(written: ReadonlyMap<string, string>, recorder: FaultRecorder): void {
  for (const file of ['report.json', 'report.html', 'junit.xml'])
    assert.ok(written.has(path.join('.run-chunks', 'report', file)), `${file} was written and searched`);
  assert.ok(written.has(path.join('.run-chunks', 'history.json')), 'the history was written and searched');
  assert.match(written.get('GITHUB_STEP_SUMMARY')!, /\| *Chunk *\|/, 'the job summary was written');
  recorder.held('report.json, junit.xml, report.html, history.json, job summary and outputs were all searched');
}

/** Environment of a run on "GitHub Actions", with the job summary going to a temp file. */
function githubEnv(dir: string): { env: Record<string, string>; summaryFile: string } {
  const summaryFile = path.join(dir, 'step-summary.md');
  writeFileSync(summaryFile, '');
  return { env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile }, summaryFile };
}

faultCase(
  'secrets',
  "secret-looking and plain variables in run-chunks' own environment",
  async (r) => {
    const { dir } = makeSuiteProject({ chunks: [{ name: 'mixed', markers: 'first or failing' }] });
    const github = githubEnv(dir);
    const own = { AWS_SECRET_ACCESS_KEY: marker('aws'), GITHUB_TOKEN: marker('ghtoken'), MY_VAR: marker('myvar') };
    const env = { ...github.env, ...own };
    const run = await runCli([], { cwd: dir, env });
    r.outcomeOf(run.exitCode, readReport(dir).chunks[0]?.status);
    assert.equal(run.exitCode, 1, run.stdout + run.stderr);
    checkNoLeftovers(r, run.tag);
    const dryRun = await runCli(['--dry-run'], { cwd: dir, env });
    const report = await runCli(['report'], { cwd: dir, env });
    r.did('passed its environment to the chunk; wrote none of it anywhere');

    const written = collectWritten(dir, github.summaryFile, { run, '--dry-run': dryRun, 'run-chunks report': report });
    checkSearchedEverything(written, r);
    const places = checkNoneLeaked(written, Object.values(own));
    r.held(`AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN and MY_VAR values in none of ${places} files and outputs`);
    assert.equal(JSON.stringify(readReport(dir).chunks[0]?.env).includes('MY_VAR'), false);
    r.held("report.json's env lists only what the config and run-chunks set");
  },
  { timeout: CASE_TIMEOUT_MS },
);

faultCase(
  'secrets',
  'secrets in a chunk\'s config env (API_TOKEN, DB_PASSWORD) beside a plain variable',
  async (r) => {
    const secrets = { API_TOKEN: marker('apitoken'), DB_PASSWORD: marker('dbpassword') };
    const plain = marker('visible');
    const { dir } = makeSuiteProject({ chunks: [{ name: 'mixed', markers: 'first or failing', env: { ...secrets, PLAIN: plain } }] });
    const github = githubEnv(dir);
    const run = await runCli([], { cwd: dir, env: github.env });
    r.outcomeOf(run.exitCode, readReport(dir).chunks[0]?.status);
    assert.equal(run.exitCode, 1, run.stdout + run.stderr);
    checkNoLeftovers(r, run.tag);
    const dryRun = await runCli(['--dry-run'], { cwd: dir, env: github.env });
    const report = await runCli(['report'], { cwd: dir, env: github.env });
    r.did('showed API_TOKEN=*** and DB_PASSWORD=***, PLAIN with its value');

    const written = collectWritten(dir, github.summaryFile, { run, '--dry-run': dryRun, 'run-chunks report': report });
    checkSearchedEverything(written, r);
    const places = checkNoneLeaked(written, Object.values(secrets));
    r.held(`API_TOKEN and DB_PASSWORD values in none of ${places} files and outputs`);
    const chunkEnv = readReport(dir).chunks[0]!.env;
    assert.deepEqual([chunkEnv.API_TOKEN, chunkEnv.DB_PASSWORD, chunkEnv.PLAIN], ['***', '***', plain]);
    assert.ok(written.get(path.join('.run-chunks', 'report', 'report.html'))!.includes(`API_TOKEN=***\nDB_PASSWORD=***\nPLAIN=${plain}`));
    assert.match(dryRun.stdout, new RegExp(`API_TOKEN='\\*\\*\\*' DB_PASSWORD='\\*\\*\\*' PLAIN=${plain}`));
    r.held('report.json, report.html and --dry-run show *** for both secrets and PLAIN\'s value');
  },
  { timeout: CASE_TIMEOUT_MS },
);

/** Options the fixture suite's pytest accepts for this case; the chunk announces what it received. */
const SECRET_OPTIONS_CONFTEST = `

def pytest_addoption(parser):
    parser.addoption("--api-token")
    parser.addoption("--db-password")


def pytest_configure(config):
    announce("received", f"{config.getoption('--api-token')} {config.getoption('--db-password')}")
`;

faultCase(
  'secrets',
  'secrets as pytest options: "args": ["--db-password", S] and -- --api-token=S',
  async (r) => {
    const token = marker('passthrough-token');
    const password = marker('args-password');
    const { dir, signalDir } = makeSuiteProject({ chunks: [{ name: 'quick', paths: ['tests/test_first.py'], args: ['--db-password', password] }] });
    appendFileSync(path.join(dir, 'tests', 'conftest.py'), SECRET_OPTIONS_CONFTEST);
    const github = githubEnv(dir);
    const args = ['--', `--api-token=${token}`];
    const run = await runCli(args, { cwd: dir, env: github.env });
    r.outcomeOf(run.exitCode, readReport(dir).chunks[0]?.status);
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    checkNoLeftovers(r, run.tag);
    assert.equal(readFileSync(path.join(signalDir, 'received'), 'utf8'), `${token} ${password}`);
    r.held('the chunk received both values unmasked');
    const dryRun = await runCli(['--dry-run', ...args], { cwd: dir, env: github.env });
    r.did('ran the real values; showed --db-password *** and --api-token=*** everywhere');

    const written = collectWritten(dir, github.summaryFile, { run, '--dry-run': dryRun });
    checkSearchedEverything(written, r);
    const places = checkNoneLeaked(written, [token, password]);
    r.held(`neither value in any of ${places} files and outputs`);
    const command = readReport(dir).chunks[0]!.command;
    assert.deepEqual(command.slice(-3), ['--db-password', '***', '--api-token=***']);
    assert.match(run.stdout, /\$ .* --db-password '\*\*\*' '--api-token=\*\*\*'\n/);
    assert.match(dryRun.stdout, /\$ .* --db-password '\*\*\*' '--api-token=\*\*\*'\n/);
    r.held('report.json command, the terminal and --dry-run show the options with *** values');
  },
  { timeout: CASE_TIMEOUT_MS },
);
