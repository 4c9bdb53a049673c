// Which Python the generated CI jobs run: the project's own pin where it has one, so CI tests
// what the team runs locally, and never a guess from a specifier too complex to read one from.

/** Used when the project pins nothing: the newest release but one, which nearly every package has wheels for. */
export const DEFAULT_CI_PYTHON = '3.13';

/** The file setup-python reads with python-version-file, and pyenv, uv and rye write. */
export const PYTHON_VERSION_FILE = '.python-version';

/** The Python version of the CI jobs, and where it came from. */
export interface PythonVersionChoice {
  /** For GitHub's python-version-file: the project's own file, read by setup-python itself. */
  versionFile: string | undefined;
  /** MAJOR.MINOR (GitHub's python-version when there is no file; GitLab's python:<version> image). */
  version: string;
  /** Where the version came from, in words, for init's output. */
  reason: string;
  /** Files or values that were looked at but not used, and why. */
  notes: string[];
}

// What setup-python accepts from .python-version: a CPython version (3.12, 3.12.4, 3.13.0rc1,
// 3.13t) or a PyPy/GraalPy one. A pyenv virtualenv name ("my-env") would make it fail.
const CPYTHON_VERSION = /^(\d+)\.(\d+)(?:\.\d+)?(?:(?:a|b|rc)\d+)?t?$/;
const OTHER_IMPLEMENTATION = /^(?:pypy|graalpy)\d/;

/** The first line of .python-version that is neither blank nor a comment. */
function firstVersionLine(text: string): string | undefined {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line !== '' && !line.startsWith('#'));
}

// A lower bound run-chunks can read a version from: ">=3.10", ">=3.10.2", "~=3.11", "==3.12.*",
// "==3.12.1". The other clauses may only cap or exclude (<, <=, !=); anything else (">3.9",
// "||", "===", several lower bounds) is left alone rather than guessed at.
const LOWER_BOUND = /^(?:>=|~=|==)\s*(\d+)\.(\d+)(?:\.\d+|\.\*)?$/;
const CAP_OR_EXCLUSION = /^(?:<=?|!=)\s*\d+(?:\.\d+)*(?:\.\*)?$/;

/** MAJOR.MINOR of requires-python's lower bound, or undefined when the specifier is not that simple. */
export function lowerBoundOf(requiresPython: string): string | undefined {
  const clauses = requiresPython.split(',').map((clause) => clause.trim());
  const bounds = clauses.map((clause) => LOWER_BOUND.exec(clause)).filter((match) => match !== null);
  if (bounds.length !== 1) return undefined;
  if (!clauses.every((clause) => LOWER_BOUND.test(clause) || CAP_OR_EXCLUSION.test(clause))) return undefined;
  const [, major, minor] = bounds[0]!;
  return major === '3' ? `${major}.${minor}` : undefined;
}

/**
 * The CI Python: --python-version, else .python-version (passed to setup-python as the file, so it
 * stays the one place the pin lives), else requires-python's lower bound (the oldest Python the
 * project claims to support is the one most likely to break), else DEFAULT_CI_PYTHON.
 */
export function choosePythonVersion(input: { given: string | undefined; pythonVersionText: string | undefined; requiresPython: string | undefined }): PythonVersionChoice {
  const notes: string[] = [];
  if (input.given !== undefined) return { versionFile: undefined, version: input.given, reason: 'given with --python-version', notes };
  if (input.pythonVersionText !== undefined) {
    const line = firstVersionLine(input.pythonVersionText);
    const cpython = line === undefined ? null : CPYTHON_VERSION.exec(line);
    if (cpython) return { versionFile: PYTHON_VERSION_FILE, version: `${cpython[1]}.${cpython[2]}`, reason: `from ${PYTHON_VERSION_FILE} (${line})`, notes };
    if (line !== undefined && OTHER_IMPLEMENTATION.test(line)) {
      notes.push(`${PYTHON_VERSION_FILE} names ${line}: GitHub's setup-python reads it, but GitLab's python image is CPython, so GitLab jobs use python:${DEFAULT_CI_PYTHON}.`);
      return { versionFile: PYTHON_VERSION_FILE, version: DEFAULT_CI_PYTHON, reason: `from ${PYTHON_VERSION_FILE} (${line})`, notes };
    }
    notes.push(`${PYTHON_VERSION_FILE} holds ${line === undefined ? 'no version' : JSON.stringify(line)}, not a Python version setup-python can read, so it was not used.`);
  }
  if (input.requiresPython !== undefined) {
    const bound = lowerBoundOf(input.requiresPython);
    if (bound !== undefined) return { versionFile: undefined, version: bound, reason: `the lower bound of requires-python = ${JSON.stringify(input.requiresPython)} in pyproject.toml`, notes };
    notes.push(`requires-python = ${JSON.stringify(input.requiresPython)} has no single lower bound to read a version from.`);
  }
  return { versionFile: undefined, version: DEFAULT_CI_PYTHON, reason: `the default (the project pins none${notes.length > 0 ? ' that can be read' : ''}; pass --python-version to choose)`, notes };
}
