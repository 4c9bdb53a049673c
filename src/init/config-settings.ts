import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePython } from '../plan/resolve-python.js';
import type { ChosenInterpreter } from './choose-interpreter.js';

/** The top-level fields of a starter config, each with why it is set or left out. */
export interface TopLevelSettings {
  python: string | undefined;
  cwd: string | undefined;
  testPaths: string[] | undefined;
  schema: string | undefined;
  /** One line per decision, for the printout. */
  notes: string[];
}

export interface SettingsInput {
  interpreter: ChosenInterpreter;
  projectDir: string;
  /** Folder of the file being written: the config's relative paths start there. */
  configDir: string;
  rootdir: string;
  inifile: string | undefined;
  testpaths: readonly string[];
  /** The package's JSON schema, when it ships one; undefined for a pyproject.toml. */
  schemaFile: string | undefined;
}

/** The JSON schema shipped with this package (schema/ at its root: dist/src/init → root). */
export function packagedSchemaFile(): string | undefined {
  const file = fileURLToPath(new URL('../../../schema/chunks.config.schema.json', import.meta.url));
  return existsSync(file) ? file : undefined;
}

const GLOB_CHARACTERS = /[*?[]/;

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** `target` relative to `from`, as a config path (always with a slash, so it is never a bare name); undefined when it lies outside `from`. */
function relativeInside(from: string, target: string): string | undefined {
  const relative = path.relative(from, target);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return relative.includes('/') ? relative : `./${relative}`;
}

function pythonSetting(input: SettingsInput, notes: string[]): string | undefined {
  const { interpreter, projectDir, configDir } = input;
  const ownPick = resolvePython(undefined, projectDir, configDir);
  if (interpreter.python === ownPick) {
    notes.push(`"python" is left out: run-chunks finds ${interpreter.python.includes('/') ? path.relative(projectDir, interpreter.python) || interpreter.python : interpreter.python} by itself.`);
    return undefined;
  }
  const value = interpreter.python.includes('/') ? (relativeInside(configDir, interpreter.python) ?? interpreter.python) : interpreter.python;
  notes.push(`"python": ${value}, since run-chunks would otherwise use ${ownPick.includes('/') ? path.relative(projectDir, ownPick) : ownPick}.`);
  return value;
}

function testPathsSetting(input: SettingsInput, notes: string[]): string[] | undefined {
  const ini = input.inifile === undefined ? 'its config' : path.basename(input.inifile);
  if (input.testpaths.length === 0) {
    notes.push(`"testPaths" is left out: pytest finds the tests from the project folder by itself (${ini} sets no testpaths).`);
    return undefined;
  }
  if (!samePath(input.rootdir, input.projectDir)) {
    notes.push(`"testPaths" is left out: pytest's rootdir is ${input.rootdir}, not this folder, so its testpaths do not apply here.`);
    return undefined;
  }
  if (input.testpaths.some((entry) => GLOB_CHARACTERS.test(entry))) {
    notes.push(`"testPaths" is left out: ${ini}'s testpaths has glob patterns, which pytest expands itself when it runs here.`);
    return undefined;
  }
  notes.push(`"testPaths": ${input.testpaths.join(', ')}, from ${ini}'s testpaths.`);
  return [...input.testpaths];
}

/** Decides python, cwd, testPaths and $schema for a config written into `configDir`. */
export function chooseTopLevelSettings(input: SettingsInput): TopLevelSettings {
  const notes: string[] = [];
  const python = pythonSetting(input, notes);
  const cwd = samePath(input.configDir, input.projectDir) ? undefined : path.relative(input.configDir, input.projectDir) || '.';
  if (cwd !== undefined) notes.push(`"cwd": ${cwd}, the project folder, seen from the config file.`);
  const testPaths = testPathsSetting(input, notes);
  const schemaPath = input.schemaFile === undefined ? undefined : relativeInside(input.configDir, input.schemaFile);
  // "./" as in the demo's config: editors read $schema relative to the file either way.
  const schema = schemaPath === undefined || schemaPath.startsWith('./') ? schemaPath : `./${schemaPath}`;
  if (input.schemaFile !== undefined && schema === undefined) notes.push(`"$schema" is left out: the package's schema (${input.schemaFile}) lies outside this project.`);
  return { python, cwd, testPaths, schema, notes };
}
