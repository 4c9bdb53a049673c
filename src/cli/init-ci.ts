// `run-chunks init --ci github|gitlab`: detects the project, writes the CI file, and says what it
// detected and chose, and why: a CI file that installs the wrong thing fails far from here.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildMatrix } from '../ci/ci-matrix.js';
import { detectProject, type DetectedProject } from '../ci/detect-project.js';
import { pipVersionOf } from '../ci/pip-version.js';
import { readProjectFiles } from '../ci/read-project-files.js';
import { buildGithubWorkflow, buildGitlabPipeline, type CiTemplateOptions } from '../ci/workflow-templates.js';
import { loadConfig } from '../config/load-config.js';
import type { LoadedConfig } from '../config/types.js';
import { DEFAULT_HISTORY_FILE } from '../history/history-types.js';
import { mergeChunkDefaults } from '../plan/create-plans.js';
import { EXIT_CODES } from '../results/outcome.js';
import { UserError } from '../util/user-error.js';
import { planChunks } from './plan-chunks.js';

/** What `init --ci` was asked for. */
export interface InitCiOptions {
  ci: 'github' | 'gitlab';
  config: string | undefined;
  output: string | undefined;
  force: boolean;
  reportDir: string;
  /** --setup: the command that installs what the tests need; undefined: detected. */
  setup: string | undefined;
  /** --python-version; undefined: detected. */
  pythonVersion: string | undefined;
}

/** Node.js of the jobs of a Node project (actions/setup-node, GitLab's node image). */
const CI_NODE_VERSION = '20';

const DEFAULT_OUTPUT = { github: '.github/workflows/run-chunks.yml', gitlab: '.gitlab-ci.yml' } as const;

/** A path as the CI jobs see it: relative to the project root (the checkout), with forward slashes. */
function projectRelative(file: string, cwd: string): string | undefined {
  const relative = path.relative(cwd, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join('/');
}

/** Whether some chunk runs pytest with xdist (workers above 1, or "auto"), so pytest-xdist must be installed. */
function needsXdist(loaded: LoadedConfig): boolean {
  if ((loaded.config.runner ?? 'pytest') !== 'pytest') return false;
  return loaded.config.chunks.some((chunk) => {
    const workers = mergeChunkDefaults(loaded.config.defaults, chunk).workers;
    return workers === 'auto' || (workers ?? 1) > 1;
  });
}

function validatePythonVersion(given: string | undefined): void {
  if (given === undefined || /^\d+\.\d+(?:\.\d+)?$/.test(given)) return;
  throw new UserError(`--python-version ${JSON.stringify(given)} is not a Python version. Give MAJOR.MINOR (3.12) or MAJOR.MINOR.PATCH (3.12.4).`);
}

/** The templates' options for a detected project: what init writes, apart from the GitLab matrix. */
export function templateOptionsFor(project: DetectedProject, where: { configPath: string; reportDir: string; historyFile: string; runChunksVersion: string | undefined }): CiTemplateOptions {
  const { configPath, reportDir, historyFile } = where;
  if (project.kind === 'node') return { toolchain: { kind: 'node', nodeVersion: CI_NODE_VERSION, setupCommand: project.setupCommand }, configPath, reportDir, historyFile };
  return {
    toolchain: {
      kind: 'python',
      pythonVersion: project.python.version,
      pythonVersionFile: project.python.versionFile,
      runChunksVersion: where.runChunksVersion,
      setupCommand: project.setupCommand,
      dependencyFiles: project.dependencyFiles,
    },
    configPath,
    reportDir,
    historyFile,
    notes: [`Test dependencies: ${project.setupReason}.`, `Python ${project.python.version}: ${project.python.reason}.`],
  };
}

/** What init prints below "Wrote …": one line per choice, with its reason. */
function explain(ci: InitCiOptions['ci'], project: DetectedProject, loaded: LoadedConfig, runChunksVersion: string | undefined, version: string, historyFile: string): string[] {
  const shown = (command: string): string => command.trim().split(/\r?\n/).join(' && ');
  const lines = [`  Project: ${project.kind === 'node' ? 'Node' : 'Python'}: ${project.reason}.`];
  if (project.kind === 'node') {
    lines.push(`  Setup (every job): ${shown(project.setupCommand)} (${project.setupReason}).`);
  } else {
    const { python } = project;
    const where = ci === 'github' ? (python.versionFile !== undefined ? `setup-python reads ${python.versionFile}` : `setup-python ${python.version}`) : `image python:${python.version}`;
    lines.push(`  Python: ${python.version}, ${python.reason} (${where}).`);
    lines.push(
      runChunksVersion === undefined
        ? `  run-chunks: pip install run-chunks in every job, unpinned: this run-chunks (${version}) is not a released version pip can pin.`
        : `  run-chunks: pip install run-chunks==${runChunksVersion} in every job (the version that wrote this file).`,
    );
    lines.push(`  Test dependencies (chunk jobs only): ${shown(project.setupCommand)} (${project.setupReason}).`);
    if (ci === 'github')
      lines.push(
        project.dependencyFiles.length > 0
          ? `  pip cache (chunk jobs): keyed on ${project.dependencyFiles.join(', ')}.`
          : '  pip cache: none: no requirements file, pyproject.toml, setup.py or setup.cfg to key it on (setup-python fails on `cache: pip` without one).',
      );
    const configured = loaded.config.python;
    if (configured !== undefined && configured.includes('/'))
      lines.push(`  Warning: the config sets python to ${JSON.stringify(configured)}, a path: the CI jobs install into the Python on PATH, not into a venv. Remove "python" from the config, or create that venv in --setup.`);
    for (const note of project.notes) lines.push(`  Note: ${note}`);
  }
  const cache = ci === 'github' ? 'actions/cache, a key per run' : 'GitLab\'s cache, a key per branch';
  lines.push(`  History: ${historyFile}, restored by every job and saved by the summary job after \`run-chunks merge\` records the run (${cache}).`);
  return lines;
}

/** Writes the CI file for `run-chunks init --ci`; returns the exit code. */
export async function writeCiWorkflow(options: InitCiOptions, version: string, cwd: string = process.cwd()): Promise<number> {
  validatePythonVersion(options.pythonVersion);
  const loaded = await loadConfig(options.config, cwd);
  const configPath = projectRelative(loaded.configPath, cwd);
  if (configPath === undefined)
    throw new UserError(`The config ${loaded.configPath} is outside ${cwd}, so a CI job's checkout would not have it. Run run-chunks init --ci from the repository root, with a config inside it.`);
  const target = path.resolve(cwd, options.output ?? DEFAULT_OUTPUT[options.ci]);
  const shownTarget = path.relative(cwd, target) || target;
  if (existsSync(target) && !options.force) throw new UserError(`${shownTarget} already exists. Pass --force to overwrite it, or --output to write elsewhere.`);

  const project = detectProject(await readProjectFiles(cwd), { setupCommand: options.setup, pythonVersion: options.pythonVersion, needsXdist: needsXdist(loaded) });
  const pipVersion = version === '0.0.0' ? undefined : pipVersionOf(version);
  const historyFile = DEFAULT_HISTORY_FILE;
  const common = templateOptionsFor(project, { configPath, reportDir: options.reportDir, historyFile, runChunksVersion: pipVersion });
  const content =
    options.ci === 'github'
      ? buildGithubWorkflow(common)
      : buildGitlabPipeline(buildMatrix(planChunks(loaded, { chunks: [], noParallel: false, passthroughArgs: [], sampleIntervalMs: undefined, retryOnOom: undefined }, path.resolve(cwd, options.reportDir))), common);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  const lines = [
    `Wrote ${shownTarget} (${options.ci}): one job per chunk, and a summary job that runs \`run-chunks merge --config ${configPath}\`.`,
    ...explain(options.ci, project, loaded, pipVersion, version, historyFile),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_CODES.passed;
}
