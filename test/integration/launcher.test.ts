// The launcher (python/run_chunks_launcher.py) on its own: it must end exactly as its command
// did, pass on a signal sent to it alone, kill what re-parents to it and say so, and refuse to
// run the command when it cannot join the chunk's cgroup.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bundledLauncher } from '../../src/runner/chunk-process.js';
import { isAlive, VENV_PYTHON, waitUntil } from '../helpers/cli.js';

function statusFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-launcher-')), 'status.txt');
}

function launch(args: string[], command: string[]): { pid: number; ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(VENV_PYTHON, ['-I', '-S', bundledLauncher(), ...args, '--', ...command], { stdio: 'ignore', detached: true });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { pid: child.pid!, ended };
}

function readStatus(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

test('the exit status passes through: an exit code, or death by the same signal', async () => {
  assert.deepEqual(await launch([], ['sh', '-c', 'exit 7']).ended, { code: 7, signal: null });
  assert.deepEqual(await launch([], ['sh', '-c', 'exit 0']).ended, { code: 0, signal: null });
  assert.deepEqual(await launch([], ['sh', '-c', 'kill -9 $$']).ended, { code: null, signal: 'SIGKILL' });
  assert.deepEqual(await launch([], ['sh', '-c', 'kill -SEGV $$']).ended, { code: null, signal: 'SIGSEGV' });
  assert.deepEqual(await launch([], ['sh', '-c', 'kill -TERM $$']).ended, { code: null, signal: 'SIGTERM' });
});

test('a SIGTERM sent to the launcher alone reaches the command', async () => {
  const run = launch([], ['sh', '-c', 'trap "exit 42" TERM; while :; do sleep 0.05; done']);
  await new Promise((resolve) => setTimeout(resolve, 500));
  process.kill(run.pid, 'SIGTERM');
  assert.deepEqual(await run.ended, { code: 42, signal: null });
});

test('a double-forked daemon with an empty environment re-parents to the launcher and is killed when the command ends, named in the status file', async () => {
  const file = statusFile();
  const pidFile = `${file}.daemon`;
  const run = launch(['--status-file', file], ['sh', '-c', `env -i setsid sh -c 'sleep 300 & echo $! > ${pidFile}' ; sleep 0.3; exit 3`]);
  assert.deepEqual(await run.ended, { code: 3, signal: null });
  const daemon = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(daemon > 0);
  await waitUntil(() => !isAlive(daemon), 2_000, 'the daemon to die');
  assert.match(readStatus(file), new RegExp(`^killed ${daemon} sleep 300$`, 'm'));
});

test('a cgroup it cannot join: nothing runs, exit 125, the reason in the status file', async () => {
  const file = statusFile();
  const marker = `${file}.ran`;
  const run = launch(['--cgroup-procs', '/nonexistent/cgroup.procs', '--status-file', file], ['sh', '-c', `touch ${marker}`]);
  assert.deepEqual(await run.ended, { code: 125, signal: null });
  assert.match(readStatus(file), /^error could not join the chunk's cgroup \(\/nonexistent\/cgroup\.procs: No such file or directory\)$/m);
  assert.equal(isAlive(run.pid), false);
  assert.throws(() => readFileSync(marker));
});

test('a command that cannot be executed: exit 127 and exec-error ENOENT', async () => {
  const file = statusFile();
  assert.deepEqual(await launch(['--status-file', file], ['/no/such/program']).ended, { code: 127, signal: null });
  assert.match(readStatus(file), /^exec-error ENOENT /m);
});
