import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { buildConfigSchema } from '../../src/config/config-schema.js';
import { validateConfig } from '../../src/config/validate-config.js';
import type { ChunkReport, RunInProgressReport, RunReport } from '../../src/results/report-types.js';
import { FIXTURES_DIR, makeSuiteProject, readReport, REPO_ROOT, runCli } from '../helpers/cli.js';

function readJson(relative: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, relative), 'utf8')) as Record<string, unknown>;
}

// Typed against the report interfaces: a field added to (or dropped from) a type without the
// schema, or the other way round, breaks either the compile or the assertions below.
const RUN_REPORT_KEYS = {
  schemaVersion: true, tool: true, runId: true, status: true, exitCode: true, startedAt: true, finishedAt: true,
  durationMs: true, interruptedBy: true, configFile: true, reportDir: true, parallelChunks: true, chunks: true,
  failOnLeak: true, gpuSampling: true, orchestrator: true, maxConcurrentChunks: true, schedule: true,
} satisfies Record<keyof RunReport, true>;
const IN_PROGRESS_KEYS = {
  schemaVersion: true, tool: true, runId: true, status: true, kind: true, startedAt: true, configFile: true, reportDir: true,
  process: true, plannedChunks: true,
} satisfies Record<keyof RunInProgressReport, true>;
const CHUNK_REPORT_KEYS = {
  name: true, description: true, status: true, message: true, required: true, allowEmpty: true, runner: true,
  exitCode: true, signal: true, command: true, commandLine: true, cwd: true, env: true, workers: true, timeoutMs: true,
  pid: true, startedAt: true, durationMs: true, logFile: true, junitFile: true, tests: true, oomKillDelta: true,
  evidence: true, isolation: true, isolationDecision: true, memory: true, gpu: true, warnings: true, testsSource: true, notRun: true, blamedTests: true,
  topRetainedTests: true, topPeakTests: true, attempts: true, shard: true, workersReason: true, mergedShards: true, memorySchedule: true,
} satisfies Record<keyof ChunkReport, true>;

test('the report schema names exactly the fields of the report types', () => {
  const schema = readJson('schema/report.schema.json') as {
    $defs: {
      finishedRun: { properties: Record<string, unknown>; required: string[] };
      runInProgress: { properties: Record<string, unknown>; required: string[] };
      chunk: { properties: Record<string, unknown>; required: string[] };
    };
  };
  assert.deepEqual(Object.keys(schema.$defs.finishedRun.properties).sort(), Object.keys(RUN_REPORT_KEYS).sort());
  assert.deepEqual([...schema.$defs.finishedRun.required].sort(), Object.keys(RUN_REPORT_KEYS).sort());
  assert.deepEqual(Object.keys(schema.$defs.runInProgress.properties).sort(), Object.keys(IN_PROGRESS_KEYS).sort());
  assert.deepEqual([...schema.$defs.runInProgress.required].sort(), Object.keys(IN_PROGRESS_KEYS).sort());
  assert.deepEqual(Object.keys(schema.$defs.chunk.properties).sort(), Object.keys(CHUNK_REPORT_KEYS).sort());
  assert.deepEqual([...schema.$defs.chunk.required].sort(), Object.keys(CHUNK_REPORT_KEYS).sort());
});

test('a real report.json (passed, failed, timeout and error chunks) validates against the schema', async () => {
  const { dir } = makeSuiteProject({
    chunks: [
      { name: 'first', markers: 'first', workers: 2 },
      { name: 'failing', markers: 'failing', env: { SECRET_KEY: 'do-not-leak' } },
      { name: 'hang', markers: 'hang', timeout: '1s', gracePeriod: '500ms' },
      { name: 'noxdist', markers: 'first', workers: 2, env: { PYTHONPATH: `${FIXTURES_DIR}/blocker` } },
    ],
  });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
  const validate = ajv.compile(readJson('schema/report.schema.json'));
  const report = readReport(dir);
  assert.ok(validate(report), JSON.stringify(validate.errors, null, 2));
  assert.deepEqual(
    report.chunks.map((chunk) => chunk.status),
    ['passed', 'failed', 'timeout', 'error'],
  );
  assert.equal(report.chunks[1]!.env.SECRET_KEY, '***');
  assert.doesNotMatch(readFileSync(path.join(dir, '.run-chunks/report/report.json'), 'utf8'), /do-not-leak/);
});

test('schema/chunks.config.schema.json is up to date with the config field specs (npm run gen:schema)', () => {
  assert.deepEqual(readJson('schema/chunks.config.schema.json'), buildConfigSchema());
});

test('the bundled chunks.config.json passes both the schema and the validator', () => {
  const config = readJson('chunks.config.json');
  const validate = new Ajv2020({ strict: true }).compile(buildConfigSchema());
  assert.ok(validate(config), JSON.stringify(validate.errors, null, 2));
  assert.deepEqual(validateConfig(config), []);
  const chunks = config.chunks as { name: string; workers: number }[];
  assert.deepEqual(
    chunks.map((chunk) => [chunk.name, chunk.workers]),
    [
      ['unit_fast', 4],
      ['unit_memory', 2],
      ['integration', 2],
      ['validation', 2],
      ['stress', 1],
      ['performance', 1],
    ],
  );
});
