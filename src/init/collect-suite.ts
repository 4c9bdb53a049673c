import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { quoteText } from '../config/quote-text.js';
import type { BoundedRunResult } from '../runner/run-bounded.js';
import { UserError } from '../util/user-error.js';
import type { ChosenInterpreter } from './choose-interpreter.js';
import type { CollectedTest } from './map-markers.js';
import { parseMarkerList, type KnownMarker } from './parse-marker-list.js';
import { describeOutput, runInitPython, type InitLimits } from './run-python.js';

// The collection `run-chunks plan` runs (pytest --collect-only in the project folder, no
// arguments), with a plugin that writes down what plan's does not need: each test's marker names
// (item.iter_markers: its own, its class's, its module's pytestmark, its parameter's marks), the
// rootdir, the ini file and its testpaths, and the markers pytest knows once the session's
// conftests are loaded. The last is what `pytest --markers` prints (it lists the same ini value),
// but `pytest --markers` alone loads only the conftests of the folder it starts in, so a marker a
// deeper conftest registers (networkx's `slow`, in networkx/conftest.py) would read as unknown.
// Passed in-process, so nothing is installed or written into the project.
const COLLECT_SCRIPT = `
import json, sys
import pytest


class RunChunksInitCollector:
    def __init__(self, path):
        self.path = path

    def pytest_collection_finish(self, session):
        config = session.config
        inipath = getattr(config, "inipath", None)
        facts = {
            "rootdir": str(getattr(config, "rootpath", None) or config.rootdir),
            "inifile": str(inipath) if inipath else None,
            "testpaths": [str(p) for p in config.getini("testpaths")],
            "tests": [[item.nodeid, sorted({mark.name for mark in item.iter_markers()})] for item in session.items],
            # As _pytest.mark's showmarkers prints them: "@pytest.mark.NAME[(ARGS)]:DESCRIPTION".
            "markers": ["@pytest.mark.%s:%s" % tuple(line.split(":", 1)) if ":" in line else "@pytest.mark.%s:" % line for line in config.getini("markers")],
        }
        with open(self.path, "w", encoding="utf-8") as out:
            json.dump(facts, out)


sys.exit(int(pytest.main(sys.argv[2:], plugins=[RunChunksInitCollector(sys.argv[1])])))
`;

/** What pytest said about the suite in the project folder. */
export interface CollectedSuite {
  tests: CollectedTest[];
  rootdir: string;
  inifile: string | undefined;
  testpaths: string[];
  known: KnownMarker[];
}

interface CollectorFacts {
  rootdir: string;
  inifile: string | null;
  testpaths: string[];
  tests: [string, string[]][];
  markers: string[];
}

const PYTEST_EXIT_MEANINGS: Record<number, string> = {
  1: 'tests failed',
  2: 'collection errors, or an interrupt',
  3: 'an internal error',
  4: 'a usage error: an option pytest does not know, maybe from addopts',
};

// pytest's report of collection errors: its "E   ..." lines say what went wrong (an ImportError),
// the "ERROR path" lines of the short summary where. The last lines alone are mostly warnings.
const ERROR_DETAIL = /^E {2,}\S/;
const ERROR_SUMMARY = /^ERROR /;

/** What pytest said about its collection errors, quoted for a one-paragraph message. */
function describeCollectionErrors(result: BoundedRunResult): string {
  const lines = result.stdout.split('\n').map((line) => line.trimEnd());
  const details = lines.filter((line) => ERROR_DETAIL.test(line)).slice(0, 4);
  const summary = lines.filter((line) => ERROR_SUMMARY.test(line)).slice(0, 5);
  if (details.length === 0 && summary.length === 0) return describeOutput(result, 8);
  const last = lines.filter((line) => line.trim() !== '').at(-1) ?? '';
  return `it said: ${quoteText([...details, ...summary, last].join(' / '), 1200)}`;
}

async function collectTests(interpreter: ChosenInterpreter, projectDir: string, limits: InitLimits): Promise<CollectorFacts> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'run-chunks-init-'));
  try {
    const factsFile = path.join(dir, 'collected.json');
    // --capture=no: what a hanging conftest printed reaches the message, as in plan's collection.
    // -p no:cacheprovider: init reads the project and writes only its config, no .pytest_cache.
    const argv = [interpreter.python, '-c', COLLECT_SCRIPT, factsFile, '--collect-only', '-q', '--capture=no', '-p', 'no:cacheprovider'];
    const result = await runInitPython(argv, `collecting the tests with ${interpreter.python}`, projectDir, limits);
    if (result.exitCode === 5)
      throw new UserError(`pytest collected no tests in ${projectDir}, so there is nothing to make chunks of. Run run-chunks init in the project's folder, where python -m pytest finds the tests (or set testpaths in its pytest config).`);
    if (result.exitCode !== 0) {
      const how = result.exitCode === null ? `killed by ${result.signal}` : `pytest exit ${result.exitCode}: ${PYTEST_EXIT_MEANINGS[result.exitCode] ?? 'an unknown exit code'}`;
      // A config made from part of a suite would leave the rest of it to chance: better none.
      throw new UserError(
        `pytest could not collect the whole suite in ${projectDir} (${how}); ${describeCollectionErrors(result)}. ` +
          `init writes a config only from a suite that collects cleanly, since the tests it could not see would have no chunk. Fix the errors (${interpreter.python} -m pytest --collect-only shows them), then run init again. Nothing was written.`,
      );
    }
    return JSON.parse(await readFile(factsFile, 'utf8')) as CollectorFacts;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Collects the suite, with the markers pytest knows in that session; a failure is a UserError. */
export async function collectSuite(interpreter: ChosenInterpreter, projectDir: string, limits: InitLimits): Promise<CollectedSuite> {
  const facts = await collectTests(interpreter, projectDir, limits);
  return {
    tests: facts.tests.map(([nodeid, markers]) => ({ nodeid, markers })),
    rootdir: facts.rootdir,
    inifile: facts.inifile ?? undefined,
    testpaths: facts.testpaths,
    known: parseMarkerList(facts.markers.join('\n')),
  };
}
