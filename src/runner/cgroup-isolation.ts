import { execa } from 'execa';

/** How a chunk's memory limit is enforced. */
export type IsolationMode = 'watchdog' | 'cgroup';

/** Whether a kernel memory limit can be had, and why not when it cannot. */
export type CgroupProbe = { available: true } | { available: false; reason: string };

// systemd answers at once when it is there; a bus that does not answer within this is as good as absent.
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Checks that `systemd-run --user --scope` works here (a user systemd with cgroup v2 delegation):
 * only then can a chunk get a real kernel limit (MemoryMax) instead of run-chunks' watchdog.
 */
export async function probeCgroupIsolation(): Promise<CgroupProbe> {
  const result = await execa('systemd-run', ['--user', '--scope', '--quiet', '--', 'true'], {
    reject: false,
    timeout: PROBE_TIMEOUT_MS,
    stdin: 'ignore',
  });
  if (result.exitCode === 0) return { available: true };
  if (result.code === 'ENOENT') return { available: false, reason: 'systemd-run is not installed' };
  const detail = String(result.stderr).trim().split('\n')[0] || result.shortMessage;
  return { available: false, reason: `systemd-run --user --scope failed: ${detail}` };
}

/**
 * Wraps a chunk's argv so that it runs in its own transient systemd scope with a kernel memory
 * limit. systemd-run --scope execs the command in place, so the chunk's process group and pid
 * stay the ones run-chunks spawned and watches.
 */
export function wrapInMemoryScope(argv: readonly string[], memoryLimitBytes: number): string[] {
  return ['systemd-run', '--user', '--scope', '--quiet', '-p', `MemoryMax=${memoryLimitBytes}`, '-p', 'MemorySwapMax=0', '--', ...argv];
}
