import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { findMarkedProcesses, killMarkedProcesses } from '../../src/proc/marker-sweep.js';
import { isAlive, REPO_ROOT, waitUntil } from '../helpers/cli.js';

const WATCHDOG_MODULE = path.join(REPO_ROOT, 'dist', 'src', 'runner', 'watchdog.js');

/** A `sleep` leading its own process group, carrying `env`. */
function startGroup(env: Record<string, string> = {}): number {
  const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
  child.unref();
  return child.pid!;
}

/**
 * Starts an owner: a Node process that runs `body` (JavaScript with `startWatchdog` in scope and
 * `dog` to assign), prints the watchdog's pid, and stays alive unless `body` ends it.
 */
async function startOwner(body: string): Promise<{ owner: ReturnType<typeof spawn>; watchdogPid: number }> {
  const owner = spawn(
    process.execPath,
    ['--input-type=module', '-e', `const { startWatchdog } = await import(${JSON.stringify(WATCHDOG_MODULE)}); let dog; ${body}; console.log(dog.pid);`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const watchdogPid = await new Promise<number>((resolve) => owner.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim()))));
  return { owner, watchdogPid };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone.
  }
}

test('a SIGKILLed owner: the watchdog kills the groups it watches, not the one unwatched, and sweeps marked processes', async () => {
  const runId = randomUUID();
  const watched = startGroup();
  const unwatched = startGroup();
  const escapee = startGroup({ RUN_CHUNKS_RUN_ID: runId });
  try {
    // The owner starts the watchdog, reports the groups, then waits to be killed.
    const { owner, watchdogPid } = await startOwner(
      `dog = startWatchdog(${JSON.stringify(runId)}); dog.watch(${watched}); dog.watch(${unwatched}); dog.unwatch(${unwatched}); setInterval(() => {}, 1000)`,
    );
    assert.ok(isAlive(watchdogPid));
    owner.kill('SIGKILL');
    await waitUntil(() => !isAlive(watched) && !isAlive(escapee), 5_000, 'the watched group and the marked process to die');
    await waitUntil(() => !isAlive(watchdogPid), 5_000, 'the watchdog to exit');
    assert.ok(isAlive(unwatched), 'a group no longer watched (its pid may be reused) is left alone');
  } finally {
    for (const pid of [watched, unwatched, escapee]) killQuietly(pid);
  }
});

test('a clean release: the watchdog exits without touching the groups', async () => {
  const watched = startGroup();
  try {
    const { owner, watchdogPid } = await startOwner(`dog = startWatchdog('x'); dog.watch(${watched}); setTimeout(() => dog.release(), 100)`);
    await new Promise((resolve) => owner.once('exit', resolve));
    await waitUntil(() => !isAlive(watchdogPid), 5_000, 'the watchdog to exit');
    assert.ok(isAlive(watched), 'released: the watched group is untouched');
  } finally {
    killQuietly(watched);
  }
});

test('killMarkedProcesses finds processes by every marker and kills them; others with a partial match live', async () => {
  const runId = randomUUID();
  const marked = startGroup({ RUN_CHUNKS_RUN_ID: runId, RUN_CHUNKS_CHUNK: 'a' });
  const otherChunk = startGroup({ RUN_CHUNKS_RUN_ID: runId, RUN_CHUNKS_CHUNK: 'b' });
  try {
    await waitUntil(() => findMarkedProcesses({ RUN_CHUNKS_RUN_ID: runId }).length === 2, 5_000, 'both to be visible');
    const killed = await killMarkedProcesses({ RUN_CHUNKS_RUN_ID: runId, RUN_CHUNKS_CHUNK: 'a' });
    assert.deepEqual(killed.map((process) => process.pid), [marked]);
    assert.match(killed[0]!.command, /^sleep 300$/);
    assert.equal(isAlive(marked), false);
    assert.ok(isAlive(otherChunk));
  } finally {
    killQuietly(marked);
    killQuietly(otherChunk);
  }
});
