import { hasProcFs, listProcStats } from './read-proc-stat.js';

const procAvailable = hasProcFs();

/**
 * PIDs of the live (non-zombie) members of a process group. Zombies are excluded because a
 * container whose init does not reap would otherwise make a dead group look alive forever.
 */
export function listGroupMembers(pgid: number): number[] {
  if (!procAvailable) return isGroupSignalable(pgid) ? [pgid] : [];
  return listProcStats()
    .filter((stat) => stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X')
    .map((stat) => stat.pid);
}

function isGroupSignalable(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any live process remains in the group. */
export function isGroupAlive(pgid: number): boolean {
  return listGroupMembers(pgid).length > 0;
}

/** Sends a signal to every process of a group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Resolves once `predicate` holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return true;
}

// After SIGKILL the kernel needs a moment to tear processes down; past this something is wrong
// (uninterruptible sleep in a driver, say) and waiting longer would only hang the run.
const SIGKILL_SETTLE_MS = 3_000;

/**
 * Stops a whole process group in steps: SIGTERM, up to `gracePeriodMs` for it to exit, then
 * SIGKILL. Returns whether the group is gone. Grandchildren that ignore SIGTERM die at SIGKILL.
 */
export async function stopProcessGroup(pgid: number, gracePeriodMs: number): Promise<boolean> {
  // Signal first, scan after: a runaway allocates on through the milliseconds a /proc scan takes.
  if (!signalGroup(pgid, 'SIGTERM')) return true;
  if (await waitFor(() => !isGroupAlive(pgid), gracePeriodMs)) return true;
  signalGroup(pgid, 'SIGKILL');
  return waitFor(() => !isGroupAlive(pgid), SIGKILL_SETTLE_MS);
}

/** Kills a whole group at once (second Ctrl-C, exit safety net). Synchronous on purpose. */
export function killGroupNow(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
