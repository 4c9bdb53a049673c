import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../process-group.js';
import { locateOwnCgroups, readCgroupSources, type CgroupSources, type CgroupVersion, type OwnCgroup } from './locate-cgroup.js';

// One code path above both cgroup versions: a chunk gets a cgroup of its own under ours, its
// launcher joins it before the command can fork, and at the end everything in it is killed and
// the cgroup removed. Its counters are the kernel's evidence for this chunk alone.

/** The kernel's counters of a chunk's cgroup at one moment; null where a file is missing. */
export interface CgroupReading {
  /** OOM kills of the cgroup's processes (v2 memory.events oom_kill, v1 memory.oom_control oom_kill). */
  oomKill: number | null;
  /** v2 only: memory.events oom_group_kill. */
  oomGroupKill: number | null;
  /** Times the memory limit was hit (v2 memory.events max, v1 memory.failcnt). */
  limitHits: number | null;
  /** Peak memory charged to the cgroup (v2 memory.peak, v1 memory.max_usage_in_bytes). */
  peakBytes: number | null;
}

/** The files each version keeps its counters in, by what they mean. */
export const COUNTER_FILES: Record<CgroupVersion, Record<keyof CgroupReading, string>> = {
  1: { oomKill: 'memory.oom_control oom_kill', oomGroupKill: '', limitHits: 'memory.failcnt', peakBytes: 'memory.max_usage_in_bytes' },
  2: { oomKill: 'memory.events oom_kill', oomGroupKill: 'memory.events oom_group_kill', limitHits: 'memory.events max', peakBytes: 'memory.peak' },
};

/** What was set when a memory limit was applied. */
export interface AppliedLimit {
  limitBytes: number;
  /** How swap was kept out, or why it could not be. */
  swap: string;
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function readNumber(file: string): number | null {
  const text = readText(file)?.trim();
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}

/** A "key value" line of a flat-keyed file (memory.events, memory.oom_control). */
function readKey(file: string, key: string): number | null {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(readText(file) ?? '');
  return match ? Number(match[1]) : null;
}

// After SIGKILL the kernel needs a moment to tear processes down (the same settle time as a group's).
const KILL_SETTLE_MS = 3_000;
const KILL_ROUND_MS = 100;

/** A cgroup run-chunks created for one chunk attempt. Only this folder (and what the chunk made under it) is ever touched. */
export class ChunkCgroup {
  private constructor(
    readonly version: CgroupVersion,
    readonly dir: string,
    /** Where the chunk's first process joins: the cgroup itself, or (v2) its `launcher` leaf. */
    private readonly joinDir: string = dir,
  ) {}

  /**
   * Creates `name` under `own`; throws the file system's error when it cannot.
   *
   * On v2 the chunk's processes start in a leaf of it, `launcher`, with the memory controller
   * passed down (cgroup.subtree_control): v2 lets a cgroup with processes in it hand no
   * controller to cgroups under it, and the pytest plugin makes one for each process that runs
   * tests (python/run_chunks_events/groups.py). The chunk's counters, limit and cgroup.kill
   * cover the whole tree either way. Where the controller cannot be passed down, they start in
   * the chunk's cgroup itself, and the plugin says it had none.
   */
  static create(own: OwnCgroup, name: string): ChunkCgroup {
    const dir = path.join(own.dir, name);
    mkdirSync(dir);
    return new ChunkCgroup(own.version, dir, own.version === 2 ? (passMemoryDown(dir) ?? dir) : dir);
  }

  /** The file the chunk's first process writes its pid into to join. */
  get procsFile(): string {
    return path.join(this.joinDir, 'cgroup.procs');
  }

  /** For the chunk's pytest plugin (RUN_CHUNKS_CGROUP): "VERSION:DIR" of the cgroup under which each test process may make its own. */
  get pluginSpec(): string {
    return `${this.version}:${this.dir}`;
  }

  /** Whether the memory controller is on for this cgroup (always on v1: it is its hierarchy). */
  hasMemoryController(): boolean {
    return this.version === 1 || existsSync(path.join(this.dir, 'memory.events'));
  }

  /** Sets a hard memory limit and, where settable, no swap. Throws when the limit cannot be set. */
  limitMemory(limitBytes: number): AppliedLimit {
    if (this.version === 2) {
      writeFileSync(path.join(this.dir, 'memory.max'), String(limitBytes));
      return { limitBytes, swap: this.trySet('memory.swap.max', '0', 'memory.swap.max = 0') };
    }
    writeFileSync(path.join(this.dir, 'memory.limit_in_bytes'), String(limitBytes));
    // memory+swap no higher than memory: nothing may go to swap.
    return { limitBytes, swap: this.trySet('memory.memsw.limit_in_bytes', String(limitBytes), 'memory.memsw.limit_in_bytes = the limit') };
  }

  private trySet(file: string, value: string, done: string): string {
    try {
      writeFileSync(path.join(this.dir, file), value);
      return `off (${done})`;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? `not settable: ${file} does not exist (no swap accounting)` : `not settable: writing ${file} failed (${code ?? String(error)})`;
    }
  }

  /** Reads the cgroup's counters now. */
  read(): CgroupReading {
    const file = (name: string): string => path.join(this.dir, name);
    if (this.version === 2)
      return {
        oomKill: readKey(file('memory.events'), 'oom_kill'),
        oomGroupKill: readKey(file('memory.events'), 'oom_group_kill'),
        limitHits: readKey(file('memory.events'), 'max'),
        peakBytes: readNumber(file('memory.peak')),
      };
    // v1 counts an OOM kill only in the victim's own cgroup: cgroups the chunk made under its
    // own (a test limiting itself) are summed in. v2's memory.events is hierarchical already.
    return {
      oomKill: this.sumOverTree((dir) => readKey(path.join(dir, 'memory.oom_control'), 'oom_kill')),
      oomGroupKill: null,
      limitHits: readNumber(file('memory.failcnt')),
      peakBytes: readNumber(file('memory.max_usage_in_bytes')),
    };
  }

  private sumOverTree(readOne: (dir: string) => number | null): number | null {
    const own = readOne(this.dir);
    if (own === null) return null;
    let sum = own;
    const walk = (dir: string): void => {
      for (const child of this.childDirs(dir)) {
        sum += readOne(child) ?? 0;
        walk(child);
      }
    };
    walk(this.dir);
    return sum;
  }

  /** Pids in this cgroup and every cgroup the chunk made under it. */
  pids(): number[] {
    const found: number[] = [];
    const walk = (dir: string): void => {
      for (const line of (readText(path.join(dir, 'cgroup.procs')) ?? '').split('\n')) if (/^\d+$/.test(line)) found.push(Number(line));
      for (const child of this.childDirs(dir)) walk(child);
    };
    walk(this.dir);
    return found;
  }

  private childDirs(dir: string): string[] {
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => path.join(dir, entry.name));
    } catch {
      return [];
    }
  }

  /**
   * SIGKILLs everything in the cgroup, whatever its process group, session or environment:
   * v2 through cgroup.kill, v1 (or a v2 without it) by SIGKILLing cgroup.procs round after round
   * until it is empty. Returns whether it emptied.
   */
  async killAll(): Promise<boolean> {
    const killFile = path.join(this.dir, 'cgroup.kill');
    if (this.version === 2 && existsSync(killFile)) {
      try {
        writeFileSync(killFile, '1');
      } catch {
        // Falls back to the pid walk below.
      }
    }
    return waitFor(
      () => {
        const pids = this.pids();
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone already.
          }
        }
        return pids.length === 0;
      },
      KILL_SETTLE_MS,
      KILL_ROUND_MS,
    );
  }

  /** Removes the cgroup (children the chunk made first); only once it is empty. Returns whether it is gone. */
  async remove(): Promise<boolean> {
    const removeTree = (dir: string): boolean => {
      for (const child of this.childDirs(dir)) removeTree(child);
      try {
        rmdirSync(dir);
        return true;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ENOENT';
      }
    };
    // The kernel may still be tearing the last process down: EBUSY for a moment.
    return waitFor(() => removeTree(this.dir), KILL_SETTLE_MS, KILL_ROUND_MS);
  }
}

/**
 * v2: makes `launcher` under a fresh, empty chunk cgroup and passes the memory controller down to
 * it (cgroup.subtree_control), so that processes in the chunk can have memory cgroups of their
 * own. Returns the leaf, or undefined (nothing left behind) where the chunk has no memory
 * controller or it cannot be passed down.
 */
export function passMemoryDown(dir: string): string | undefined {
  if (!existsSync(path.join(dir, 'memory.events'))) return undefined;
  const leaf = path.join(dir, 'launcher');
  try {
    mkdirSync(leaf);
  } catch {
    return undefined;
  }
  try {
    writeFileSync(path.join(dir, 'cgroup.subtree_control'), '+memory');
    return leaf;
  } catch {
    rmdirSync(leaf);
    return undefined;
  }
}

/** A chunk's cgroup, or why it has none. */
export type OpenedCgroup = { cgroup: ChunkCgroup } | { cgroup: undefined; reason: string };

/** Turns text into a safe cgroup folder name. */
export function cgroupName(parts: readonly string[]): string {
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .slice(0, 200);
}

/**
 * Creates a chunk's cgroup under our own (v1 memory hierarchy first, then v2). Where none is
 * writable, says why; the chunk then runs without one.
 */
export function openChunkCgroup(name: string, sources: CgroupSources | null = readCgroupSources()): OpenedCgroup {
  if (sources === null) return { cgroup: undefined, reason: '/proc/self/cgroup is not readable (not Linux?)' };
  const candidates = locateOwnCgroups(sources);
  if (candidates.length === 0) return { cgroup: undefined, reason: 'no cgroup hierarchy holding run-chunks is mounted' };
  const failures: string[] = [];
  for (const own of candidates) {
    try {
      return { cgroup: ChunkCgroup.create(own, name) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      failures.push(`cannot create a cgroup under ${own.dir} (v${own.version}): ${code}`);
    }
  }
  return { cgroup: undefined, reason: failures.join('; ') };
}
