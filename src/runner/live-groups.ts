import { readFileSync } from 'node:fs';
import path from 'node:path';
import { killGroupNow } from '../proc/process-group.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

// Process groups of chunks that may still have processes. If run-chunks exits for any reason
// (an uncaught error included), the exit hook below SIGKILLs them: no chunk outlives the run.
// A SIGKILL of run-chunks runs no hook; the watchdog (see watchdog.ts) covers that case.
const liveGroups = new Set<number>();
// Cgroups of chunks (created by run-chunks, removed after each chunk): whatever is in them dies
// with the run too, whatever its process group or environment.
const liveCgroups = new Set<string>();
let hookInstalled = false;
let watchdog: Watchdog | undefined;

/** Starts the run's watchdog, which stops every live group should run-chunks die without exiting. */
export function guardRun(runId: string): void {
  watchdog ??= startWatchdog(runId);
  for (const pgid of liveGroups) watchdog.watch(pgid);
  for (const dir of liveCgroups) watchdog.watchCgroup(dir);
  installExitHook();
}

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', () => {
    killAllLiveGroups();
    killAllLiveCgroups();
    watchdog?.release();
  });
}

/** Records a chunk's process group as live, installing the exit safety net on first use. */
export function registerLiveGroup(pgid: number): void {
  liveGroups.add(pgid);
  watchdog?.watch(pgid);
  installExitHook();
}

/** Forgets a group whose processes are all gone. */
export function unregisterLiveGroup(pgid: number): void {
  liveGroups.delete(pgid);
  watchdog?.unwatch(pgid);
}

/** SIGKILLs every group still recorded as live. */
export function killAllLiveGroups(): void {
  for (const pgid of liveGroups) {
    killGroupNow(pgid);
    watchdog?.unwatch(pgid);
  }
  liveGroups.clear();
}

/** Records a chunk's cgroup as live: the exit hook and the watchdog kill what is in it. */
export function registerLiveCgroup(dir: string): void {
  liveCgroups.add(dir);
  watchdog?.watchCgroup(dir);
  installExitHook();
}

/** Forgets a chunk's cgroup once it is removed. */
export function unregisterLiveCgroup(dir: string): void {
  liveCgroups.delete(dir);
  watchdog?.unwatchCgroup(dir);
}

/** SIGKILLs every process in the live cgroups (one pass: synchronous, for the exit hook). */
export function killAllLiveCgroups(): void {
  for (const dir of liveCgroups) {
    let text = '';
    try {
      text = readFileSync(path.join(dir, 'cgroup.procs'), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!/^\d+$/.test(line)) continue;
      try {
        process.kill(Number(line), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}
