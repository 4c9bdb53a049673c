import { findOnPath } from '../gpu/find-on-path.js';
import { openChunkCgroup } from '../proc/cgroup/chunk-cgroup.js';
import type { CgroupSources } from '../proc/cgroup/locate-cgroup.js';

/** How a chunk's memory limit is enforced. */
export type IsolationMode = 'watchdog' | 'cgroup';

/** What this system offers for containing chunks, found once per run. */
export interface ContainmentSupport {
  /** null: chunk cgroups can be made under run-chunks' own; else why not. */
  cgroupReason: string | null;
  /** null: a chunk cgroup gets memory counters (and can take a limit); else why not. */
  memoryReason: string | null;
  /** python3 on PATH, for the launcher of command chunks (pytest chunks use their own Python). */
  python3: string | undefined;
}

/**
 * Tries once whether a cgroup can be created (and removed) under run-chunks' own, and whether
 * it gets the memory controller: root in a VM or CI runner, or a delegated subtree.
 */
export async function probeContainment(runId: string, sources?: CgroupSources | null): Promise<ContainmentSupport> {
  const python3 = findOnPath('python3', process.env.PATH);
  // RUN_CHUNKS_CGROUPS=off runs the fallback where a cgroup would be writable (tests, debugging).
  if (process.env.RUN_CHUNKS_CGROUPS === 'off') {
    const reason = 'chunk cgroups are turned off (RUN_CHUNKS_CGROUPS=off)';
    return { cgroupReason: reason, memoryReason: reason, python3 };
  }
  const opened = openChunkCgroup(`run-chunks-probe-${runId}`.replace(/[^A-Za-z0-9_.-]/g, '_'), sources);
  if (!opened.cgroup) return { cgroupReason: opened.reason, memoryReason: opened.reason, python3 };
  const memory = opened.cgroup.hasMemoryController();
  const dir = opened.cgroup.dir;
  await opened.cgroup.remove();
  return {
    cgroupReason: null,
    memoryReason: memory ? null : `the memory controller is not enabled for cgroups under ${dir.slice(0, dir.lastIndexOf('/'))}`,
    python3,
  };
}

/** What --isolation cgroup gets here, and why when it is not a kernel limit. */
export function resolveIsolation(requested: IsolationMode, support: ContainmentSupport): { used: IsolationMode; reason: string | null } {
  if (requested !== 'cgroup') return { used: 'watchdog', reason: null };
  const missing = support.cgroupReason ?? support.memoryReason;
  if (missing === null) return { used: 'cgroup', reason: null };
  return { used: 'watchdog', reason: `no kernel memory limit is possible here (${missing}), so run-chunks' sampling watchdog enforces memoryLimit` };
}
