import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/unit/gpu/, four levels below the repository root.
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
/** The fixture folder holding the fake `nvidia-smi` (kept as source, not compiled). */
export const FAKE_SMI_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'fake-nvidia-smi');

/** A private copy of the fake: its path is unique, so leftovers are this test's own. */
export interface FakeSmi {
  dir: string;
  program: string;
  scenarioFile: string;
  /** Environment that finds this copy first on PATH and points it at the scenario. */
  env: NodeJS.ProcessEnv;
}

/** Copies the fake into a temp folder and writes `scenario` next to it. */
export function makeFakeSmi(scenario: Record<string, unknown>): FakeSmi {
  const root = mkdtempSync(path.join(tmpdir(), 'fake-nvidia-smi-'));
  const dir = path.join(root, 'bin');
  cpSync(FAKE_SMI_DIR, dir, { recursive: true });
  const scenarioFile = path.join(root, 'scenario.json');
  writeFileSync(scenarioFile, JSON.stringify(scenario));
  return {
    dir,
    program: path.join(dir, 'nvidia-smi'),
    scenarioFile,
    env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_NVIDIA_SMI_SCENARIO: scenarioFile },
  };
}

/** PIDs of live processes whose command line mentions `fragment`. */
export function listProcessesMentioning(fragment: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      // Zombies have an empty cmdline and are no leftovers: they hold no resources.
      if (cmdline.split('\0').some((argument) => argument.includes(fragment))) pids.push(Number(entry));
    } catch {
      // Exited during the scan.
    }
  }
  return pids;
}

/** A GPU UUID in nvidia-smi's shape. */
export function makeGpuUuid(): string {
  return `GPU-${randomUUID()}`;
}

export const MIB = 1024 * 1024;

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
