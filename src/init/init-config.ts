// `run-chunks init` without --ci: a starter config for the project in the current folder, from
// the markers its tests carry. The steps, in order: decide where to write (refusing an existing
// config before anything slow runs), find the interpreter, check it has pytest, collect the suite
// and pytest's marker list, map the markers onto chunks, decide the top-level fields, write.

import os from 'node:os';
import path from 'node:path';
import { MAX_DURATION_MS, parseDurationMs } from '../config/parse-duration.js';
import { DEFAULT_COLLECT_TIMEOUT_MS } from '../plan/collect-limits.js';
import { UserError } from '../util/user-error.js';
import { chooseInterpreter, type ChosenInterpreter } from './choose-interpreter.js';
import { collectSuite } from './collect-suite.js';
import { chooseTopLevelSettings, packagedSchemaFile, type TopLevelSettings } from './config-settings.js';
import { mapMarkers, type MarkerMapping } from './map-markers.js';
import { probePython, type PythonFacts } from './probe-python.js';
import { buildStarterConfig, renderJsonConfig, renderPyprojectAppend } from './render-config.js';
import { chooseConfigTarget, writeConfigText, type ConfigTarget } from './write-config.js';

/** What `run-chunks init` was asked for. */
export interface InitRequest {
  python: string | undefined;
  output: string | undefined;
  force: boolean;
  /** A duration ("2m"): how long each collection may take, written into the config as collectTimeout. */
  collectTimeout: string | undefined;
}

/** What init found and wrote, for the printout. */
export interface InitResult {
  projectDir: string;
  interpreter: ChosenInterpreter;
  python: PythonFacts;
  tests: number;
  rootdir: string;
  inifile: string | undefined;
  cores: number;
  mapping: MarkerMapping;
  settings: TopLevelSettings;
  target: ConfigTarget;
}

function timeoutOf(collectTimeout: string | undefined): number {
  if (collectTimeout === undefined) return DEFAULT_COLLECT_TIMEOUT_MS;
  const timeoutMs = parseDurationMs(collectTimeout);
  if (timeoutMs === undefined || timeoutMs <= 0 || timeoutMs > MAX_DURATION_MS) throw new UserError(`--collect-timeout ${collectTimeout} is not a duration above 0 and at most 7 days. Write it like "90s" or "5m".`);
  return timeoutMs;
}

/** Writes a starter config for the project in `projectDir`; `signal` (Ctrl-C) stops what is running with its process group. */
export async function writeStarterConfig(request: InitRequest, projectDir: string, signal?: AbortSignal): Promise<InitResult> {
  const limits = { timeoutMs: timeoutOf(request.collectTimeout), signal, timeoutFlag: '--collect-timeout' };
  const target = await chooseConfigTarget(projectDir, request.output, request.force);
  const interpreter = chooseInterpreter(request.python, projectDir, process.env.PATH);
  const python = await probePython(interpreter, projectDir, limits);
  const suite = await collectSuite(interpreter, projectDir, limits);
  const cores = os.availableParallelism();
  const mapping = mapMarkers({ tests: suite.tests, registered: new Set(suite.known.map((marker) => marker.name)), cores, xdist: python.xdist });
  const settings = chooseTopLevelSettings({
    interpreter,
    projectDir,
    configDir: path.dirname(target.file),
    rootdir: suite.rootdir,
    inifile: suite.inifile,
    testpaths: suite.testpaths,
    schemaFile: target.kind === 'json' ? packagedSchemaFile() : undefined,
  });
  const config = buildStarterConfig(settings, mapping.chunks, request.collectTimeout);
  const text = target.kind === 'json' ? renderJsonConfig(config) : renderPyprojectAppend(target.original.toString('utf8'), config);
  await writeConfigText(target, text, projectDir);
  return { projectDir, interpreter, python, tests: suite.tests.length, rootdir: suite.rootdir, inifile: suite.inifile, cores, mapping, settings, target };
}
