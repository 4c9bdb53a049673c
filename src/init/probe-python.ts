import type { ChosenInterpreter } from './choose-interpreter.js';
import { describeOutput, runInitPython, type InitLimits } from './run-python.js';
import { UserError } from '../util/user-error.js';

// Finding, not importing (as the run's preflight does): whether pytest and pytest-xdist are there.
const FIND_CHECK = [
  'import importlib.util, json, sys',
  'found = {}',
  'for name in ("pytest", "xdist"):',
  '    try:',
  '        found[name] = importlib.util.find_spec(name) is not None',
  '    except Exception:',
  '        found[name] = False',
  'found["version"] = "%d.%d.%d" % sys.version_info[:3]',
  'print(json.dumps(found))',
].join('\n');

/** What the project's interpreter has. */
export interface PythonFacts {
  version: string;
  xdist: boolean;
}

/** Checks that the interpreter runs and has pytest; a UserError naming it and the fix otherwise. */
export async function probePython(interpreter: ChosenInterpreter, projectDir: string, limits: InitLimits): Promise<PythonFacts> {
  const what = `checking ${interpreter.python} for pytest`;
  const result = await runInitPython([interpreter.python, '-c', FIND_CHECK], what, projectDir, limits);
  let found: { pytest?: boolean; xdist?: boolean; version?: string };
  try {
    found = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as typeof found;
  } catch {
    const how = result.exitCode === null ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
    throw new UserError(`${interpreter.python} (${interpreter.source}) failed while ${what} (${how}; ${describeOutput(result)}). Is it a Python interpreter? Pass the project's with --python PATH.`);
  }
  if (found.pytest !== true)
    throw new UserError(
      `pytest is not installed for ${interpreter.python} (${interpreter.source}), so init cannot collect the tests. Install it there: ${interpreter.python} -m pip install pytest pytest-xdist, or pass the interpreter that has it with --python PATH.`,
    );
  return { version: found.version ?? 'unknown', xdist: found.xdist === true };
}
