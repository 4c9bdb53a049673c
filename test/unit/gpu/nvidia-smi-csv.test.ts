import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseComputeAppsLine,
  parseComputeAppsOutput,
  parseGpuQueryLine,
  parseGpuQueryOutput,
} from '../../../src/gpu/nvidia-smi-csv.js';

const MIB = 1024 * 1024;

// `--query-gpu=index,uuid,memory.used,memory.total,utilization.gpu --format=csv,noheader,nounits`
// on eight TITAN X (the row shape from wookayin/gpustat#5, narrowed to our five fields).
const EIGHT_GPUS_NOHEADER = `0, GPU-004f693d-767b-b215-b4a9-a18af0ffd643, 802, 12206, 0
1, GPU-86fe97db-bf54-a056-4e8d-9b07e1a298e7, 10032, 12206, 86
2, GPU-2090c509-a97a-e2fe-68f4-cf9e874c36f2, 6442, 12206, 85
3, GPU-f0e47078-b19f-a3ff-bf2e-03a4c5fe3c2a, 6442, 12206, 60
4, GPU-637ac0be-f0e1-b056-bf28-b2c046e5e17e, 6459, 12206, 84
5, GPU-4168500a-bee8-3b4d-ba1b-75289a4afdcd, 6440, 12206, 83
6, GPU-92ce5025-17c0-7c83-d2eb-a697262d4c46, 6451, 12206, 83
7, GPU-f199c9ea-65d8-5382-aefe-a9e8fb48057b, 6442, 12206, 82
`;

// The same query with `--format=csv` (header, units): a four-GPU sample quoted in a vLLM note,
// with the utilization column added.
const FOUR_GPUS_WITH_HEADER = `index, uuid, memory.used [MiB], memory.total [MiB], utilization.gpu [%]
0, GPU-2762b558-7fac-024b-2b6f-209a2e06b94c, 21246 MiB, 23034 MiB, 3 %
1, GPU-5401efac-69f8-97a4-8127-ca26c1b9f6b6, 21246 MiB, 23034 MiB, 0 %
2, GPU-e3386481-63c3-aa75-3b61-363533329fa5, 0 MiB, 23034 MiB, 0 %
3, GPU-25ea96f1-02f7-7251-d394-3d34f29939ee, 0 MiB, 23034 MiB, 0 %
`;

test('parses one GPU row per line of a multi-GPU noheader,nounits output, MiB to bytes', () => {
  const devices = parseGpuQueryOutput(EIGHT_GPUS_NOHEADER);
  assert.equal(devices.length, 8);
  assert.deepEqual(devices[1], {
    index: 1,
    uuid: 'GPU-86fe97db-bf54-a056-4e8d-9b07e1a298e7',
    memoryUsedBytes: 10032 * MIB,
    memoryTotalBytes: 12206 * MIB,
    utilizationPercent: 86,
  });
  assert.deepEqual(
    devices.map((device) => device.index),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
});

test('skips the header and reads values that carry units', () => {
  const devices = parseGpuQueryOutput(FOUR_GPUS_WITH_HEADER);
  assert.equal(devices.length, 4);
  assert.deepEqual(devices[0], {
    index: 0,
    uuid: 'GPU-2762b558-7fac-024b-2b6f-209a2e06b94c',
    memoryUsedBytes: 21246 * MIB,
    memoryTotalBytes: 23034 * MIB,
    utilizationPercent: 3,
  });
  assert.equal(parseGpuQueryLine('index, uuid, memory.used [MiB], memory.total [MiB], utilization.gpu [%]'), undefined);
});

test('reads [N/A], [Not Supported], [Insufficient Permissions] and bare N/A as null', () => {
  // An unprivileged MIG container (Stability-AI/StableSwarmUI#388): memory.* are
  // [Insufficient Permissions], utilization is [N/A].
  assert.deepEqual(parseGpuQueryLine('0, GPU-5d1b3c1e-1111-2222-3333-444455556666, [Insufficient Permissions], [Insufficient Permissions], [N/A]'), {
    index: 0,
    uuid: 'GPU-5d1b3c1e-1111-2222-3333-444455556666',
    memoryUsedBytes: null,
    memoryTotalBytes: null,
    utilizationPercent: null,
  });
  const older = parseGpuQueryLine('1, GPU-aa, 2004, 2004, [Not Supported]');
  assert.equal(older?.utilizationPercent, null);
  assert.equal(older?.memoryUsedBytes, 2004 * MIB);
  assert.equal(parseGpuQueryLine('2, GPU-bb, N/A, 16384, 5')?.memoryUsedBytes, null);
  // A UUID is required: a row without one cannot be attributed to a device.
  assert.equal(parseGpuQueryLine('3, [N/A], 10, 16384, 5'), undefined);
});

test('parses compute-apps rows, with or without header and units', () => {
  const withHeader = `pid, gpu_uuid, used_gpu_memory [MiB]
10042, GPU-777aa4a9-8dac-a61b-5b5a-118d3e947546, 4435 MiB
2119620, GPU-777aa4a9-8dac-a61b-5b5a-118d3e947546, 338 MiB
`;
  assert.deepEqual(parseComputeAppsOutput(withHeader), [
    { pid: 10042, gpuUuid: 'GPU-777aa4a9-8dac-a61b-5b5a-118d3e947546', usedMemoryBytes: 4435 * MIB },
    { pid: 2119620, gpuUuid: 'GPU-777aa4a9-8dac-a61b-5b5a-118d3e947546', usedMemoryBytes: 338 * MIB },
  ]);
  assert.deepEqual(parseComputeAppsLine('3858903, GPU-d0180485-9584-433c-6782-c335d5df2cb3, 6265'), {
    pid: 3858903,
    gpuUuid: 'GPU-d0180485-9584-433c-6782-c335d5df2cb3',
    usedMemoryBytes: 6265 * MIB,
  });
  // Windows WDDM and some containers report no per-process memory.
  assert.equal(parseComputeAppsLine('4242, GPU-aa, [N/A]')?.usedMemoryBytes, null);
  assert.equal(parseComputeAppsLine('4242, GPU-aa, [Insufficient Permissions]')?.usedMemoryBytes, null);
});

test('no compute processes: empty output (noheader) or the header alone, both give an empty list', () => {
  assert.deepEqual(parseComputeAppsOutput(''), []);
  assert.deepEqual(parseComputeAppsOutput('\n'), []);
  assert.deepEqual(parseComputeAppsOutput('pid, gpu_uuid, used_gpu_memory [MiB]\n'), []);
});

test('garbage, errors and blank lines give undefined, never an exception', () => {
  const garbage = [
    '',
    '   ',
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
    'Failed to initialize NVML: Driver/library version mismatch',
    'NVML library version: 535.161',
    'Xid (PCI:0000:3b:00): 79, pid=0, GPU has fallen off the bus.',
    'No devices were found',
    '0, GPU-aa, 12 GiB, 16384, 5',
    '0, GPU-aa, 12, 16384',
    '0, GPU-aa, 12, 16384, 5, 7',
    '-1, GPU-aa, 12, 16384, 5',
    'x, GPU-aa, 12, 16384, 5',
    '0, GPU a, 12, 16384, 5',
    ',,,,',
    '\u0000\u0001, \uFFFF, 1e5, NaN, Infinity',
  ];
  for (const line of garbage) {
    assert.equal(parseGpuQueryLine(line), undefined, line);
    assert.equal(parseComputeAppsLine(line), undefined, line);
  }
  for (const line of ['0, GPU-aa, 12', 'pid, gpu_uuid, used_gpu_memory [MiB]', '12, GPU-aa, 5 %', '12, GPU-aa', '12 GPU-aa 5']) {
    assert.equal(parseComputeAppsLine(line), undefined, line);
  }
  assert.deepEqual(parseGpuQueryOutput(`${garbage.join('\n')}\n0, GPU-aa, 1, 2, 3\r\n`), [
    { index: 0, uuid: 'GPU-aa', memoryUsedBytes: MIB, memoryTotalBytes: 2 * MIB, utilizationPercent: 3 },
  ]);
});

test('figures too big to be exact in a double make the row garbage, never Infinity', () => {
  // Found by the parser properties (test/faults): 400 nines read as Infinity, 2^53 as an inexact index.
  const nines = '9'.repeat(400);
  assert.equal(parseGpuQueryLine('9007199254740992, GPU-aa, 0, 0, 0'), undefined);
  assert.equal(parseGpuQueryLine(`0, GPU-aa, ${nines}, 16384, 5`), undefined);
  assert.equal(parseGpuQueryLine(`0, GPU-aa, 12, 16384, ${nines}`), undefined);
  assert.equal(parseComputeAppsLine(`${nines}, GPU-aa, 0`), undefined);
  // 2^33 MiB is 2^53 bytes: the first size whose byte count a double no longer holds exactly.
  assert.equal(parseComputeAppsLine('4242, GPU-aa, 8589934592'), undefined);
  assert.equal(parseComputeAppsLine('4242, GPU-aa, 8589934591')?.usedMemoryBytes, 8589934591 * MIB);
});
