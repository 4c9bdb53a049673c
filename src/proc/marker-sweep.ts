import { readProcFile } from './read-proc-file.js';
import { waitFor } from './process-group.js';
import { hasProcFs, listProcStats } from './read-proc-stat.js';

// A process can leave its chunk's process group (setsid, daemonising) and its parent, and then
// nothing ties it to the chunk but its environment: every chunk process inherits the run's
// markers. CI servers find leftovers the same way (Jenkins' BUILD_ID, the process tree killer).

/** A process found carrying a chunk's markers. */
export interface MarkedProcess {
  pid: number;
  /** Its command line, for the warning that says what was killed. */
  command: string;
}

/** The NAME=value strings an environment must hold to carry `markers`. */
export function markerNeedles(markers: Readonly<Record<string, string>>): string[] {
  return Object.entries(markers).map(([name, value]) => `${name}=${value}`);
}

/** Whether `/proc/PID/environ` holds every needle (see markerNeedles), in one read. */
export function carriesMarkers(pid: number, needles: readonly string[]): boolean {
  try {
    const entries = readProcFile(`/proc/${pid}/environ`, 'latin1').split('\0');
    return needles.every((needle) => entries.includes(needle));
  } catch {
    return false;
  }
}

/** A process's command line, or "?" once it is gone. */
export function readCommand(pid: number): string {
  try {
    return readProcFile(`/proc/${pid}/cmdline`).split('\0').filter(Boolean).join(' ');
  } catch {
    return '?';
  }
}

/** Live processes (this one excepted) whose environment holds every marker; [] without /proc. */
export function findMarkedProcesses(markers: Readonly<Record<string, string>>): MarkedProcess[] {
  if (!hasProcFs()) return [];
  const needles = markerNeedles(markers);
  return listProcStats()
    .filter((stat) => stat.pid !== process.pid && stat.state !== 'Z' && stat.state !== 'X' && carriesMarkers(stat.pid, needles))
    .map((stat) => ({ pid: stat.pid, command: readCommand(stat.pid) }));
}

// A marked process may fork while it is being killed; a few rounds catch the children.
const SWEEP_ROUNDS = 5;
const SWEEP_SETTLE_MS = 1_000;

/**
 * SIGKILLs every live process carrying the markers, round after round until none is left.
 * Returns each process killed (first sighting), so the caller can say what escaped.
 */
export async function killMarkedProcesses(markers: Readonly<Record<string, string>>): Promise<MarkedProcess[]> {
  const killed = new Map<number, MarkedProcess>();
  for (let round = 0; round < SWEEP_ROUNDS; round += 1) {
    const found = findMarkedProcesses(markers);
    if (found.length === 0) break;
    for (const marked of found) {
      if (!killed.has(marked.pid)) killed.set(marked.pid, marked);
      try {
        process.kill(marked.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await waitFor(() => findMarkedProcesses(markers).length === 0, SWEEP_SETTLE_MS);
  }
  return [...killed.values()];
}
