import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { parseComputeAppsOutput, parseGpuQueryOutput } from '../../../src/gpu/nvidia-smi-csv.js';
import { buildDeviceLoopArgs, buildProcessQueryArgs } from '../../../src/gpu/nvidia-smi-queries.js';
import { waitFor } from '../../../src/proc/process-group.js';
import { listProcessesMentioning, makeFakeSmi, MIB, type FakeSmi } from './fake-smi-helpers.js';

// The fake must print what real nvidia-smi prints (see src/gpu/nvidia-smi-csv.ts), or the
// monitor tests would prove nothing. These pin its formats and behaviours.

const UUID_A = 'GPU-2762b558-7fac-024b-2b6f-209a2e06b94c';
const UUID_B = 'GPU-5401efac-69f8-97a4-8127-ca26c1b9f6b6';

function runFake(fake: FakeSmi, args: string[]): { status: number | null; stdout: string } {
  const result = spawnSync(fake.program, args, { env: fake.env, encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, stdout: result.stdout };
}

/** Runs a loop-mode fake until it printed `lineCount` lines; returns them. */
async function readLoopLines(fake: FakeSmi, args: string[], lineCount: number): Promise<string[]> {
  const child = spawn(fake.program, args, { env: fake.env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    lines.push(line);
    if (lines.length === lineCount) break;
  }
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('close', resolve));
  return lines;
}

const TWO_GPUS = {
  devices: [
    { index: 0, uuid: UUID_A, totalMiB: 23034, usedMiB: 21246, utilization: 3 },
    { index: 1, uuid: UUID_B, totalMiB: 23034, usedMiB: '[N/A]', utilization: '[Not Supported]' },
  ],
  processes: [{ pid: 10042, gpuUuid: UUID_A, usedMiB: 4435 }],
};

test('prints --query-gpu like nvidia-smi: ", " separators, bracketed units in the header, N/A markers', () => {
  const fake = makeFakeSmi(TWO_GPUS);
  const query = '--query-gpu=index,uuid,memory.used,memory.total,utilization.gpu';
  assert.deepEqual(runFake(fake, [query, '--format=csv']), {
    status: 0,
    stdout: [
      'index, uuid, memory.used [MiB], memory.total [MiB], utilization.gpu [%]',
      `0, ${UUID_A}, 21246 MiB, 23034 MiB, 3 %`,
      `1, ${UUID_B}, [N/A], 23034 MiB, [Not Supported]`,
      '',
    ].join('\n'),
  });
  assert.deepEqual(runFake(fake, [query, '--format=csv,nounits']).stdout.split('\n')[0], 'index, uuid, memory.used [MiB], memory.total [MiB], utilization.gpu [%]');
  assert.equal(runFake(fake, [query, '--format=csv,noheader,nounits']).stdout, `0, ${UUID_A}, 21246, 23034, 3\n1, ${UUID_B}, [N/A], 23034, [Not Supported]\n`);
});

test('prints --query-compute-apps with the used_gpu_memory header; nothing (or the header) without processes', () => {
  const fake = makeFakeSmi(TWO_GPUS);
  assert.equal(
    runFake(fake, ['--query-compute-apps=pid,gpu_uuid,used_memory', '--format=csv']).stdout,
    `pid, gpu_uuid, used_gpu_memory [MiB]\n10042, ${UUID_A}, 4435 MiB\n`,
  );
  assert.deepEqual(parseComputeAppsOutput(runFake(fake, buildProcessQueryArgs()).stdout), [{ pid: 10042, gpuUuid: UUID_A, usedMemoryBytes: 4435 * MIB }]);
  const idle = makeFakeSmi({ ...TWO_GPUS, processes: [] });
  assert.deepEqual(runFake(idle, buildProcessQueryArgs()), { status: 0, stdout: '' });
  assert.equal(runFake(idle, ['--query-compute-apps=pid,gpu_uuid,used_memory', '--format=csv']).stdout, 'pid, gpu_uuid, used_gpu_memory [MiB]\n');
});

test('-L lists the GPUs with their UUIDs', () => {
  const fake = makeFakeSmi(TWO_GPUS);
  assert.deepEqual(runFake(fake, ['-L']), {
    status: 0,
    stdout: `GPU 0: NVIDIA A100-SXM4-40GB (UUID: ${UUID_A})\nGPU 1: NVIDIA A100-SXM4-40GB (UUID: ${UUID_B})\n`,
  });
});

test('loop mode prints the header once and rows only, no blank lines between iterations', async () => {
  const fake = makeFakeSmi(TWO_GPUS);
  const lines = await readLoopLines(fake, ['--query-gpu=index,uuid,memory.used,memory.total,utilization.gpu', '--format=csv', '-lms', '20'], 7);
  assert.equal(lines[0], 'index, uuid, memory.used [MiB], memory.total [MiB], utilization.gpu [%]');
  assert.deepEqual(
    lines.slice(1).map((line) => line.split(', ')[0]),
    ['0', '1', '0', '1', '0', '1'],
  );
  const rows = parseGpuQueryOutput((await readLoopLines(fake, buildDeviceLoopArgs(20), 4)).join('\n'));
  assert.deepEqual(
    rows.map((row) => row.index),
    [0, 1, 0, 1],
  );
});

test('no driver: prints nvidia-smi’s message on stdout and exits 9, for every query form', () => {
  const fake = makeFakeSmi({ failStart: 'no-driver' });
  for (const args of [['-L'], buildProcessQueryArgs(), buildDeviceLoopArgs(50)]) {
    assert.deepEqual(runFake(fake, args), {
      status: 9,
      stdout: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n",
    });
  }
});

test('onlyFirstRun: the first loop-mode run fails, later runs work', () => {
  const fake = makeFakeSmi({ ...TWO_GPUS, failStart: 'no-driver', onlyFirstRun: true });
  // One-shot queries never claim the first run.
  assert.equal(runFake(fake, buildProcessQueryArgs()).status, 0);
  assert.equal(runFake(fake, [...buildDeviceLoopArgs(50)]).status, 9);
  const fakeExit = makeFakeSmi({ ...TWO_GPUS, exitAfterTicks: 2, onlyFirstRun: true });
  assert.deepEqual(runFake(fakeExit, buildDeviceLoopArgs(10)), {
    status: 0,
    stdout: `0, ${UUID_A}, 21246, 23034, 3\n1, ${UUID_B}, [N/A], 23034, [Not Supported]\n`.repeat(2),
  });
});

test('rejects arguments nvidia-smi would reject', () => {
  const fake = makeFakeSmi(TWO_GPUS);
  assert.equal(runFake(fake, ['--query-gpu=index,nonsense', '--format=csv']).status, 2);
  assert.equal(runFake(fake, ['--bogus']).status, 2);
});

test('exits on SIGTERM, and when its stdout is closed, even while hanging', async () => {
  const fake = makeFakeSmi({ ...TWO_GPUS, hangAfterTicks: 1 });
  const child = spawn(fake.program, buildDeviceLoopArgs(20), { env: fake.env, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  await waitFor(() => (child.stdout.readableLength ?? 0) > 0, 5_000, 10);
  child.kill('SIGTERM');
  assert.equal(await exited, 143);

  const reader = spawn(fake.program, buildDeviceLoopArgs(20), { env: { ...fake.env, FAKE_NVIDIA_SMI_SCENARIO: makeFakeSmi(TWO_GPUS).scenarioFile }, stdio: ['ignore', 'pipe', 'ignore'] });
  const readerExited = new Promise((resolve) => reader.once('exit', resolve));
  await waitFor(() => (reader.stdout.readableLength ?? 0) > 0, 5_000, 10);
  reader.stdout.destroy();
  assert.equal(await readerExited, 0);
  assert.ok(await waitFor(() => listProcessesMentioning(fake.dir).length === 0, 2_000, 20));
});
