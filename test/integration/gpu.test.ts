import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { assertNoLeftovers, chunkOf, FIXTURES_DIR, makeSuiteProject, readAnnounced, readReport, runCli, startCli, waitUntil } from '../helpers/cli.js';

const MIB = 1024 * 1024;
const FAKE_SMI_DIR = path.join(FIXTURES_DIR, 'fake-nvidia-smi');
const GPU0 = 'GPU-3d4b5e61-0a1b-4c2d-9e8f-000000000000';
const GPU1 = 'GPU-3d4b5e61-0a1b-4c2d-9e8f-111111111111';

interface Scenario {
  devices: { index: number; uuid: string; totalMiB: number; usedMiB: number | string; utilization: number }[];
  processes: { pid?: number; pidOfChunk?: string; gpuUuid: string; usedMiB: number | string }[];
  failStart?: string;
}

/** A project whose PATH starts with the fake nvidia-smi, following `scenario` (rewritable mid-run). */
function makeGpuProject(config: Record<string, unknown>, scenario: Scenario) {
  const project = makeSuiteProject(config);
  const scenarioFile = path.join(project.dir, 'gpu-scenario.json');
  const write = (next: Scenario): void => writeFileSync(scenarioFile, JSON.stringify(next));
  write(scenario);
  const env = { PATH: `${FAKE_SMI_DIR}:${process.env.PATH}`, FAKE_NVIDIA_SMI_SCENARIO: scenarioFile };
  return { ...project, env, write };
}

const twoGpus = (used0: number, used1: number): Scenario['devices'] => [
  { index: 0, uuid: GPU0, totalMiB: 81_559, usedMiB: used0, utilization: 40 },
  { index: 1, uuid: GPU1, totalMiB: 81_559, usedMiB: used1, utilization: 0 },
];

test('GPU memory of the chunk\'s own processes is attributed to it; per-device peaks are recorded', async () => {
  const project = makeGpuProject(
    { chunks: [{ name: 'gpu', markers: 'idle', sampleInterval: '100ms' }] },
    {
      devices: twoGpus(2_300, 700),
      processes: [
        { pidOfChunk: 'gpu', gpuUuid: GPU0, usedMiB: 1_500 },
        // Another local process (init) on GPU 1: not the chunk's.
        { pid: 1, gpuUuid: GPU1, usedMiB: 700 },
      ],
    },
  );
  const result = await runCli([], { cwd: project.dir, env: project.env });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const report = readReport(project.dir);
  assert.deepEqual(report.gpuSampling, { requested: 'auto', active: true, reason: null });
  const gpu = chunkOf(report, 'gpu').gpu!;
  assert.equal(gpu.peakBytes, 1_500 * MIB);
  assert.equal(gpu.attribution, 'process');
  assert.deepEqual(gpu.devices, [
    { index: 0, uuid: GPU0, peakUsedBytes: 2_300 * MIB, totalBytes: 81_559 * MIB },
    { index: 1, uuid: GPU1, peakUsedBytes: 700 * MIB, totalBytes: 81_559 * MIB },
  ]);
  assert.match(result.stdout, /Peak GPU/);
  assert.match(result.stdout, /1\.46 GiB/);
  // Without torch, a test's GPU peak is its process's nvidia-smi readings while it ran (each idle
  // test lasts 0.4 s: several GPU rounds on an idle machine, at least one on a loaded one).
  const tests = chunkOf(report, 'gpu').topPeakTests;
  const withGpu = tests.filter((entry) => entry.gpuPeakBytes !== null);
  assert.ok(withGpu.length >= 1, JSON.stringify(tests));
  assert.ok(withGpu.every((entry) => entry.gpuPeakBytes === 1_500 * MIB && entry.gpuPeakSource === 'nvidia-smi'), JSON.stringify(withGpu));
  assertNoLeftovers(result.tag);
});

test('a chunk over its gpuMemoryLimit is stopped with status gpu-memory-limit; the other chunks go on', async () => {
  const scenario: Scenario = { devices: twoGpus(1_000, 0), processes: [{ pidOfChunk: 'victim', gpuUuid: GPU0, usedMiB: 500 }] };
  const project = makeGpuProject(
    {
      chunks: [
        { name: 'victim', markers: 'victim', gpuMemoryLimit: '2GiB', sampleInterval: '100ms', timeout: '60s', gracePeriod: '1s' },
        { name: 'last', markers: 'last' },
      ],
    },
    scenario,
  );
  const run = startCli([], { cwd: project.dir, env: project.env });
  await waitUntil(() => readAnnounced(project.signalDir, 'victim') !== undefined, 30_000, 'the victim test to start');
  // The test now "loads a model": its process holds 3000 MiB of GPU memory.
  project.write({ ...scenario, processes: [{ pidOfChunk: 'victim', gpuUuid: GPU0, usedMiB: 3_000 }] });
  const result = await run.result;
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const report = readReport(project.dir);
  const victim = chunkOf(report, 'victim');
  assert.equal(victim.status, 'gpu-memory-limit');
  assert.equal(victim.message, 'stopped by run-chunks: its GPU memory reached 2.93 GiB, over its gpuMemoryLimit of 2 GiB');
  assert.equal(victim.gpu?.limitBytes, 2 * 1024 * MIB);
  assert.equal(victim.gpu?.peakBytes, 3_000 * MIB);
  assert.equal(chunkOf(report, 'last').status, 'passed');
  assertNoLeftovers(result.tag);
});

test('PIDs that nvidia-smi reports but that do not exist here: device growth is attributed, and said', async () => {
  const scenario: Scenario = { devices: twoGpus(1_000, 0), processes: [{ pid: 4_000_123, gpuUuid: GPU0, usedMiB: '[N/A]' }] };
  const project = makeGpuProject({ chunks: [{ name: 'victim', markers: 'victim', sampleInterval: '100ms', timeout: '3s', gracePeriod: '500ms' }] }, scenario);
  const run = startCli([], { cwd: project.dir, env: project.env });
  await waitUntil(() => readAnnounced(project.signalDir, 'victim') !== undefined, 30_000, 'the victim test to start');
  project.write({ ...scenario, devices: twoGpus(3_500, 0) });
  const result = await run.result;
  const gpu = chunkOf(readReport(project.dir), 'victim').gpu!;
  assert.equal(gpu.attribution, 'device-delta');
  assert.equal(gpu.peakBytes, 2_500 * MIB);
  assert.match(result.stderr, /nvidia-smi reports GPU processes whose PIDs do not exist here/);
  assertNoLeftovers(result.tag);
});

test('nvidia-smi that cannot talk to the driver: GPU sampling goes off with one warning; the run is unharmed', async () => {
  const project = makeGpuProject({ chunks: [{ name: 'first', markers: 'first' }] }, { devices: twoGpus(0, 0), processes: [], failStart: 'no-driver' });
  const result = await runCli([], { cwd: project.dir, env: project.env });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.equal(result.stderr.match(/GPU sampling is off/g)?.length, 1, result.stderr);
  assert.match(result.stderr, /NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/);
  const report = readReport(project.dir);
  assert.equal(report.gpuSampling.active, false);
  assert.match(report.gpuSampling.reason ?? '', /exited with code 9/);
  assert.equal(chunkOf(report, 'first').gpu, null);
  assert.equal(chunkOf(report, 'first').status, 'passed');
  assertNoLeftovers(result.tag);
});

test('--gpu on without nvidia-smi is a usage error; --gpu auto without it samples no GPU', async () => {
  const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first' }] });
  // A PATH with python's and node's folders but no nvidia-smi.
  const env = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` };
  const on = await runCli(['--gpu', 'on'], { cwd: dir, env });
  assert.equal(on.exitCode, 2);
  assert.equal(on.stderr, 'run-chunks: error: --gpu on needs nvidia-smi, but it is not on PATH. Install the NVIDIA driver utilities, add their folder to PATH, or use --gpu auto.\n');
  const auto = await runCli([], { cwd: dir, env });
  assert.equal(auto.exitCode, 0, auto.stdout + auto.stderr);
  assert.deepEqual(readReport(dir).gpuSampling, { requested: 'auto', active: false, reason: 'nvidia-smi is not on PATH' });
  assert.equal(chunkOf(readReport(dir), 'first').gpu, null);
});
