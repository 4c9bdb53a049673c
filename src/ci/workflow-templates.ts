// The CI files `run-chunks init --ci github|gitlab` writes: one job per chunk, each uploading its
// report dir even when it fails, and a summary job that merges them with `run-chunks merge` and
// fails only when a required chunk failed (merge's exit code says so). A Python project gets
// run-chunks from pip and its tests' dependencies installed in the chunk jobs; a Node project
// gets them from npm. Every job shares one run history through the CI's cache.

import { quoteShellArg } from '../util/shell-quote.js';
import type { MatrixEntry } from './ci-matrix.js';
import { yamlString } from './yaml-scalar.js';

/** A project whose run-chunks is an npm dependency: `npm ci` (or --setup) in every job, then npx. */
export interface NodeToolchain {
  kind: 'node';
  /** Node.js version for actions/setup-node, and for GitLab's default image. */
  nodeVersion: string;
  /** Shell command(s) that install the project (run-chunks, Python, test dependencies) on a fresh runner. */
  setupCommand: string;
  /** How jobs invoke run-chunks; default `npx run-chunks`. */
  runChunksCommand?: string;
}

/** A Python project: run-chunks from pip; the chunk jobs also install the tests' dependencies. */
export interface PythonToolchain {
  kind: 'python';
  /** MAJOR.MINOR (or a full version) for setup-python and GitLab's python:<version> image. */
  pythonVersion: string;
  /** GitHub only: setup-python reads the version from this file instead (the project's own pin). */
  pythonVersionFile?: string;
  /** The version `pip install run-chunks==…` pins; undefined: unpinned. */
  runChunksVersion: string | undefined;
  /** Shell command(s) that install the tests' dependencies, in the chunk jobs only. */
  setupCommand: string;
  /** Existing files that key setup-python's pip cache; empty: no pip cache (setup-python fails without one). */
  dependencyFiles: readonly string[];
}

/** What both templates need. */
export interface CiTemplateOptions {
  toolchain: NodeToolchain | PythonToolchain;
  /** The config file every job passes with --config, relative to the project root. */
  configPath: string;
  /** Folder the chunk jobs write into (each chunk in <reportDir>/<chunk>) and the summary merges from. */
  reportDir: string;
  /** The run history every job passes with --history, restored from and saved to the CI's cache. */
  historyFile: string;
  /** Lines added to the header comment (what was detected). */
  notes?: readonly string[];
}

/** GitHub Actions options. */
export interface GithubWorkflowOptions extends CiTemplateOptions {
  /** `runs-on` of every job; default ubuntu-latest. */
  runsOn?: string;
}

/** GitLab CI options. */
export interface GitlabPipelineOptions extends CiTemplateOptions {
  /** Image of every job; default node:<nodeVersion> or python:<pythonVersion>. */
  image?: string;
}

/** The report dir the CI templates default to: one folder per chunk, apart from local runs' report. */
export const DEFAULT_CI_REPORT_DIR = '.run-chunks/ci';

// Current majors, checked against the actions' releases: checkout and setup-node v7,
// upload-artifact v7, download-artifact v8 (all on the Node 24 runtime that replaced Node 20);
// setup-python v7 (July 2026: ESM, pip-install input removed) and cache v6 (June 2026: ESM;
// restore and save are its sub-actions).
export const GITHUB_ACTION_VERSIONS = {
  checkout: 'actions/checkout@v7',
  setupNode: 'actions/setup-node@v7',
  setupPython: 'actions/setup-python@v7',
  cacheRestore: 'actions/cache/restore@v6',
  cacheSave: 'actions/cache/save@v6',
  uploadArtifact: 'actions/upload-artifact@v7',
  downloadArtifact: 'actions/download-artifact@v8',
} as const;

/** Prefix of every chunk's artifact name: keeps them apart from other artifacts of the run. */
export const ARTIFACT_PREFIX = 'run-chunks-';

/** Prefix of the history's cache keys, on both CI systems. */
export const HISTORY_CACHE_PREFIX = 'run-chunks-history-';

// GitHub caches are immutable: each run saves under its own key (the attempt too, so a re-run can
// save), and a restore takes the newest cache whose key starts with a restore key: this branch's,
// else any the branch can read (its base and the default branch).
export const GITHUB_HISTORY_KEY = `${HISTORY_CACHE_PREFIX}\${{ github.ref_name }}-\${{ github.run_id }}-\${{ github.run_attempt }}`;
export const GITHUB_HISTORY_RESTORE_KEYS = [`${HISTORY_CACHE_PREFIX}\${{ github.ref_name }}-`, HISTORY_CACHE_PREFIX] as const;

// GitLab caches are overwritten in place: one per branch, falling back to the default branch's.
export const GITLAB_HISTORY_KEY = `${HISTORY_CACHE_PREFIX}$CI_COMMIT_REF_SLUG`;
export const GITLAB_HISTORY_FALLBACK_KEY = `${HISTORY_CACHE_PREFIX}$CI_DEFAULT_BRANCH`;

// GitLab refuses more than this many `needs` per job by default; past it the summary waits
// for the whole stage instead, which downloads the same artifacts.
const GITLAB_MAX_NEEDS = 50;

function header(ci: 'github' | 'gitlab', options: CiTemplateOptions): string[] {
  const lines = [
    `# Generated by \`run-chunks init --ci ${ci}\`; to regenerate it, run that command again.`,
    ci === 'github'
      ? '# The chunk list is read from the config on every run (`run-chunks matrix`): adding a chunk needs no regeneration.'
      : '# The chunk jobs are written from the config as it was: regenerate after adding, removing or changing chunks.',
    '# Each chunk runs as its own job (`run-chunks --chunk NAME`) and keeps its report dir even when it fails;',
    '# the summary job merges them (`run-chunks merge --config`): it fails when a required chunk failed or uploaded nothing.',
    ci === 'github'
      ? `# Run history (${options.historyFile}): \`workers: "auto"\`, \`--shard\` and the job timeout of a chunk without a timeout are`
      : `# Run history (${options.historyFile}): \`workers: "auto"\` and \`--shard\` are`,
    '# computed from it, so every job restores it from the cache. Only `run-chunks merge` records a run (a chunk',
    "# job's own record is never saved, and a shard's run records nothing), so only the summary job saves it.",
    ...(ci === 'github'
      ? [
          '# GitHub: saved under a key unique to the run; a job restores the newest of its branch, else of its base or',
          '# default branch. Caches unused for 7 days are evicted; a run that finds none starts a new history.',
        ]
      : [
          "# GitLab: one cache per branch, falling back to the default branch's. Caches are shared by the pipeline's jobs",
          '# (per runner, unless a distributed cache is set up): chunk jobs only pull, the summary job pulls and pushes,',
          "# also when chunks failed. GitLab keeps protected and unprotected branches' caches apart: a branch that is not",
          "# protected starts its own history rather than reading the default branch's (`cache: unprotect: true` shares them).",
        ]),
  ];
  if (options.toolchain.kind === 'python') {
    const pin = options.toolchain.runChunksVersion === undefined ? 'run-chunks' : `run-chunks==${options.toolchain.runChunksVersion} (the version that wrote this file)`;
    lines.push(`# Python project: every job pip-installs ${pin}; only the chunk jobs install the tests' dependencies.`);
  }
  return [...lines, ...(options.notes ?? []).map((note) => `# ${note.replace(/[\r\n]+/g, ' ')}`)];
}

function runChunksCommand(options: CiTemplateOptions): string {
  return options.toolchain.kind === 'python' ? 'run-chunks' : (options.toolchain.runChunksCommand ?? 'npx run-chunks');
}

/** `--config PATH --history PATH`: every job reads the same config and the same history. */
function commonFlags(options: CiTemplateOptions): string {
  return `--config ${quoteShellArg(options.configPath)} --history ${quoteShellArg(options.historyFile)}`;
}

/** `run-chunks <args> --config PATH --history PATH`, as a shell command line. */
function runChunks(options: CiTemplateOptions, args: string): string {
  return `${runChunksCommand(options)} ${args} ${commonFlags(options)}`;
}

/**
 * `run-chunks merge --config PATH --history PATH DIRS`: with the config, a required chunk whose
 * job uploaded no report is an error of the merge (exit 3), not a chunk that silently drops out.
 */
function runMerge(options: CiTemplateOptions, dirs: string): string {
  return `${runChunksCommand(options)} merge ${commonFlags(options)} ${dirs}`;
}

/** `pip install run-chunks==VERSION`. */
function pipInstallRunChunks(toolchain: PythonToolchain): string {
  return `pip install ${quoteShellArg(toolchain.runChunksVersion === undefined ? 'run-chunks' : `run-chunks==${toolchain.runChunksVersion}`)}`;
}

/** `run:`/`script` text: one line stays a scalar, several become a literal block under `indent`. */
function shellLines(command: string, indent: string): string {
  const lines = command.trim().split(/\r?\n/);
  if (lines.length === 1) return yamlString(lines[0]!);
  return `|\n${lines.map((line) => (line.trim() === '' ? '' : `${indent}${line}`)).join('\n')}`;
}

/** A literal block of one item per line (restore-keys, cache-dependency-path). */
function literalList(items: readonly string[], indent: string): string {
  return `|\n${items.map((item) => `${indent}${item}`).join('\n')}`;
}

type GithubJob = 'setup' | 'chunk' | 'summary';

function githubPythonSteps(toolchain: PythonToolchain, job: GithubJob): string[] {
  const steps = [`      - uses: ${GITHUB_ACTION_VERSIONS.setupPython}`, '        with:'];
  steps.push(
    toolchain.pythonVersionFile !== undefined
      ? `          python-version-file: ${yamlString(toolchain.pythonVersionFile)}`
      : `          python-version: ${JSON.stringify(toolchain.pythonVersion)}`,
  );
  // Only the chunk jobs cache pip: they are the ones that install the dependencies. The setup job
  // runs first, and a pip cache it saved (holding run-chunks alone) would take the key, so the
  // chunk jobs could never save theirs. setup-python fails on `cache: pip` with no file to key it.
  if (job === 'chunk' && toolchain.dependencyFiles.length > 0)
    steps.push('          cache: pip', `          cache-dependency-path: ${literalList(toolchain.dependencyFiles, '            ')}`);
  steps.push(`      - run: ${pipInstallRunChunks(toolchain)}`);
  if (job === 'chunk') steps.push(`      - run: ${shellLines(toolchain.setupCommand, '          ')}`);
  return steps;
}

function githubInstallSteps(options: GithubWorkflowOptions, job: GithubJob): string[] {
  const { toolchain } = options;
  const checkout = `      - uses: ${GITHUB_ACTION_VERSIONS.checkout}`;
  if (toolchain.kind === 'python') return [checkout, ...githubPythonSteps(toolchain, job)];
  return [
    checkout,
    `      - uses: ${GITHUB_ACTION_VERSIONS.setupNode}`,
    '        with:',
    `          node-version: ${JSON.stringify(toolchain.nodeVersion)}`,
    `      - run: ${shellLines(toolchain.setupCommand, '          ')}`,
  ];
}

function githubRestoreHistory(options: CiTemplateOptions): string[] {
  return [
    `      - uses: ${GITHUB_ACTION_VERSIONS.cacheRestore}`,
    '        with:',
    `          path: ${yamlString(options.historyFile)}`,
    `          key: ${GITHUB_HISTORY_KEY}`,
    `          restore-keys: ${literalList(GITHUB_HISTORY_RESTORE_KEYS, '            ')}`,
  ];
}

/**
 * A GitHub Actions workflow: `setup` prints the matrix with `run-chunks matrix` (so chunks added
 * to the config need no regeneration), `chunk` runs one job per chunk under its timeout and
 * uploads its report dir even on failure (optional chunks use continue-on-error), and `summary`
 * downloads every report, runs `run-chunks merge` and saves the history it recorded.
 */
export function buildGithubWorkflow(options: GithubWorkflowOptions): string {
  const runsOn = yamlString(options.runsOn ?? 'ubuntu-latest');
  const reportDir = quoteShellArg(options.reportDir);
  const lines = [
    ...header('github', options),
    'name: run-chunks',
    'on:',
    '  push:',
    '  pull_request:',
    '  workflow_dispatch:',
    'permissions:',
    '  contents: read',
    'jobs:',
    '  setup:',
    `    runs-on: ${runsOn}`,
    '    outputs:',
    '      matrix: ${{ steps.matrix.outputs.matrix }}',
    '    steps:',
    ...githubInstallSteps(options, 'setup'),
    ...githubRestoreHistory(options),
    '      - id: matrix',
    // An assignment fails the step when the command fails; `echo "matrix=$(…)"` would not.
    '        run: |',
    `          matrix="$(${runChunks(options, 'matrix --format github')})"`,
    `          printf 'matrix=%s\\n' "$matrix" >> "$GITHUB_OUTPUT"`,
    '  chunk:',
    '    name: ${{ matrix.name }}',
    '    needs: setup',
    `    runs-on: ${runsOn}`,
    '    timeout-minutes: ${{ matrix.timeoutMinutes }}',
    '    continue-on-error: ${{ !matrix.required }}',
    '    strategy:',
    '      fail-fast: false',
    '      matrix: ${{ fromJSON(needs.setup.outputs.matrix) }}',
    '    steps:',
    ...githubInstallSteps(options, 'chunk'),
    ...githubRestoreHistory(options),
    `      - run: ${yamlString(runChunks(options, `--chunk \${{ matrix.name }} --report-dir ${reportDir}/\${{ matrix.name }}`))}`,
    `      - uses: ${GITHUB_ACTION_VERSIONS.uploadArtifact}`,
    '        if: always()',
    '        with:',
    `          name: ${ARTIFACT_PREFIX}\${{ matrix.name }}`,
    // The folder above the chunk's, so the artifact holds <chunk>/…: a pattern download that
    // matches a single artifact extracts it flat, and the chunk's folder keeps the layout the same.
    `          path: ${yamlString(options.reportDir)}`,
    // The default report dir is a dot folder, which upload-artifact skips unless told.
    '          include-hidden-files: true',
    '  summary:',
    '    needs: chunk',
    '    if: always()',
    `    runs-on: ${runsOn}`,
    '    steps:',
    ...githubInstallSteps(options, 'summary'),
    ...githubRestoreHistory(options),
    `      - uses: ${GITHUB_ACTION_VERSIONS.downloadArtifact}`,
    '        with:',
    `          pattern: ${ARTIFACT_PREFIX}*`,
    `          path: ${yamlString(options.reportDir)}`,
    '          merge-multiple: true',
    `      - run: ${yamlString(runMerge(options, `${reportDir}/*/`))}`,
    // Also when the merge failed the run: a failed run is history too (durations, peaks, the OOM).
    `      - uses: ${GITHUB_ACTION_VERSIONS.cacheSave}`,
    '        if: always()',
    '        with:',
    `          path: ${yamlString(options.historyFile)}`,
    `          key: ${GITHUB_HISTORY_KEY}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** GitLab job name of a chunk; the prefix keeps a chunk called "summary" apart from the summary job. */
export function gitlabChunkJobName(chunk: string): string {
  return `chunk:${chunk}`;
}

function gitlabHistoryCache(options: CiTemplateOptions, policy: 'pull' | 'pull-push'): string[] {
  return [
    '  cache:',
    `    - key: ${yamlString(GITLAB_HISTORY_KEY)}`,
    '      fallback_keys:',
    `        - ${yamlString(GITLAB_HISTORY_FALLBACK_KEY)}`,
    '      paths:',
    `        - ${yamlString(options.historyFile)}`,
    `      policy: ${policy}`,
    // The default, on_success, would drop the history of every run in which a chunk failed.
    ...(policy === 'pull-push' ? ['      when: always'] : []),
  ];
}

function gitlabDefaults(options: GitlabPipelineOptions): string[] {
  const { toolchain } = options;
  const image = options.image ?? (toolchain.kind === 'python' ? `python:${toolchain.pythonVersion}` : `node:${toolchain.nodeVersion}`);
  const setup = toolchain.kind === 'python' ? [pipInstallRunChunks(toolchain), toolchain.setupCommand] : [toolchain.setupCommand];
  return ['default:', `  image: ${yamlString(image)}`, '  before_script:', ...setup.map((command) => `    - ${shellLines(command, '      ')}`)];
}

/**
 * A GitLab CI pipeline with one job per chunk, written from the matrix at hand: GitLab's
 * parallel:matrix cannot vary `timeout` or `allow_failure` per entry, so regenerate it after
 * adding, removing or changing chunks. Each job keeps its report dir as an artifact
 * (`when: always`) and its junit.xml as a test report; the summary job (`when: always`) needs
 * them all, runs `run-chunks merge` and pushes the history it recorded to the cache.
 */
export function buildGitlabPipeline(entries: readonly MatrixEntry[], options: GitlabPipelineOptions): string {
  const chunkDir = (name: string): string => `${options.reportDir}/${name}`;
  const lines = ['stages:', '  - test', '  - report', ...gitlabDefaults(options)];
  for (const entry of entries) {
    lines.push(
      `${yamlString(gitlabChunkJobName(entry.name))}:`,
      '  stage: test',
      `  timeout: ${yamlString(`${entry.timeoutMinutes}m`)}`,
      `  allow_failure: ${String(!entry.required)}`,
      '  script:',
      `    - ${yamlString(runChunks(options, `--chunk ${quoteShellArg(entry.name)} --report-dir ${quoteShellArg(chunkDir(entry.name))}`))}`,
      ...gitlabHistoryCache(options, 'pull'),
      '  artifacts:',
      '    when: always',
      '    paths:',
      `      - ${yamlString(chunkDir(entry.name))}`,
      // GitLab shows these in the merge request's test summary; the merged junit.xml is not
      // reported as well, which would count every test twice.
      '    reports:',
      `      junit: ${yamlString(`${chunkDir(entry.name)}/junit.xml`)}`,
    );
  }
  lines.push('run-chunks:summary:', '  stage: report', '  when: always');
  // The merge needs run-chunks alone, not the tests' dependencies.
  if (options.toolchain.kind === 'python') lines.push('  before_script:', `    - ${pipInstallRunChunks(options.toolchain)}`);
  if (entries.length <= GITLAB_MAX_NEEDS) {
    lines.push('  needs:');
    for (const entry of entries) lines.push(`    - job: ${yamlString(gitlabChunkJobName(entry.name))}`, '      artifacts: true');
  }
  const dirs = entries.map((entry) => quoteShellArg(chunkDir(entry.name))).join(' ');
  lines.push('  script:', `    - ${yamlString(runMerge(options, dirs))}`, ...gitlabHistoryCache(options, 'pull-push'));
  return `${[...header('gitlab', options), ...lines].join('\n')}\n`;
}
