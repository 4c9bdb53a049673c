import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Memory the chunks can use: the machine's, or its cgroup's when that is smaller. */
export interface MachineMemory {
  totalBytes: number;
  availableBytes: number;
  /** Where the smaller limit came from. */
  source: 'machine' | 'cgroup';
}

// cgroup v1 reports "no limit" as a huge number near 2^63 rounded to the page size.
const UNLIMITED_THRESHOLD_BYTES = 2 ** 60;

function readNumber(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text === 'max') return undefined;
    const value = Number(text);
    return Number.isFinite(value) && value < UNLIMITED_THRESHOLD_BYTES ? value : undefined;
  } catch {
    return undefined;
  }
}

function readMeminfo(): { totalBytes: number; availableBytes: number } | undefined {
  try {
    const text = readFileSync('/proc/meminfo', 'utf8');
    const field = (name: string): number | undefined => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
      return match ? Number(match[1]) * 1024 : undefined;
    };
    const totalBytes = field('MemTotal');
    const availableBytes = field('MemAvailable') ?? field('MemFree');
    return totalBytes === undefined || availableBytes === undefined ? undefined : { totalBytes, availableBytes };
  } catch {
    return undefined;
  }
}

/** The memory limit and usage of this process's cgroup (v2, then v1), if it has a limit. */
function readCgroupMemory(): { limitBytes: number; usageBytes: number } | undefined {
  let membership = '';
  try {
    membership = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
  const v2Path = /^0::(.*)$/m.exec(membership)?.[1];
  if (v2Path !== undefined) {
    const dir = `/sys/fs/cgroup${v2Path === '/' ? '' : v2Path}`;
    const limitBytes = readNumber(`${dir}/memory.max`);
    if (limitBytes !== undefined) return { limitBytes, usageBytes: readNumber(`${dir}/memory.current`) ?? 0 };
  }
  const v1Path = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(membership)?.[1];
  for (const dir of [v1Path === undefined ? undefined : `/sys/fs/cgroup/memory${v1Path}`, '/sys/fs/cgroup/memory']) {
    if (dir === undefined) continue;
    const limitBytes = readNumber(`${dir}/memory.limit_in_bytes`);
    if (limitBytes !== undefined) return { limitBytes, usageBytes: readNumber(`${dir}/memory.usage_in_bytes`) ?? 0 };
  }
  return undefined;
}

/** Reads total and available memory, taking a cgroup limit into account where there is one. */
export function readMachineMemory(): MachineMemory {
  const machine = readMeminfo() ?? { totalBytes: os.totalmem(), availableBytes: os.freemem() };
  const cgroup = readCgroupMemory();
  if (cgroup && cgroup.limitBytes < machine.totalBytes) {
    return {
      totalBytes: cgroup.limitBytes,
      availableBytes: Math.min(machine.availableBytes, Math.max(0, cgroup.limitBytes - cgroup.usageBytes)),
      source: 'cgroup',
    };
  }
  return { ...machine, source: 'machine' };
}
