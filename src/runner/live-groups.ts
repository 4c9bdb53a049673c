import { killGroupNow } from '../proc/process-group.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

// Process groups of chunks that may still have processes. If run-chunks exits for any reason
// (an uncaught error included), the exit hook below SIGKILLs them: no chunk outlives the run.
// A SIGKILL of run-chunks runs no hook; the watchdog (see watchdog.ts) covers that case.
const liveGroups = new Set<number>();
let hookInstalled = false;
let watchdog: Watchdog | undefined;

/** Starts the run's watchdog, which stops every live group should run-chunks die without exiting. */
export function guardRun(runId: string): void {
  watchdog ??= startWatchdog(runId);
  for (const pgid of liveGroups) watchdog.watch(pgid);
  installExitHook();
}

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', () => {
    killAllLiveGroups();
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
