import { killGroupNow } from '../proc/process-group.js';

// Process groups of chunks that may still have processes. If run-chunks exits for any reason
// (an uncaught error included), the exit hook below SIGKILLs them: no chunk outlives the run.
const liveGroups = new Set<number>();
let hookInstalled = false;

/** Records a chunk's process group as live, installing the exit safety net on first use. */
export function registerLiveGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (!hookInstalled) {
    hookInstalled = true;
    process.on('exit', killAllLiveGroups);
  }
}

/** Forgets a group whose processes are all gone. */
export function unregisterLiveGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/** SIGKILLs every group still recorded as live. */
export function killAllLiveGroups(): void {
  for (const pgid of liveGroups) killGroupNow(pgid);
  liveGroups.clear();
}
