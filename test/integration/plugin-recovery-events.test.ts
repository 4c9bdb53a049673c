// The bundled plugin's side of recovery, run directly under pytest on test/fixtures/recovery-suite:
// how a dead xdist worker ended, collect reports, and node-id files with any character.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { formatNodeIdFile, parseNodeIdFile } from '../../src/results/node-id-file.js';
import { parseTestEventLines } from '../../src/results/parse-test-event.js';
import type { TestEvent } from '../../src/results/test-events.js';
import { assertNoLeftovers, FIXTURES_DIR, makeProject, REPO_ROOT, TAG_VARIABLE, VENV_PYTHON } from '../helpers/cli.js';

interface PluginRun {
  dir: string;
  exitCode: number | null;
  output: string;
  events: TestEvent[];
}

/** Runs pytest with the plugin on a fresh copy of the recovery suite; resolves once it exited, with no process left. */
async function runPytest(args: string[], env: Record<string, string> = {}, dir = makeSuiteCopy()): Promise<PluginRun> {
  const eventsFile = path.join(dir, 'events.jsonl');
  // A run in a folder used before starts with no events of the earlier run.
  for (const file of [eventsFile, `${eventsFile}.collected`]) rmSync(file, { force: true });
  const tag = randomUUID();
  const { RUN_CHUNKS_EVENTS_FILE: _events, RUN_CHUNKS_SELECT_FILE: _select, RUN_CHUNKS_DESELECT_FILE: _deselect, PYTEST_ADDOPTS: _addopts, ...inherited } = process.env;
  const child = spawn(VENV_PYTHON, ['-m', 'pytest', '-p', 'no:cacheprovider', '-p', 'run_chunks_events', ...args], {
    cwd: dir,
    env: { ...inherited, PYTHONPATH: path.join(REPO_ROOT, 'python'), RUN_CHUNKS_EVENTS_FILE: eventsFile, [TAG_VARIABLE]: tag, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr.on('data', (data: Buffer) => (output += data.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  assertNoLeftovers(tag);
  const { events, partial } = parseTestEventLines(existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8') : '');
  assert.equal(partial, '');
  return { dir, exitCode, output, events };
}

function makeSuiteCopy(): string {
  const dir = makeProject({});
  cpSync(path.join(FIXTURES_DIR, 'recovery-suite'), dir, { recursive: true, filter: (source) => !source.endsWith('__pycache__') });
  return dir;
}

function ofKind<K extends TestEvent['event']>(events: TestEvent[], kind: K): Extract<TestEvent, { event: K }>[] {
  return events.filter((event): event is Extract<TestEvent, { event: K }> => event.event === kind);
}

test('a dead xdist worker: worker-crashed carries the signal that killed it, or the code it exited with', async () => {
  const killed = await runPytest(['tests', '-m', 'worker_kill', '-k', 'killed_always', '-n', '2']);
  assert.deepEqual(
    ofKind(killed.events, 'worker-crashed').map(({ nodeid, exitCode, signal }) => ({ nodeid, exitCode, signal })),
    [{ nodeid: 'tests/test_worker_kill.py::test_b_killed_always', exitCode: null, signal: 'SIGKILL' }],
    killed.output,
  );
  const exited = await runPytest(['tests', '-m', 'exits', '-n', '2'], { FIXTURE_EXIT_CODE: '3' });
  assert.deepEqual(
    ofKind(exited.events, 'worker-crashed').map(({ nodeid, exitCode, signal }) => ({ nodeid, exitCode, signal })),
    [{ nodeid: 'tests/test_exits.py::test_b_exits', exitCode: 3, signal: null }],
    exited.output,
  );
});

test('collect reports: one event per broken or skipped module and process, with str(longrepr) as pytest\'s JUnit writes it', async () => {
  for (const xdist of [[], ['-n', '2']]) {
    const run = await runPytest(['collect', ...xdist]);
    const reports = ofKind(run.events, 'collect-report');
    assert.deepEqual([...new Set(reports.map((event) => `${event.nodeid} ${event.outcome}`))].sort(), ['collect/test_broken_import.py failed', 'collect/test_module_skip.py skipped']);
    const skip = reports.find((event) => event.outcome === 'skipped')!;
    assert.match(skip.longrepr, /^\('.*collect\/test_module_skip\.py', 3, 'Skipped: needs a GPU this machine lacks'\)$/);
    const broken = reports.find((event) => event.outcome === 'failed')!;
    assert.match(broken.longrepr, /ModuleNotFoundError: No module named 'module_that_does_not_exist_anywhere'/);
  }
});

test('node ids with a newline, a tab and emoji: .collected holds one JSON string each, and select and deselect files match them exactly', async () => {
  const ids = ['a\nb', 'tab\there', 'ünï😀', 'plain'].map((text) => `tests/test_odd_ids.py::test_odd[${text}]`);
  const collected = await runPytest(['tests', '-m', 'odd_ids', '--collect-only', '-q']);
  assert.deepEqual(parseNodeIdFile(readFileSync(path.join(collected.dir, 'events.jsonl.collected'), 'utf8')), ids);
  const dir = makeSuiteCopy();
  writeFileSync(path.join(dir, 'select.txt'), formatNodeIdFile([ids[0]!, ids[2]!]));
  // In the chunk (no select file) the newline id runs away; selected, it passes.
  const selected = await runPytest(['tests', '-m', 'odd_ids'], { RUN_CHUNKS_SELECT_FILE: path.join(dir, 'select.txt') }, dir);
  assert.equal(selected.exitCode, 0, selected.output);
  assert.deepEqual(ofKind(selected.events, 'test-end').map((event) => event.nodeid), [ids[0], ids[2]]);
  writeFileSync(path.join(dir, 'deselect.txt'), formatNodeIdFile([ids[0]!]));
  const rest = await runPytest(['tests', '-m', 'odd_ids'], { RUN_CHUNKS_DESELECT_FILE: path.join(dir, 'deselect.txt') }, dir);
  assert.equal(rest.exitCode, 0, rest.output);
  assert.deepEqual(ofKind(rest.events, 'test-end').map((event) => event.nodeid), ids.slice(1));
});

test('a select file line that is not a JSON string is a usage error, not a silent full run', async () => {
  const dir = makeSuiteCopy();
  writeFileSync(path.join(dir, 'select.txt'), 'tests/test_odd_ids.py::test_odd[plain]\n');
  const run = await runPytest(['tests', '-m', 'odd_ids'], { RUN_CHUNKS_SELECT_FILE: path.join(dir, 'select.txt') }, dir);
  assert.equal(run.exitCode, 4, run.output);
  assert.match(run.output, /RUN_CHUNKS_SELECT_FILE=.*select\.txt line 1 is not a node id written as a JSON string/);
});
