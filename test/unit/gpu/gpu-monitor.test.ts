import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { startGpuMonitor, type GpuMonitor, type GpuMonitorOptions, type GpuSnapshot } from '../../../src/gpu/gpu-monitor.js';
import { waitFor } from '../../../src/proc/process-group.js';
import { listProcessesMentioning, makeFakeSmi, makeGpuUuid, MIB, sleep, type FakeSmi } from './fake-smi-helpers.js';

// Fast enough for tests, slow enough for a Node-based fake to keep up on a busy machine.
const INTERVAL_MS = 50;
const STALL_TIMEOUT_MS = 1_500;
// Generous: a failure takes a stall timeout or two, plus process starts on a loaded machine.
const WAIT_MS = 8_000;

interface Notice {
  level: 'info' | 'warning';
  message: string;
}

interface Harness {
  monitor: GpuMonitor;
  notices: Notice[];
  fake: FakeSmi;
}

let running: Harness | undefined;

// Every test ends the same way: stop() leaves no fake nvidia-smi behind.
afterEach(async () => {
  if (running === undefined) return;
  const { monitor, fake } = running;
  running = undefined;
  await monitor.stop();
  assert.equal(monitor.state, 'off');
  assert.equal(monitor.latest(), undefined);
  assert.deepEqual(listProcessesMentioning(fake.dir), [], 'a fake nvidia-smi outlived stop()');
});

function startHarness(scenario: Record<string, unknown>, overrides: Partial<GpuMonitorOptions> = {}): Harness {
  const fake = makeFakeSmi(scenario);
  const notices: Notice[] = [];
  const monitor = startGpuMonitor({
    nvidiaSmi: 'nvidia-smi',
    intervalMs: INTERVAL_MS,
    stallTimeoutMs: STALL_TIMEOUT_MS,
    env: fake.env,
    onNotice: (level, message) => notices.push({ level, message }),
    ...overrides,
  });
  running = { monitor, notices, fake };
  return running;
}

async function waitForState(monitor: GpuMonitor, state: GpuMonitor['state']): Promise<void> {
  assert.ok(await waitFor(() => monitor.state === state, WAIT_MS, 10), `state stayed ${monitor.state}, expected ${state}`);
}

/** Waits for a snapshot newer than `afterMs` and returns it. */
async function waitForSnapshot(monitor: GpuMonitor, afterMs = 0, check: (snapshot: GpuSnapshot) => boolean = () => true): Promise<GpuSnapshot> {
  let found: GpuSnapshot | undefined;
  const ok = await waitFor(
    () => {
      const snapshot = monitor.latest();
      if (snapshot !== undefined && snapshot.takenAtMs > afterMs && check(snapshot)) found = snapshot;
      return found !== undefined;
    },
    WAIT_MS,
    10,
  );
  assert.ok(ok && found !== undefined, 'no matching snapshot arrived');
  return found;
}

function noticesOf(harness: Harness, level: Notice['level']): string[] {
  return harness.notices.filter((notice) => notice.level === level).map((notice) => notice.message);
}

test('samples devices and processes every tick; state goes starting → running', async () => {
  const uuid = makeGpuUuid();
  const harness = startHarness({
    devices: [{ index: 0, uuid, totalMiB: 40960, usedMiB: 1000, utilization: 37 }],
    processes: [{ pid: 4242, gpuUuid: uuid, usedMiB: 512 }],
  });
  assert.equal(harness.monitor.state, 'starting');
  assert.equal(harness.monitor.latest(), undefined);
  const startedAtMs = Date.now();
  const first = await waitForSnapshot(harness.monitor);
  assert.equal(harness.monitor.state, 'running');
  assert.ok(first.takenAtMs >= startedAtMs && first.takenAtMs <= Date.now());
  assert.deepEqual(first.devices, [{ index: 0, uuid, memoryUsedBytes: 1000 * MIB, memoryTotalBytes: 40960 * MIB, utilizationPercent: 37 }]);
  assert.deepEqual(first.processes, [{ pid: 4242, gpuUuid: uuid, usedMemoryBytes: 512 * MIB }]);
  const second = await waitForSnapshot(harness.monitor, first.takenAtMs);
  assert.ok(second.takenAtMs > first.takenAtMs);
  assert.deepEqual(harness.notices, []);
});

test('no compute processes: ticks still complete, with an empty process list', async () => {
  const harness = startHarness({ devices: [{ index: 0, uuid: makeGpuUuid(), totalMiB: 16384, usedMiB: 0, utilization: 0 }], processes: [] });
  const first = await waitForSnapshot(harness.monitor);
  assert.deepEqual(first.processes, []);
  await waitForSnapshot(harness.monitor, first.takenAtMs);
  assert.deepEqual(harness.notices, []);
});

test('[N/A] and [Not Supported] values arrive as null', async () => {
  const uuid = makeGpuUuid();
  const harness = startHarness({
    devices: [{ index: 0, uuid, totalMiB: 81920, usedMiB: '[N/A]', utilization: '[Not Supported]' }],
    processes: [{ pid: 77, gpuUuid: uuid, usedMiB: '[N/A]' }],
  });
  const snapshot = await waitForSnapshot(harness.monitor);
  assert.deepEqual(snapshot.devices, [{ index: 0, uuid, memoryUsedBytes: null, memoryTotalBytes: 81920 * MIB, utilizationPercent: null }]);
  assert.deepEqual(snapshot.processes, [{ pid: 77, gpuUuid: uuid, usedMemoryBytes: null }]);
});

test('several GPUs: one reading each per snapshot, in index order, values moving between ticks', async () => {
  const uuids = [makeGpuUuid(), makeGpuUuid(), makeGpuUuid(), makeGpuUuid()];
  const harness = startHarness({
    devices: uuids.map((uuid, index) => ({
      index,
      uuid,
      totalMiB: 81559,
      usedMiB: index === 2 ? { from: 100, perSecond: 4000, max: 80000 } : 10 * index,
      utilization: index * 10,
    })),
    processes: [
      { pid: 1001, gpuUuid: uuids[2], usedMiB: { from: 50, perSecond: 4000 } },
      { pid: 1002, gpuUuid: uuids[3], usedMiB: 300 },
    ],
  });
  const first = await waitForSnapshot(harness.monitor);
  assert.deepEqual(
    first.devices.map((device) => [device.index, device.uuid]),
    uuids.map((uuid, index) => [index, uuid]),
  );
  assert.deepEqual(
    first.processes.map((process) => process.pid),
    [1001, 1002],
  );
  const firstUsed = first.devices[2]!.memoryUsedBytes!;
  const later = await waitForSnapshot(harness.monitor, first.takenAtMs + 200);
  assert.equal(later.devices.length, 4);
  assert.ok(later.devices[2]!.memoryUsedBytes! > firstUsed, 'the ramping GPU did not grow');
  assert.equal(later.devices[1]!.memoryUsedBytes, 10 * MIB);
});

test('the PIDs of a chunk’s processes can be given GPU memory (pidOfChunk)', async () => {
  const uuid = makeGpuUuid();
  const chunkName = `gpu-chunk-${process.pid}`;
  const chunk = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    env: { ...process.env, RUN_CHUNKS_CHUNK: chunkName },
    stdio: 'ignore',
  });
  try {
    const harness = startHarness({
      devices: [{ index: 0, uuid, totalMiB: 40960, usedMiB: 2000, utilization: 50 }],
      processes: [{ pidOfChunk: chunkName, gpuUuid: uuid, usedMiB: 1500 }],
    });
    const snapshot = await waitForSnapshot(harness.monitor, 0, (candidate) => candidate.processes.length > 0);
    assert.deepEqual(snapshot.processes, [{ pid: chunk.pid, gpuUuid: uuid, usedMemoryBytes: 1500 * MIB }]);
  } finally {
    chunk.kill('SIGKILL');
  }
});

test('a hang is detected, nvidia-smi restarted once, and sampling goes on', async () => {
  const harness = startHarness({
    devices: [{ index: 0, uuid: makeGpuUuid(), totalMiB: 40960, usedMiB: 10, utilization: 0 }],
    hangAfterTicks: 4,
    onlyFirstRun: true,
  });
  await waitForSnapshot(harness.monitor);
  assert.ok(await waitFor(() => harness.notices.length > 0, WAIT_MS, 10), 'the hang went unnoticed');
  const restartedAtMs = Date.now();
  assert.deepEqual(harness.notices, [
    { level: 'info', message: `GPU sampling: nvidia-smi gave no complete reading for ${STALL_TIMEOUT_MS} ms; restarting nvidia-smi` },
  ]);
  await waitForSnapshot(harness.monitor, restartedAtMs);
  assert.equal(harness.monitor.state, 'running');
  assert.deepEqual(noticesOf(harness, 'warning'), []);
});

test('hanging twice turns sampling off with exactly one warning', async () => {
  const harness = startHarness({ devices: [{ index: 0, uuid: makeGpuUuid(), totalMiB: 40960, usedMiB: 10, utilization: 0 }], hangAfterTicks: 3 });
  await waitForSnapshot(harness.monitor);
  await waitForState(harness.monitor, 'off');
  assert.equal(harness.monitor.latest(), undefined);
  // Nothing more is said while it stays off.
  await sleep(STALL_TIMEOUT_MS + 200);
  assert.deepEqual(noticesOf(harness, 'warning'), [`GPU sampling is off: nvidia-smi gave no complete reading for ${STALL_TIMEOUT_MS} ms`]);
  assert.equal(noticesOf(harness, 'info').length, 1);
  assert.equal(harness.monitor.state, 'off');
});

test('nvidia-smi exiting is restarted once', async () => {
  const harness = startHarness({
    devices: [{ index: 0, uuid: makeGpuUuid(), totalMiB: 40960, usedMiB: 10, utilization: 0 }],
    exitAfterTicks: 3,
    onlyFirstRun: true,
  });
  assert.ok(await waitFor(() => harness.notices.length > 0, WAIT_MS, 10), 'the exit went unnoticed');
  const restartedAtMs = Date.now();
  assert.deepEqual(harness.notices, [{ level: 'info', message: 'GPU sampling: nvidia-smi exited with code 0; restarting nvidia-smi' }]);
  await waitForSnapshot(harness.monitor, restartedAtMs);
  assert.equal(harness.monitor.state, 'running');
});

test('nvidia-smi exiting twice turns sampling off', async () => {
  const harness = startHarness({ devices: [{ index: 0, uuid: makeGpuUuid(), totalMiB: 40960, usedMiB: 10, utilization: 0 }], exitAfterTicks: 3 });
  await waitForState(harness.monitor, 'off');
  assert.deepEqual(noticesOf(harness, 'warning'), ['GPU sampling is off: nvidia-smi exited with code 0']);
});

test('a missing nvidia-smi turns sampling off at once, with a clear message', async () => {
  const emptyBin = mkdtempSync(path.join(tmpdir(), 'no-nvidia-smi-'));
  const harness = startHarness({}, { env: { ...process.env, PATH: emptyBin } });
  await waitForState(harness.monitor, 'off');
  assert.deepEqual(harness.notices, [{ level: 'warning', message: 'GPU sampling is off: could not start "nvidia-smi": no such program on PATH' }]);
});

test('a missing nvidia-smi given as a path names that path', async () => {
  const missing = path.join(tmpdir(), 'no-such-folder-for-nvidia-smi', 'nvidia-smi');
  const harness = startHarness({}, { nvidiaSmi: missing });
  await waitForState(harness.monitor, 'off');
  assert.deepEqual(harness.notices, [{ level: 'warning', message: `GPU sampling is off: could not start "${missing}": no such program` }]);
});

test('no driver: nvidia-smi’s own message ends up in the warning', async () => {
  const harness = startHarness({ devices: [], failStart: 'no-driver' });
  await waitForState(harness.monitor, 'off');
  assert.deepEqual(noticesOf(harness, 'warning'), [
    "GPU sampling is off: nvidia-smi exited with code 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
  ]);
});

test('output that never parses is treated as a hang, and turns sampling off after one restart', async () => {
  const harness = startHarness({ devices: [{ index: 0, uuid: makeGpuUuid(), totalMiB: 40960, usedMiB: 10, utilization: 0 }], garbage: true });
  await waitForState(harness.monitor, 'off');
  const warnings = noticesOf(harness, 'warning');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^GPU sampling is off: nvidia-smi gave no complete reading for 1500 ms; it printed: %%% fake nvidia-smi garbage %%%$/);
  assert.equal(harness.monitor.latest(), undefined);
});

test('a process query that never returns is named in the warning, and killed', async () => {
  // Found by the GPU fault suite (test/faults): the warning blamed nvidia-smi as a whole, though its loop was fine.
  const harness = startHarness({ devices: [{ index: 0, uuid: makeGpuUuid(), totalMiB: 40960, usedMiB: 10, utilization: 0 }], hangQueries: true });
  await waitForState(harness.monitor, 'off');
  assert.deepEqual(harness.notices, [
    {
      level: 'info',
      message: `GPU sampling: nvidia-smi gave no complete reading for ${STALL_TIMEOUT_MS} ms: nvidia-smi --query-compute-apps has not returned; restarting nvidia-smi`,
    },
    { level: 'warning', message: `GPU sampling is off: nvidia-smi gave no complete reading for ${STALL_TIMEOUT_MS} ms: nvidia-smi --query-compute-apps has not returned` },
  ]);
  // Giving up retired the session: the stuck query is gone before stop() is called.
  assert.ok(await waitFor(() => listProcessesMentioning(harness.fake.dir).length === 0, WAIT_MS, 10), 'a stuck query outlived the session');
});

test('stop() kills an nvidia-smi that ignores SIGTERM', async () => {
  const harness = startHarness({ devices: [{ index: 0, uuid: makeGpuUuid(), totalMiB: 40960, usedMiB: 10, utilization: 0 }], ignoreSigterm: true });
  await waitForSnapshot(harness.monitor);
  assert.ok(listProcessesMentioning(harness.fake.dir).length > 0);
  // The afterEach hook stops the monitor and checks that nothing is left.
});

test('stop() right after start leaves nothing behind', async () => {
  const harness = startHarness({ devices: [{ index: 0, uuid: makeGpuUuid(), totalMiB: 40960, usedMiB: 10, utilization: 0 }] });
  await harness.monitor.stop();
  assert.equal(harness.monitor.state, 'off');
  await sleep(3 * INTERVAL_MS);
  assert.deepEqual(harness.notices, []);
});
