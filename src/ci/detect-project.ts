// What kind of project `run-chunks init --ci` writes CI for, and how a fresh runner installs its
// tests' dependencies. Pure: it decides from a snapshot of the project's files (read-project-files.ts),
// and says why in words, since a CI file that installs the wrong thing fails far from here.

import { parse } from 'smol-toml';
import { quoteShellArg } from '../util/shell-quote.js';
import { choosePythonVersion, PYTHON_VERSION_FILE, type PythonVersionChoice } from './python-version-choice.js';

/** The project's files as detection needs them. */
export interface ProjectFiles {
  /** Names of the entries in the project folder. */
  rootNames: readonly string[];
  /** Names of the entries in its requirements/ folder (empty when there is none). */
  requirementsDirNames: readonly string[];
  /** Texts by path relative to the project: pyproject.toml, .python-version, setup.cfg and every requirements file listed. */
  texts: ReadonlyMap<string, string>;
}

/** What detection is told besides the files. */
export interface DetectOptions {
  /** --setup: the user's own install command, which wins over anything detected. */
  setupCommand: string | undefined;
  /** --python-version. */
  pythonVersion: string | undefined;
  /** Whether some chunk runs pytest with more than one worker (or "auto"), so pytest-xdist must be there. */
  needsXdist: boolean;
}

/** A project with a package.json: run-chunks and the tests' setup come from npm, as before. */
export interface NodeProject {
  kind: 'node';
  reason: string;
  setupCommand: string;
  setupReason: string;
}

/** A Python project: run-chunks from pip, the tests' dependencies from what the project declares. */
export interface PythonProject {
  kind: 'python';
  reason: string;
  /** The command that installs the tests' dependencies (run-chunks itself is installed apart). */
  setupCommand: string;
  setupReason: string;
  python: PythonVersionChoice;
  /** Existing files that pin the dependencies: the key of setup-python's pip cache (empty: no cache). */
  dependencyFiles: string[];
  /** Things noticed but not acted on, for init's output. */
  notes: string[];
}

export type DetectedProject = NodeProject | PythonProject;

const PACKAGE_JSON = 'package.json';
const PYPROJECT = 'pyproject.toml';
const REQUIREMENTS_DIR = 'requirements';

// Extras and dependency groups that hold test dependencies, most specific first: a project with
// both `test` and `dev` keeps its linters and docs tools out of `test`.
const TEST_EXTRAS = ['test', 'tests', 'testing', 'dev'] as const;

// requirements.txt holds what the code itself needs; files named for tests, development or CI hold
// what the tests need on top: requirements-dev.txt, requirements_test.txt, test-requirements.txt,
// requirements.ci.txt; and in requirements/, test.txt, dev.txt, tests-py312.txt.
const ROOT_REQUIREMENTS = /^(?:([\w.-]+)[-_.])?requirements(?:[-_.]([\w.-]+))?\.txt$/i;
const TEST_WORD = /(?:^|[-_.])(?:tests?|testing|dev|develop|development|ci)(?:$|[-_.])/i;
const BASE_REQUIREMENTS = 'requirements.txt';

/** The requirements files to install, by path: requirements.txt first, then the test ones in name order. */
export function findRequirementFiles(files: Pick<ProjectFiles, 'rootNames' | 'requirementsDirNames'>): string[] {
  const root = files.rootNames.filter((name) => {
    const match = ROOT_REQUIREMENTS.exec(name);
    return match !== null && `${match[1] ?? ''}.${match[2] ?? ''}`.split('.').some((part) => TEST_WORD.test(part));
  });
  const nested = files.requirementsDirNames.filter((name) => name.toLowerCase().endsWith('.txt') && TEST_WORD.test(name.slice(0, -4))).map((name) => `${REQUIREMENTS_DIR}/${name}`);
  const base = files.rootNames.includes(BASE_REQUIREMENTS) ? [BASE_REQUIREMENTS] : [];
  return [...base, ...[...root].sort(), ...nested.sort()];
}

/** The parts of pyproject.toml detection reads. */
interface PyprojectFacts {
  isPackage: boolean;
  requiresPython: string | undefined;
  dependencies: string[];
  extras: Record<string, string[]>;
  groups: Record<string, unknown[]>;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function table(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** pyproject.toml's facts, or a note saying why it was not read. */
function readPyproject(text: string): PyprojectFacts | string {
  let document: Record<string, unknown>;
  try {
    document = parse(text) as Record<string, unknown>;
  } catch (error) {
    return `${PYPROJECT} is not valid TOML (${(error instanceof Error ? error.message : String(error)).split('\n')[0]}), so it was not read; pip would refuse it too.`;
  }
  const project = table(document.project);
  const extras = table(project?.['optional-dependencies']) ?? {};
  const groups = table(document['dependency-groups']) ?? {};
  return {
    // [build-system] alone (an older Poetry project) is still something pip can build.
    isPackage: project !== undefined || table(document['build-system']) !== undefined,
    requiresPython: typeof project?.['requires-python'] === 'string' ? project['requires-python'] : undefined,
    dependencies: stringList(project?.dependencies),
    extras: Object.fromEntries(Object.entries(extras).map(([name, list]) => [name, stringList(list)])),
    groups: Object.fromEntries(Object.entries(groups).map(([name, list]) => [name, Array.isArray(list) ? list : []])),
  };
}

/** PEP 503's normalized project name of a requirement line ("pytest_xdist>=3" → "pytest-xdist"), or undefined. */
function requirementName(line: string): string | undefined {
  const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line.replace(/#.*/, ''));
  return match?.[1]!.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Whether a requirements file installs the project itself (`-e .`, `.[test]`, `--editable=.`). */
function installsProjectItself(text: string): boolean {
  return text.split(/\r?\n/).some((line) => /^\s*(?:(?:-e|--editable)(?:\s+|=))?\.(?:\[[^\]]*\])?\s*(?:#.*)?$/.test(line));
}

/** The requirement lines of a requirements file (not options, not comments). */
function requirementLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => !/^\s*(?:-|#|$)/.test(line));
}

/** Whether the project has a setup.py, or a setup.cfg with metadata: a package without a pyproject.toml. */
function hasSetuptoolsPackage(files: ProjectFiles): boolean {
  return files.rootNames.includes('setup.py') || /^\[metadata\]/m.test(files.texts.get('setup.cfg') ?? '');
}

/** The install command's parts and why each is there, for a Python project. */
function pythonInstall(files: ProjectFiles, pyproject: PyprojectFacts | undefined, needsXdist: boolean): { args: string[]; reasons: string[]; preamble: string[] } {
  const args: string[] = [];
  const reasons: string[] = [];
  const preamble: string[] = [];
  const declared: string[] = [];
  const requirementFiles = findRequirementFiles(files);
  for (const file of requirementFiles) {
    args.push('-r', quoteShellArg(file));
    declared.push(...requirementLines(files.texts.get(file) ?? ''));
  }
  if (requirementFiles.length > 0) reasons.push(`found ${requirementFiles.join(', ')}`);
  const projectInstalled = requirementFiles.some((file) => installsProjectItself(files.texts.get(file) ?? ''));
  const isPackage = (pyproject?.isPackage ?? false) || hasSetuptoolsPackage(files);
  const extra = TEST_EXTRAS.find((name) => pyproject?.extras[name] !== undefined);
  const group = extra === undefined ? TEST_EXTRAS.find((name) => pyproject?.groups[name] !== undefined) : undefined;
  if (pyproject !== undefined) declared.push(...pyproject.dependencies);
  if (extra !== undefined && !projectInstalled) {
    // Editable, as a developer installs it: the tests import the checked-out code, not a copy.
    args.push('-e', quoteShellArg(`.[${extra}]`));
    declared.push(...pyproject!.extras[extra]!);
    reasons.push(`${PYPROJECT} declares the extra [project.optional-dependencies] ${extra}`);
  } else if (isPackage && !projectInstalled) {
    args.push('.');
    reasons.push(`the project is a package (${pyproject?.isPackage ? PYPROJECT : 'setup.py/setup.cfg'}) with no test extra (${TEST_EXTRAS.join(', ')})`);
  } else if (projectInstalled) {
    reasons.push('the requirements install the project itself');
  }
  if (group !== undefined) {
    args.push('--group', quoteShellArg(group));
    declared.push(...stringList(pyproject!.groups[group]));
    // pip reads [dependency-groups] (PEP 735) from 25.1 on; the runner's pip may be older.
    preamble.push('python -m pip install --upgrade "pip>=25.1"');
    reasons.push(`${PYPROJECT} declares the dependency group ${group}`);
  }
  // Without pytest nothing runs; without pytest-xdist a chunk with workers fails its preflight.
  // A requirement given twice in one pip command is resolved once, so naming one the files
  // pull in through `-r` costs nothing.
  const names = new Set(declared.map(requirementName));
  const missing = ['pytest', ...(needsXdist ? ['pytest-xdist'] : [])].filter((name) => !names.has(name));
  if (reasons.length === 0) {
    args.push(...missing);
    reasons.push(`found no requirements file, no test extra or dependency group in ${PYPROJECT} and no package to install: installs ${missing.join(' and ')} only; pass --setup to install more`);
  } else if (missing.length > 0) {
    args.push(...missing);
    reasons.push(`${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not among the declared dependencies${needsXdist && missing.includes('pytest-xdist') ? ' (a chunk runs with workers)' : ''}`);
  }
  return { args, reasons, preamble };
}

/** Files that key setup-python's pip cache: the requirements files and the package's metadata. */
function dependencyFilesOf(files: ProjectFiles): string[] {
  const metadata = [PYPROJECT, 'setup.py', 'setup.cfg'].filter((name) => files.rootNames.includes(name));
  return [...findRequirementFiles(files), ...metadata];
}

/** Detects the project: Node when it has a package.json, else Python. */
export function detectProject(files: ProjectFiles, options: DetectOptions): DetectedProject {
  if (files.rootNames.includes(PACKAGE_JSON)) {
    return {
      kind: 'node',
      reason: `${PACKAGE_JSON} found: run-chunks comes from the project's node_modules (npx run-chunks)`,
      setupCommand: options.setupCommand ?? 'npm ci',
      setupReason: options.setupCommand !== undefined ? 'given with --setup' : `the default for a project with a ${PACKAGE_JSON}`,
    };
  }
  const notes: string[] = [];
  const pyprojectText = files.texts.get(PYPROJECT);
  const read = pyprojectText === undefined ? undefined : readPyproject(pyprojectText);
  if (typeof read === 'string') notes.push(read);
  const pyproject = typeof read === 'string' ? undefined : read;
  const python = choosePythonVersion({ given: options.pythonVersion, pythonVersionText: files.texts.get(PYTHON_VERSION_FILE), requiresPython: pyproject?.requiresPython });
  notes.push(...python.notes);
  const base = { kind: 'python' as const, reason: `no ${PACKAGE_JSON}: a Python project, so run-chunks comes from pip`, python, dependencyFiles: dependencyFilesOf(files), notes };
  if (options.setupCommand !== undefined) return { ...base, setupCommand: options.setupCommand, setupReason: 'given with --setup' };
  const { args, reasons, preamble } = pythonInstall(files, pyproject, options.needsXdist);
  return { ...base, setupCommand: [...preamble, `pip install ${args.join(' ')}`].join('\n'), setupReason: reasons.join('; ') };
}
