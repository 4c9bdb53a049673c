// The evidence fixture suite (test/fixtures/evidence-suite) in a temp project, and what the
// evidence and containment fault cases check around it: the chunk cgroups run-chunks made
// must be gone afterwards, and an escapee's pid must be dead.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { FIXTURES_DIR, makeProject, REPO_ROOT, VENV_PYTHON, writeConfig } from './cli.js';
import { openChunkCgroup } from '../../src/proc/cgroup/chunk-cgroup.js';
import { locateOwnCgroups, readCgroupSources } from '../../src/proc/cgroup/locate-cgroup.js';

/** A temp copy of the evidence suite under `config` (python and FIXTURE_SIGNAL_DIR filled in). */
export function makeEvidenceProject(config: Record<string, unknown>, env: Record<string, string> = {}): { dir: string; signalDir: string } {
  const dir = makeProject({});
  cpSync(path.join(FIXTURES_DIR, 'evidence-suite'), dir, { recursive: true });
  const signalDir = path.join(dir, 'signals');
  mkdirSync(signalDir);
  writeConfig(dir, { runner: 'pytest', python: VENV_PYTHON, ...config, defaults: { env: { FIXTURE_SIGNAL_DIR: signalDir, ...env } } });
  return { dir, signalDir };
}

/** Why no chunk cgroup can be made here (the cases that need one are skipped with it), or null. */
export function cgroupUnavailableReason(): string | null {
  const opened = openChunkCgroup(`run-chunks-test-probe-${process.pid}`);
  if (!opened.cgroup) return opened.reason;
  const memory = opened.cgroup.hasMemoryController();
  void opened.cgroup.remove();
  return memory ? null : 'the chunk cgroup gets no memory controller here';
}

/** Our own cgroup's folders named run-chunks-RUNID-* (none may be left after a run). */
export function leftoverCgroups(runId: string): string[] {
  const sources = readCgroupSources();
  if (!sources) return [];
  const prefix = `run-chunks-${runId}`;
  return locateOwnCgroups(sources).flatMap((own) => {
    if (!existsSync(own.dir)) return [];
    return readdirSync(own.dir)
      .filter((name) => name.startsWith(prefix))
      .map((name) => path.join(own.dir, name));
  });
}

/** Reads a pid a fixture wrote into the signal folder. */
export function readPid(signalDir: string, name: string): number | undefined {
  try {
    return Number(readFileSync(path.join(signalDir, name), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Problems of a report.json against schema/report.schema.json (none: []). */
export function reportSchemaErrors(report: unknown): string[] {
  const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schema', 'report.schema.json'), 'utf8')) as object;
  const validate = new Ajv2020({ allErrors: true, strict: true, validateFormats: false }).compile(schema);
  return validate(report) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}
