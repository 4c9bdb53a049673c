import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectProject, findRequirementFiles, type DetectOptions, type ProjectFiles, type PythonProject } from '../../../src/ci/detect-project.js';
import { pipVersionOf } from '../../../src/ci/pip-version.js';
import { choosePythonVersion, DEFAULT_CI_PYTHON, lowerBoundOf } from '../../../src/ci/python-version-choice.js';

const NO_OPTIONS: DetectOptions = { setupCommand: undefined, pythonVersion: undefined, needsXdist: false };

function files(texts: Record<string, string>, extraNames: string[] = [], requirementsDir: Record<string, string> = {}): ProjectFiles {
  const all = new Map(Object.entries(texts));
  for (const [name, text] of Object.entries(requirementsDir)) all.set(`requirements/${name}`, text);
  return { rootNames: [...Object.keys(texts), ...extraNames], requirementsDirNames: Object.keys(requirementsDir), texts: all };
}

function python(project: ReturnType<typeof detectProject>): PythonProject {
  assert.equal(project.kind, 'python');
  return project as PythonProject;
}

describe('findRequirementFiles', () => {
  const cases: [string, string[], string[], string[]][] = [
    ['requirements.txt alone', ['requirements.txt'], [], ['requirements.txt']],
    [
      'test and dev files in every spelling, after requirements.txt',
      ['requirements.txt', 'requirements-dev.txt', 'requirements_test.txt', 'test-requirements.txt', 'dev_requirements.txt', 'requirements.ci.txt', 'requirements-tests-py312.txt'],
      [],
      ['requirements.txt', 'dev_requirements.txt', 'requirements-dev.txt', 'requirements-tests-py312.txt', 'requirements.ci.txt', 'requirements_test.txt', 'test-requirements.txt'],
    ],
    ['docs, lint and lock files are not test dependencies', ['requirements-docs.txt', 'requirements-lint.txt', 'requirements.in', 'requirements-latest.txt', 'contest-requirements.txt'], [], []],
    ['requirements/ files named for tests or development', ['README.md'], ['base.txt', 'test.txt', 'dev.txt', 'prod.txt', 'testing.in', 'tests-py312.txt'], ['requirements/dev.txt', 'requirements/test.txt', 'requirements/tests-py312.txt']],
  ];
  for (const [name, rootNames, requirementsDirNames, expected] of cases)
    test(name, () => assert.deepEqual(findRequirementFiles({ rootNames, requirementsDirNames }), expected));
});

describe('detectProject', () => {
  test('a package.json makes it a Node project: npm ci unless --setup says otherwise', () => {
    const node = detectProject(files({ 'package.json': '{}', 'requirements.txt': 'pytest\n' }), NO_OPTIONS);
    assert.deepEqual(node, { kind: 'node', reason: "package.json found: run-chunks comes from the project's node_modules (npx run-chunks)", setupCommand: 'npm ci', setupReason: 'the default for a project with a package.json' });
    assert.equal(detectProject(files({ 'package.json': '{}' }), { ...NO_OPTIONS, setupCommand: 'pnpm install' }).setupCommand, 'pnpm install');
  });

  const cases: { name: string; files: ProjectFiles; options?: Partial<DetectOptions>; setup: string; reason: RegExp; dependencyFiles?: string[] }[] = [
    {
      name: 'requirements files that name pytest: installed as they are',
      files: files({ 'requirements.txt': 'numpy==2.1\n', 'requirements-dev.txt': '-r requirements.txt\nPytest_XDist>=3 # parallel\npytest ; python_version >= "3.9"\n' }),
      options: { needsXdist: true },
      setup: 'pip install -r requirements.txt -r requirements-dev.txt',
      reason: /^found requirements\.txt, requirements-dev\.txt$/,
      dependencyFiles: ['requirements.txt', 'requirements-dev.txt'],
    },
    {
      name: 'a requirements.txt without pytest: pytest is added, and pytest-xdist when a chunk has workers',
      files: files({ 'requirements.txt': 'numpy\n' }),
      options: { needsXdist: true },
      setup: 'pip install -r requirements.txt pytest pytest-xdist',
      reason: /found requirements\.txt; pytest and pytest-xdist are not among the declared dependencies \(a chunk runs with workers\)/,
    },
    {
      name: 'a pyproject.toml test extra, installed editable; "test" wins over "dev"',
      files: files({ 'pyproject.toml': '[project]\nname = "demo"\ndependencies = ["pytest"]\n[project.optional-dependencies]\ndev = ["ruff"]\ntest = ["hypothesis"]\n' }),
      setup: "pip install -e '.[test]'",
      reason: /extra \[project\.optional-dependencies\] test$/,
      dependencyFiles: ['pyproject.toml'],
    },
    {
      name: 'the extra named "tests"',
      files: files({ 'pyproject.toml': '[project]\nname = "demo"\n[project.optional-dependencies]\ntests = ["pytest"]\ndocs = ["sphinx"]\n' }),
      setup: "pip install -e '.[tests]'",
      reason: /extra \[project\.optional-dependencies\] tests$/,
    },
    {
      name: 'a package with no test extra: pip install . (and pytest, not declared)',
      files: files({ 'pyproject.toml': '[project]\nname = "demo"\n[build-system]\nrequires = ["hatchling"]\n' }),
      setup: 'pip install . pytest',
      reason: /the project is a package \(pyproject\.toml\) with no test extra/,
    },
    {
      name: 'a setup.py package with requirements: both',
      files: files({ 'setup.py': 'from setuptools import setup\nsetup()\n', 'requirements-test.txt': 'pytest\n' }),
      setup: 'pip install -r requirements-test.txt .',
      reason: /package \(setup\.py\/setup\.cfg\)/,
      dependencyFiles: ['requirements-test.txt', 'setup.py'],
    },
    {
      name: 'requirements that install the project themselves: the extra is not installed twice',
      files: files({ 'requirements-dev.txt': '-e .[test]\n', 'pyproject.toml': '[project]\nname = "demo"\n[project.optional-dependencies]\ntest = ["pytest"]\n' }),
      setup: 'pip install -r requirements-dev.txt pytest',
      reason: /the requirements install the project itself/,
    },
    {
      name: 'a pyproject.toml that only configures tools is not a package',
      files: files({ 'pyproject.toml': '[tool.pytest.ini_options]\nmarkers = ["slow"]\n[tool.run-chunks]\ntestPaths = ["tests"]\n', 'requirements.txt': 'pytest\n' }),
      setup: 'pip install -r requirements.txt',
      reason: /^found requirements\.txt$/,
      dependencyFiles: ['requirements.txt', 'pyproject.toml'],
    },
    {
      name: 'a dependency group (PEP 735), with a pip that reads it',
      files: files({ 'pyproject.toml': '[dependency-groups]\ntest = ["pytest", {include-group = "base"}]\nbase = ["numpy"]\n' }),
      setup: 'python -m pip install --upgrade "pip>=25.1"\npip install --group test',
      reason: /the dependency group test$/,
    },
    {
      name: 'nothing declared: pytest alone, said so',
      files: files({}, ['pytest.ini']),
      setup: 'pip install pytest',
      reason: /^found no requirements file, no test extra or dependency group in pyproject\.toml and no package to install: installs pytest only; pass --setup to install more$/,
      dependencyFiles: [],
    },
    {
      name: '--setup wins over everything detected',
      files: files({ 'requirements.txt': 'pytest\n' }),
      options: { setupCommand: 'make test-deps' },
      setup: 'make test-deps',
      reason: /^given with --setup$/,
      dependencyFiles: ['requirements.txt'],
    },
  ];
  for (const { name, files: projectFiles, options, setup, reason, dependencyFiles } of cases) {
    test(name, () => {
      const project = python(detectProject(projectFiles, { ...NO_OPTIONS, ...options }));
      assert.equal(project.setupCommand, setup);
      assert.match(project.setupReason, reason);
      if (dependencyFiles !== undefined) assert.deepEqual(project.dependencyFiles, dependencyFiles);
    });
  }

  test('a pyproject.toml that is not TOML is noted and left unread', () => {
    const project = python(detectProject(files({ 'pyproject.toml': '[project\nname = 1\n' }), NO_OPTIONS));
    assert.equal(project.setupCommand, 'pip install pytest');
    assert.match(project.notes.join('\n'), /^pyproject\.toml is not valid TOML \(.+\), so it was not read; pip would refuse it too\.$/);
  });

  test('the Python version comes from .python-version over requires-python', () => {
    const project = python(detectProject(files({ '.python-version': '3.11\n', 'pyproject.toml': '[project]\nname = "x"\nrequires-python = ">=3.9"\n' }), NO_OPTIONS));
    assert.deepEqual(project.python, { versionFile: '.python-version', version: '3.11', reason: 'from .python-version (3.11)', notes: [] });
    assert.equal(python(detectProject(files({ 'pyproject.toml': '[project]\nname = "x"\nrequires-python = ">=3.9"\n' }), NO_OPTIONS)).python.version, '3.9');
  });
});

describe('choosePythonVersion', () => {
  const none = { given: undefined, pythonVersionText: undefined, requiresPython: undefined };
  test('--python-version wins', () => {
    assert.deepEqual(choosePythonVersion({ ...none, given: '3.12', pythonVersionText: '3.10\n' }), { versionFile: undefined, version: '3.12', reason: 'given with --python-version', notes: [] });
  });
  test('.python-version: a CPython version is handed to setup-python as the file; comments and blank lines are skipped', () => {
    assert.deepEqual(choosePythonVersion({ ...none, pythonVersionText: '# pinned\n\n3.12.4\n3.11\n' }), { versionFile: '.python-version', version: '3.12', reason: 'from .python-version (3.12.4)', notes: [] });
    assert.equal(choosePythonVersion({ ...none, pythonVersionText: '3.13t' }).version, '3.13');
  });
  test('.python-version naming PyPy: GitHub reads the file, GitLab falls back to the default CPython image', () => {
    const choice = choosePythonVersion({ ...none, pythonVersionText: 'pypy3.10\n' });
    assert.equal(choice.versionFile, '.python-version');
    assert.equal(choice.version, DEFAULT_CI_PYTHON);
    assert.match(choice.notes[0]!, /GitLab's python image is CPython/);
  });
  test('.python-version holding a virtualenv name is not used, and said so', () => {
    const choice = choosePythonVersion({ ...none, pythonVersionText: 'my-project-env\n', requiresPython: '>=3.11' });
    assert.deepEqual(choice, {
      versionFile: undefined,
      version: '3.11',
      reason: 'the lower bound of requires-python = ">=3.11" in pyproject.toml',
      notes: ['.python-version holds "my-project-env", not a Python version setup-python can read, so it was not used.'],
    });
  });
  test('no pin at all: the default, said so', () => {
    assert.deepEqual(choosePythonVersion(none), { versionFile: undefined, version: DEFAULT_CI_PYTHON, reason: 'the default (the project pins none; pass --python-version to choose)', notes: [] });
    assert.match(choosePythonVersion({ ...none, requiresPython: '>3.9' }).reason, /pins none that can be read/);
  });

  const bounds: [string, string | undefined][] = [
    ['>=3.9', '3.9'],
    ['>= 3.10', '3.10'],
    ['>=3.10.2', '3.10'],
    ['>=3.10,<4', '3.10'],
    ['>=3.11, !=3.11.1, <3.14', '3.11'],
    ['~=3.12', '3.12'],
    ['==3.12.*', '3.12'],
    ['>3.9', undefined],
    ['<3.13', undefined],
    ['>=3.9,>=3.10', undefined],
    ['>=2.7', undefined],
    ['>=3.9; extra', undefined],
    ['', undefined],
  ];
  for (const [specifier, expected] of bounds) test(`lowerBoundOf(${JSON.stringify(specifier)}) is ${expected}`, () => assert.equal(lowerBoundOf(specifier), expected));
});

describe('pipVersionOf', () => {
  const cases: [string, string | undefined][] = [
    ['0.4.1', '0.4.1'],
    ['1.2.0-rc.1', '1.2.0rc1'],
    ['1.2.0-alpha.3', '1.2.0a3'],
    ['1.2.0-beta.0', '1.2.0b0'],
    ['1.2.0-dev', undefined],
    ['1.2', undefined],
  ];
  for (const [semver, expected] of cases) test(`${semver} → ${expected}`, () => assert.equal(pipVersionOf(semver), expected));
});
