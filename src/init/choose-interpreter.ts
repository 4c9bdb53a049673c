import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { quoteText } from '../config/quote-text.js';
import { findOnPath } from '../gpu/find-on-path.js';
import { UserError } from '../util/user-error.js';

/** The Python init collects with, and how it was found. */
export interface ChosenInterpreter {
  /** What to run: an absolute path, or a bare name found on PATH. */
  python: string;
  /** How it was found, for the printout ("--python", "the project's .venv", "python3 on PATH"). */
  source: string;
}

// The folders `python -m venv` is usually given, in the order run-chunks' own lookup would want them
// (it looks for .venv by itself; a venv/ has to be named in the config).
const VENV_FOLDERS = ['.venv', 'venv'];
// run-chunks' own fallback (resolve-python.ts) first, then the name some systems use for it.
const PATH_NAMES = ['python3', 'python'];

const VENV_HINT = 'python3 -m venv .venv && .venv/bin/python -m pip install pytest pytest-xdist';

/**
 * `--python` when given (a path is taken from the project folder, a bare name from PATH), else
 * the project's `.venv/bin/python` or `venv/bin/python`, else python3 (or python) on PATH.
 */
export function chooseInterpreter(given: string | undefined, projectDir: string, envPath: string | undefined): ChosenInterpreter {
  if (given !== undefined) {
    if (!given.includes('/')) {
      const found = findOnPath(given, envPath);
      if (found === undefined) throw new UserError(`--python ${quoteText(given, 200)} is not on PATH. Give the interpreter's path (e.g. --python .venv/bin/python), or leave --python out to use the project's .venv.`);
      return { python: given, source: `--python, found on PATH at ${found}` };
    }
    const resolved = path.resolve(projectDir, given);
    if (!existsSync(resolved)) throw new UserError(`--python ${quoteText(given, 200)} does not exist (${resolved}). Point it at the project's interpreter (e.g. --python .venv/bin/python), or create the venv: ${VENV_HINT}.`);
    if (statSync(resolved).isDirectory()) throw new UserError(`--python ${quoteText(given, 200)} is a folder. Point it at the interpreter inside it, e.g. ${path.join(given, 'bin', 'python')}.`);
    return { python: resolved, source: '--python' };
  }
  for (const folder of VENV_FOLDERS) {
    const candidate = path.join(projectDir, folder, 'bin', 'python');
    if (existsSync(candidate)) return { python: candidate, source: `the project's ${folder}` };
  }
  for (const name of PATH_NAMES) {
    const found = findOnPath(name, envPath);
    if (found !== undefined) return { python: name, source: `${name} on PATH (${found}), since the project has no .venv or venv` };
  }
  throw new UserError(`No Python to collect the tests with: ${projectDir} has no .venv/bin/python or venv/bin/python, and neither python3 nor python is on PATH. Create the project's venv (${VENV_HINT}), or pass --python PATH.`);
}
