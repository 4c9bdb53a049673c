import { readFileSync } from 'node:fs';
import path from 'node:path';

// Where this process's own cgroup lives, for both cgroup versions. A chunk's cgroup is created
// under it, never anywhere else. The texts of /proc/self/cgroup and /proc/self/mountinfo are
// injectable so that a fake cgroupfs tree in a temp folder can stand in for the kernel's.

/** cgroup v1 (the memory controller's own hierarchy) or v2 (the unified one). */
export type CgroupVersion = 1 | 2;

/** This process's cgroup folder in the hierarchy run-chunks uses. */
export interface OwnCgroup {
  version: CgroupVersion;
  /** Absolute folder of our own cgroup (mount point + our path below the mount's root). */
  dir: string;
}

/** The two texts a search reads; the real ones by default. */
export interface CgroupSources {
  procSelfCgroup: string;
  mountinfo: string;
}

/** Reads /proc/self/cgroup and /proc/self/mountinfo; null where /proc lacks them. */
export function readCgroupSources(): CgroupSources | null {
  try {
    return { procSelfCgroup: readFileSync('/proc/self/cgroup', 'utf8'), mountinfo: readFileSync('/proc/self/mountinfo', 'utf8') };
  } catch {
    return null;
  }
}

interface Mount {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS". */
function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 5 || fields.length < dash + 4) continue;
    mounts.push({
      root: unescapeMountPath(fields[3]!),
      mountPoint: unescapeMountPath(fields[4]!),
      fsType: fields[dash + 1]!,
      superOptions: fields[dash + 3]!.split(','),
    });
  }
  return mounts;
}

// mountinfo writes space, tab, newline and backslash as octal escapes (\040 ...).
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Our path inside a mount whose root is `mountRoot` (a container sees only part of the hierarchy). */
function joinBelowMount(mount: Mount, cgroupPath: string): string | undefined {
  const root = mount.root === '/' ? '' : mount.root;
  if (root !== '' && cgroupPath !== root && !cgroupPath.startsWith(`${root}/`)) return undefined;
  const dir = path.join(mount.mountPoint, cgroupPath.slice(root.length));
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

/**
 * Our own cgroups a chunk's cgroup could go under, best first: the v1 memory hierarchy where one
 * is mounted (the memory controller is there and nowhere else), then the v2 unified hierarchy.
 */
export function locateOwnCgroups(sources: CgroupSources): OwnCgroup[] {
  const mounts = parseMountinfo(sources.mountinfo);
  const lines = sources.procSelfCgroup.split('\n').filter(Boolean);
  const found: OwnCgroup[] = [];
  for (const line of lines) {
    const [id, controllers, ...rest] = line.split(':');
    if (id === '0' || !controllers?.split(',').includes('memory')) continue;
    const mount = mounts.find((candidate) => candidate.fsType === 'cgroup' && candidate.superOptions.includes('memory'));
    const dir = mount && joinBelowMount(mount, rest.join(':'));
    if (dir !== undefined) found.push({ version: 1, dir });
  }
  const unified = lines.find((line) => line.startsWith('0::'));
  const mount = mounts.find((candidate) => candidate.fsType === 'cgroup2');
  const dir = unified && mount && joinBelowMount(mount, unified.slice(3));
  if (dir) found.push({ version: 2, dir });
  return found;
}
