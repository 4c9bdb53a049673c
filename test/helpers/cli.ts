import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../../src/results/report-types.js';

// Compiled to dist/test/helpers/, three levels below the repository root.
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI_PATH = path.join(REPO_ROOT, 'bin', 'run-chunks.js');
/** The venv that `npm test` prepares (scripts/setup-python.mjs): pytest and pytest-xdist. */
export const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
/** Fixture pytest suites, kept as source (not compiled). */
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures');

/** Variable every CLI run started here carries; its processes inherit it, so leftovers can be found. */
export const TAG_VARIABLE = 'RUN_CHUNKS_TEST_TAG';

export interface CliResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  tag: string;
}

export interface CliRun {
  child: ChildProcess;
  tag: string;
  /** Output so far (grows while the CLI runs). */
  output: () => string;
  result: Promise<CliResult>;
}

/** Creates a temp folder holding `files` (path → content); returns its absolute path. */
export function makeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-test-'));
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(dir, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return dir;
}

/**
 * A temp project holding a copy of the fixture pytest suite and a config running it with the
 * test venv's Python. Returns the project folder and a folder where fixture tests announce themselves.
 */
export function makeSuiteProject(config: Record<string, unknown>): { dir: string; signalDir: string } {
  const dir = makeProject({});
  cpSync(path.join(FIXTURES_DIR, 'suite'), dir, { recursive: true });
  const signalDir = path.join(dir, 'signals');
  mkdirSync(signalDir);
  const defaults = (config.defaults ?? {}) as { env?: Record<string, string> };
  writeConfig(dir, {
    python: VENV_PYTHON,
    ...config,
    defaults: { ...defaults, env: { FIXTURE_SIGNAL_DIR: signalDir, ...defaults.env } },
  });
  return { dir, signalDir };
}

/** Reads the pid a fixture test announced in the signal folder, or undefined if not yet there. */
export function readAnnounced(signalDir: string, name: string): number | undefined {
  try {
    return Number(readFileSync(path.join(signalDir, name), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether a process is alive (and not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Writes a chunks.config.json (object → JSON) into `dir`. */
export function writeConfig(dir: string, config: unknown): void {
  writeFileSync(path.join(dir, 'chunks.config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
}

// Every tag started by a test file; after the file, anything still carrying one is killed, so a
// test that fails half-way never leaves orphans for the next test to trip over.
const startedTags: string[] = [];
after(() => {
  for (const tag of startedTags) for (const pid of findTaggedProcesses(tag)) killQuietly(pid);
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Starts the built CLI in `cwd` with a fresh tag; resolves when it exits. */
/** `bin`: another run-chunks executable to start instead of this checkout's (an installed package's). */
export function startCli(args: string[], options: { cwd: string; env?: Record<string, string>; bin?: string }): CliRun {
  const tag = randomUUID();
  startedTags.push(tag);
  let stdout = '';
  let stderr = '';
  // Plain output: NO_COLOR on, and no inherited FORCE_COLOR (Node warns when both are set); the
  // default width: no inherited COLUMNS (below 100 it picks the compact summary).
  const { FORCE_COLOR: _forceColor, COLUMNS: _columns, ...inherited } = process.env;
  const [program, ...argv] = options.bin === undefined ? [process.execPath, CLI_PATH, ...args] : [options.bin, ...args];
  const child = spawn(program!, argv, {
    cwd: options.cwd,
    env: { ...inherited, NO_COLOR: '1', ...options.env, [TAG_VARIABLE]: tag },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  const result = new Promise<CliResult>((resolve) => {
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr, tag }));
  });
  return { child, tag, output: () => stdout + stderr, result };
}

/** Runs the built CLI to completion. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string>; bin?: string }): Promise<CliResult> {
  return startCli(args, options).result;
}

/** PIDs of live processes that carry a CLI run's tag in their environment (the CLI itself included). */
export function findTaggedProcesses(tag: string): number[] {
  const needle = `${TAG_VARIABLE}=${tag}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/\) [ZX] /.test(stat)) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(needle)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/**
 * Asserts that no process of a CLI run is left; any that are get killed first, so a failing
 * test never leaves orphans behind for the next one.
 */
export function assertNoLeftovers(tag: string): void {
  const leftovers = findTaggedProcesses(tag);
  for (const pid of leftovers) killQuietly(pid);
  assert.deepEqual(leftovers, [], `processes left running by the run: ${leftovers.join(', ')}`);
}

/** Waits until `predicate` holds (polling), failing after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads and parses `<reportDir>/report.json` (default report dir under `cwd`). */
export function readReport(cwd: string, reportDir = '.run-chunks/report'): RunReport {
  return JSON.parse(readFileSync(path.join(cwd, reportDir, 'report.json'), 'utf8')) as RunReport;
}

/** The named chunk of a report, or a thrown error naming the chunks there are. */
export function chunkOf(report: RunReport, name: string): RunReport['chunks'][number] {
  const chunk = report.chunks.find((candidate) => candidate.name === name);
  if (!chunk) throw new Error(`no chunk "${name}" in report (has ${report.chunks.map((c) => c.name).join(', ')})`);
  return chunk;
}
