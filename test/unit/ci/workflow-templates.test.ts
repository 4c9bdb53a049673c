import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { MatrixEntry } from '../../../src/ci/ci-matrix.js';
import {
  buildGithubWorkflow,
  buildGitlabPipeline,
  GITHUB_ACTION_VERSIONS,
  GITHUB_HISTORY_KEY,
  GITLAB_HISTORY_FALLBACK_KEY,
  GITLAB_HISTORY_KEY,
  type CiTemplateOptions,
  type PythonToolchain,
} from '../../../src/ci/workflow-templates.js';
import { createProgram } from '../../../src/cli/parse-args.js';
import { parseSubcommand } from '../../../src/cli/subcommands.js';

type Json = Record<string, unknown>;
type Step = { uses?: string; run?: string; if?: string; id?: string; with?: Json };

const WHERE = { configPath: 'chunks.config.json', reportDir: '.run-chunks/ci', historyFile: '.run-chunks/history.json' };
const NODE: CiTemplateOptions = { ...WHERE, toolchain: { kind: 'node', nodeVersion: '20', setupCommand: 'npm ci && npm run setup:python' } };
const PYTHON_TOOLCHAIN: PythonToolchain = {
  kind: 'python',
  pythonVersion: '3.12',
  runChunksVersion: '0.4.1',
  setupCommand: "pip install -r requirements.txt -e '.[test]'",
  dependencyFiles: ['requirements.txt', 'pyproject.toml'],
};
const PYTHON: CiTemplateOptions = { ...WHERE, toolchain: PYTHON_TOOLCHAIN };
// Options whose text would break naive YAML or shell quoting.
const AWKWARD = {
  configPath: 'ci/my chunks.json',
  reportDir: 'out dir/ci',
  historyFile: 'hist #1/history.json',
  runsOn: 'ubuntu-24.04',
};
const ENTRIES: MatrixEntry[] = [
  { name: 'unit_fast', required: true, timeoutMinutes: 25, workers: 4, description: null },
  { name: 'summary', required: false, timeoutMinutes: 70, workers: 1, description: null },
  { name: 'true', required: true, timeoutMinutes: 12, workers: 1, description: null },
];

// Real run-chunks commands and flags only: the run flags are checked against the CLI's own
// definition, and the matrix and merge flags by parsing them as those subcommands.
const RUN_FLAGS = new Set(['--chunk', '--report-dir', '--config', '--history']);
for (const flag of RUN_FLAGS) assert.ok(createProgram('0.0.0').options.some((option) => option.long === flag), `the CLI has no ${flag}`);

/** Words of a shell command line, quotes removed (enough for the lines these templates write). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/(?:'[^']*'|"[^"]*"|[^\s'"])+/g)].map(([word]) => word.replace(/'([^']*)'|"([^"]*)"/g, '$1$2'));
}

/** What GitHub substitutes before the shell sees the line. */
function expandExpressions(line: string): string {
  return line.replaceAll('${{ matrix.name }}', 'unit_fast');
}

/**
 * Checks every run-chunks invocation in a script and returns them as argv: merge and matrix
 * must parse as those subcommands, with the config and history given; a chunk run uses only
 * the run flags above, each with one value.
 */
function invocations(script: string, command: string, expected: { config: string; history: string }): string[][] {
  const found: string[][] = [];
  for (const line of expandExpressions(script).split('\n')) {
    for (const [, rest] of line.matchAll(new RegExp(`(?:^|[\\s(])${command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ([^)\\n;&|]*)`, 'g'))) {
      const words = shellWords(rest!);
      found.push(words);
      if (words[0] === 'merge' || words[0] === 'matrix') {
        const parsed = parseSubcommand(words[0], [], words.slice(1), '0.0.0') as { name: string; config?: string; historyFile?: string; dirs?: string[] };
        assert.equal(parsed.name, words[0], line);
        assert.equal(parsed.config, expected.config, `${words[0]} reads the config: ${line}`);
        assert.equal(parsed.historyFile, expected.history, `${words[0]} reads the history: ${line}`);
        if (words[0] === 'merge') assert.ok(parsed.dirs!.length > 0, line);
        continue;
      }
      assert.equal(words.length % 2, 0, `every flag takes one value: ${line}`);
      const flags = new Map<string, string>();
      for (let index = 0; index < words.length; index += 2) {
        assert.ok(RUN_FLAGS.has(words[index]!), `unknown flag ${words[index]} in: ${line}`);
        flags.set(words[index]!, words[index + 1]!);
      }
      assert.equal(flags.get('--config'), expected.config, line);
      assert.equal(flags.get('--history'), expected.history, line);
      assert.ok(flags.has('--chunk') && flags.has('--report-dir'), `a chunk job names its chunk and report dir: ${line}`);
    }
  }
  return found;
}

function stepsOf(job: unknown): Step[] {
  return (job as { steps: Step[] }).steps;
}

function runScripts(jobs: Record<string, Json>): string[] {
  return Object.values(jobs).flatMap((job) => stepsOf(job).flatMap((step) => (step.run ? [step.run] : [])));
}

/** The history's restore step: this run's key, then this branch's newest, then any readable branch's. */
function assertRestoresHistory(steps: Step[], historyFile: string): void {
  const restore = steps.find((step) => step.uses === GITHUB_ACTION_VERSIONS.cacheRestore);
  assert.ok(restore, 'the job restores the history');
  assert.deepEqual(restore.with, {
    path: historyFile,
    key: 'run-chunks-history-${{ github.ref_name }}-${{ github.run_id }}-${{ github.run_attempt }}',
    'restore-keys': 'run-chunks-history-${{ github.ref_name }}-\nrun-chunks-history-\n',
  });
  const runIndex = steps.findIndex((step) => step.run?.includes('run-chunks') && !step.run.startsWith('pip '));
  assert.ok(steps.indexOf(restore) < runIndex, 'restored before run-chunks runs');
}

test('github, Node project: setup prints the matrix, chunk runs one job per entry and uploads its report always, summary merges and saves the history', () => {
  const text = buildGithubWorkflow(NODE);
  assert.match(text, /^# Generated by `run-chunks init --ci github`/);
  const workflow = parse(text) as { on: Json; jobs: Record<string, Json> };
  assert.deepEqual(Object.keys(workflow.jobs), ['setup', 'chunk', 'summary']);
  assert.ok('pull_request' in workflow.on && 'push' in workflow.on);

  const { setup, chunk, summary } = workflow.jobs as { setup: Json; chunk: Json; summary: Json };
  assert.deepEqual(setup.outputs, { matrix: '${{ steps.matrix.outputs.matrix }}' });
  const matrixStep = stepsOf(setup).find((step) => step.id === 'matrix')!;
  assert.match(matrixStep.run!, /matrix="\$\(npx run-chunks matrix --format github --config chunks.config.json --history .run-chunks\/history.json\)"\n/);
  assert.match(matrixStep.run!, />> "\$GITHUB_OUTPUT"/);

  assert.deepEqual(chunk.strategy, { 'fail-fast': false, matrix: '${{ fromJSON(needs.setup.outputs.matrix) }}' });
  assert.equal(chunk.needs, 'setup');
  assert.equal(chunk['timeout-minutes'], '${{ matrix.timeoutMinutes }}');
  assert.equal(chunk['continue-on-error'], '${{ !matrix.required }}');
  const chunkSteps = stepsOf(chunk);
  assert.deepEqual(chunkSteps.slice(0, 3).map((step) => step.uses ?? step.run), [GITHUB_ACTION_VERSIONS.checkout, GITHUB_ACTION_VERSIONS.setupNode, 'npm ci && npm run setup:python']);
  assert.equal(chunkSteps[1]!.with!['node-version'], '20');
  assert.equal(chunkSteps.at(-2)!.run, 'npx run-chunks --chunk ${{ matrix.name }} --report-dir .run-chunks/ci/${{ matrix.name }} --config chunks.config.json --history .run-chunks/history.json');
  const upload = chunkSteps.at(-1)!;
  assert.equal(upload.uses, GITHUB_ACTION_VERSIONS.uploadArtifact);
  assert.equal(upload.if, 'always()');
  assert.deepEqual(upload.with, { name: 'run-chunks-${{ matrix.name }}', path: '.run-chunks/ci', 'include-hidden-files': true });

  assert.equal(summary.needs, 'chunk');
  assert.equal(summary.if, 'always()');
  const summarySteps = stepsOf(summary);
  const download = summarySteps.find((step) => step.uses === GITHUB_ACTION_VERSIONS.downloadArtifact)!;
  assert.deepEqual(download.with, { pattern: 'run-chunks-*', path: '.run-chunks/ci', 'merge-multiple': true });
  assert.equal(summarySteps.at(-2)!.run, 'npx run-chunks merge --config chunks.config.json --history .run-chunks/history.json .run-chunks/ci/*/');
  // Saved after the merge recorded the run, also when the merge failed it; under the key the jobs restore by.
  assert.deepEqual(summarySteps.at(-1), { uses: GITHUB_ACTION_VERSIONS.cacheSave, if: 'always()', with: { path: '.run-chunks/history.json', key: GITHUB_HISTORY_KEY } });
  for (const job of [setup, chunk, summary]) assertRestoresHistory(stepsOf(job), '.run-chunks/history.json');
  assert.equal(Object.values(workflow.jobs).flatMap(stepsOf).filter((step) => step.uses === GITHUB_ACTION_VERSIONS.cacheSave).length, 1, 'only the summary saves');

  const found = runScripts(workflow.jobs).flatMap((script) => invocations(script, 'npx run-chunks', { config: 'chunks.config.json', history: '.run-chunks/history.json' }));
  assert.deepEqual(found.map((words) => words[0]), ['matrix', '--chunk', 'merge']);
});

test('github, Python project: setup-python, run-chunks pinned from pip, test dependencies and the pip cache in the chunk jobs only, no npm', () => {
  const text = buildGithubWorkflow(PYTHON);
  assert.doesNotMatch(text, /npm|npx|setup-node/);
  const workflow = parse(text) as { jobs: Record<string, Json> };
  const { setup, chunk, summary } = workflow.jobs as { setup: Json; chunk: Json; summary: Json };
  const pythonStep = (job: Json): Step => stepsOf(job).find((step) => step.uses === GITHUB_ACTION_VERSIONS.setupPython)!;
  // The version stays a string: bare, 3.10 would read as the number 3.1.
  assert.deepEqual(pythonStep(chunk).with, { 'python-version': '3.12', cache: 'pip', 'cache-dependency-path': 'requirements.txt\npyproject.toml\n' });
  assert.deepEqual(pythonStep(setup).with, { 'python-version': '3.12' });
  assert.deepEqual(pythonStep(summary).with, { 'python-version': '3.12' });
  const installs = (job: Json): string[] => stepsOf(job).flatMap((step) => (step.run?.startsWith('pip ') ? [step.run] : []));
  assert.deepEqual(installs(setup), ['pip install run-chunks==0.4.1']);
  assert.deepEqual(installs(summary), ['pip install run-chunks==0.4.1']);
  assert.deepEqual(installs(chunk), ['pip install run-chunks==0.4.1', "pip install -r requirements.txt -e '.[test]'"]);
  for (const job of [setup, chunk, summary]) assertRestoresHistory(stepsOf(job), '.run-chunks/history.json');
  const found = runScripts(workflow.jobs).flatMap((script) => invocations(script, 'run-chunks', { config: 'chunks.config.json', history: '.run-chunks/history.json' }));
  assert.deepEqual(found.map((words) => words[0]), ['matrix', '--chunk', 'merge']);
  assert.match(text, /^# Python project: every job pip-installs run-chunks==0\.4\.1/m);
});

test('github, Python project: .python-version is handed to setup-python; no dependency file means no pip cache; an unpinned run-chunks', () => {
  const workflow = parse(buildGithubWorkflow({ ...PYTHON, toolchain: { ...PYTHON_TOOLCHAIN, pythonVersionFile: '.python-version', dependencyFiles: [], runChunksVersion: undefined } })) as { jobs: Record<string, Json> };
  const chunkSteps = stepsOf(workflow.jobs.chunk);
  assert.deepEqual(chunkSteps.find((step) => step.uses === GITHUB_ACTION_VERSIONS.setupPython)!.with, { 'python-version-file': '.python-version' });
  assert.equal(chunkSteps.find((step) => step.run?.startsWith('pip install run-chunks'))!.run, 'pip install run-chunks');
});

test('github: awkward options survive YAML and shell quoting', () => {
  const options = { ...AWKWARD, toolchain: { kind: 'node' as const, nodeVersion: '22', setupCommand: 'npm ci\npip install -r "requirements: dev.txt" # pinned\n  echo done', runChunksCommand: 'node bin/run-chunks.js' } };
  const workflow = parse(buildGithubWorkflow(options)) as { jobs: Record<string, Json> };
  const chunk = workflow.jobs.chunk!;
  assert.equal(chunk['runs-on'], 'ubuntu-24.04');
  const steps = stepsOf(chunk);
  assert.equal(steps[1]!.with!['node-version'], '22');
  assert.equal(steps[2]!.run, 'npm ci\npip install -r "requirements: dev.txt" # pinned\n  echo done\n');
  assert.equal(steps.at(-2)!.run, "node bin/run-chunks.js --chunk ${{ matrix.name }} --report-dir 'out dir/ci'/${{ matrix.name }} --config 'ci/my chunks.json' --history 'hist #1/history.json'");
  assert.equal(steps.at(-1)!.with!.path, 'out dir/ci');
  assertRestoresHistory(steps, 'hist #1/history.json');
  const summary = stepsOf(workflow.jobs.summary);
  assert.equal(summary.at(-2)!.run, "node bin/run-chunks.js merge --config 'ci/my chunks.json' --history 'hist #1/history.json' 'out dir/ci'/*/");
  assert.equal(summary.at(-1)!.with!.path, 'hist #1/history.json');
  const found = runScripts(workflow.jobs).flatMap((script) => invocations(script, 'node bin/run-chunks.js', { config: 'ci/my chunks.json', history: 'hist #1/history.json' }));
  assert.equal(found.length, 3);
});

type GitlabCache = { key: string; fallback_keys: string[]; paths: string[]; policy: string; when?: string };
type GitlabJob = { stage: string; timeout?: string; allow_failure?: boolean; when?: string; script: string[]; before_script?: string[]; artifacts?: Json; needs?: Json[]; cache?: GitlabCache[] };

/** GitLab reads YAML 1.1: the same document must come out under both versions. */
function parseGitlab(text: string): Record<string, unknown> {
  const pipeline = parse(text, { version: '1.1' }) as Record<string, unknown>;
  assert.deepEqual(parse(text), pipeline);
  return pipeline;
}

test('gitlab, Node project: one job per chunk with its timeout, allow_failure, junit report and a history it pulls; a summary that needs them all and pushes the history', () => {
  const text = buildGitlabPipeline(ENTRIES, NODE);
  assert.match(text, /^# Generated by `run-chunks init --ci gitlab`/);
  const pipeline = parseGitlab(text);
  assert.deepEqual(pipeline.stages, ['test', 'report']);
  assert.deepEqual(pipeline.default, { image: 'node:20', before_script: ['npm ci && npm run setup:python'] });
  assert.deepEqual(Object.keys(pipeline).filter((key) => key.startsWith('chunk:')), ['chunk:unit_fast', 'chunk:summary', 'chunk:true']);

  const history = { key: GITLAB_HISTORY_KEY, fallback_keys: [GITLAB_HISTORY_FALLBACK_KEY], paths: ['.run-chunks/history.json'] };
  assert.equal(GITLAB_HISTORY_KEY, 'run-chunks-history-$CI_COMMIT_REF_SLUG');
  assert.equal(GITLAB_HISTORY_FALLBACK_KEY, 'run-chunks-history-$CI_DEFAULT_BRANCH');
  const unit = pipeline['chunk:unit_fast'] as GitlabJob;
  assert.deepEqual(unit, {
    stage: 'test',
    timeout: '25m',
    allow_failure: false,
    script: ['npx run-chunks --chunk unit_fast --report-dir .run-chunks/ci/unit_fast --config chunks.config.json --history .run-chunks/history.json'],
    cache: [{ ...history, policy: 'pull' }],
    artifacts: { when: 'always', paths: ['.run-chunks/ci/unit_fast'], reports: { junit: '.run-chunks/ci/unit_fast/junit.xml' } },
  });
  assert.equal((pipeline['chunk:summary'] as GitlabJob).allow_failure, true);
  assert.equal((pipeline['chunk:true'] as GitlabJob).timeout, '12m');

  const summary = pipeline['run-chunks:summary'] as GitlabJob;
  assert.equal(summary.stage, 'report');
  assert.equal(summary.when, 'always');
  assert.equal(summary.before_script, undefined, 'npx needs the default npm ci');
  assert.deepEqual(summary.needs, ENTRIES.map((entry) => ({ job: `chunk:${entry.name}`, artifacts: true })));
  assert.deepEqual(summary.script, ['npx run-chunks merge --config chunks.config.json --history .run-chunks/history.json .run-chunks/ci/unit_fast .run-chunks/ci/summary .run-chunks/ci/true']);
  assert.deepEqual(summary.cache, [{ ...history, policy: 'pull-push', when: 'always' }]);

  const scripts = Object.values(pipeline).flatMap((job) => ((job as GitlabJob).script ?? []) as string[]);
  const found = scripts.flatMap((script) => invocations(script, 'npx run-chunks', { config: 'chunks.config.json', history: '.run-chunks/history.json' }));
  assert.equal(found.length, ENTRIES.length + 1);
});

test('gitlab, Python project: a python image of the detected version, pip in before_script, the summary installs run-chunks alone', () => {
  const text = buildGitlabPipeline(ENTRIES, PYTHON);
  assert.doesNotMatch(text, /npm|npx|node:/);
  const pipeline = parseGitlab(text);
  assert.deepEqual(pipeline.default, { image: 'python:3.12', before_script: ['pip install run-chunks==0.4.1', "pip install -r requirements.txt -e '.[test]'"] });
  const summary = pipeline['run-chunks:summary'] as GitlabJob;
  assert.deepEqual(summary.before_script, ['pip install run-chunks==0.4.1']);
  assert.deepEqual(summary.script, ['run-chunks merge --config chunks.config.json --history .run-chunks/history.json .run-chunks/ci/unit_fast .run-chunks/ci/summary .run-chunks/ci/true']);
  const unit = pipeline['chunk:unit_fast'] as GitlabJob;
  assert.equal(unit.script[0], 'run-chunks --chunk unit_fast --report-dir .run-chunks/ci/unit_fast --config chunks.config.json --history .run-chunks/history.json');
  assert.equal(unit.cache![0]!.policy, 'pull');
  assert.deepEqual((unit.artifacts as { reports: Json }).reports, { junit: '.run-chunks/ci/unit_fast/junit.xml' });
});

test('gitlab: awkward options survive quoting; past 50 chunks the summary waits for the stage instead of `needs`', () => {
  const many = Array.from({ length: 51 }, (_, index): MatrixEntry => ({ name: `c${index}`, required: true, timeoutMinutes: 10, workers: 1, description: null }));
  const options = { ...AWKWARD, image: 'python:3.12-slim', toolchain: { ...PYTHON_TOOLCHAIN, setupCommand: 'pip install -r "requirements: dev.txt" # pinned\n  echo done' } };
  const pipeline = parseGitlab(buildGitlabPipeline(many, options));
  assert.deepEqual(pipeline.default, { image: 'python:3.12-slim', before_script: ['pip install run-chunks==0.4.1', 'pip install -r "requirements: dev.txt" # pinned\n  echo done\n'] });
  const first = pipeline['chunk:c0'] as GitlabJob;
  assert.deepEqual(first.script, ["run-chunks --chunk c0 --report-dir 'out dir/ci/c0' --config 'ci/my chunks.json' --history 'hist #1/history.json'"]);
  assert.deepEqual(first.artifacts, { when: 'always', paths: ['out dir/ci/c0'], reports: { junit: 'out dir/ci/c0/junit.xml' } });
  assert.deepEqual(first.cache![0]!.paths, ['hist #1/history.json']);
  const summary = pipeline['run-chunks:summary'] as GitlabJob;
  assert.equal(summary.needs, undefined);
  assert.equal(summary.when, 'always');
  assert.equal(invocations(summary.script[0]!, 'run-chunks', { config: 'ci/my chunks.json', history: 'hist #1/history.json' }).length, 1);
});
