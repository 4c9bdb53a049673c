import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyOutcome, withWorkerOomKill, type ClassifyContext, type OomEvidence, type ProcessEnd } from '../../../src/results/classify-outcome.js';

const PYTEST: ClassifyContext = { runner: 'pytest', allowEmpty: false, timeoutMs: 90_000 };
const COMMAND: ClassifyContext = { runner: 'command', allowEmpty: false, timeoutMs: undefined };

const CGROUP_SOURCE = "its cgroup's memory.oom_control oom_kill (cgroup v1, /sys/fs/cgroup/memory/run-chunks-x)";
const NO_EVIDENCE: OomEvidence = { chunkOomKills: 0, source: CGROUP_SOURCE, cgroupLimitBytes: null, kernelPeak: null, machineOomKillDelta: 0 };

function end(overrides: Partial<ProcessEnd>): ProcessEnd {
  return { exitCode: null, signal: null, spawnError: undefined, terminationReason: undefined, terminationDetail: undefined, oom: NO_EVIDENCE, ...overrides };
}

function evidence(overrides: Partial<OomEvidence>): OomEvidence {
  return { ...NO_EVIDENCE, ...overrides };
}

test('pytest exit codes map to statuses', () => {
  const cases: [number, string][] = [
    [0, 'passed'],
    [1, 'failed'],
    [2, 'error'],
    [3, 'error'],
    [4, 'error'],
    [5, 'no-tests'],
    [42, 'error'],
  ];
  for (const [exitCode, status] of cases) assert.equal(classifyOutcome(end({ exitCode }), PYTEST).status, status, `exit ${exitCode}`);
  assert.match(classifyOutcome(end({ exitCode: 4 }), PYTEST).message, /rejected its command line/);
  assert.match(classifyOutcome(end({ exitCode: 5 }), PYTEST).message, /allowEmpty/);
  assert.match(classifyOutcome(end({ exitCode: 5 }), { ...PYTEST, allowEmpty: true }).message, /allowed by allowEmpty/);
});

test('a SIGKILL run-chunks did not send is oom only when the chunk\'s own cgroup counted an OOM kill', () => {
  assert.deepEqual(classifyOutcome(end({ signal: 'SIGKILL', oom: evidence({ chunkOomKills: 1, kernelPeak: 'kernel peak 1 GiB from cgroup v1 memory.max_usage_in_bytes' }) }), PYTEST), {
    status: 'oom',
    message: `killed by SIGKILL: the kernel's OOM killer killed it; ${CGROUP_SOURCE} rose by 1 (kernel peak 1 GiB from cgroup v1 memory.max_usage_in_bytes)`,
  });
  assert.equal(classifyOutcome(end({ exitCode: 137, oom: evidence({ chunkOomKills: 2 }) }), COMMAND).status, 'oom');
});

test('a SIGKILL without OOM evidence for this chunk is killed, whatever the machine-wide counter did', () => {
  // A neighbour's OOM kill raises the machine-wide counter: context, never proof.
  const risen = classifyOutcome(end({ signal: 'SIGKILL', oom: evidence({ chunkOomKills: 0, machineOomKillDelta: 3 }) }), PYTEST);
  assert.equal(risen.status, 'killed');
  assert.equal(
    risen.message,
    `killed by SIGKILL from outside run-chunks; no OOM evidence for this chunk (${CGROUP_SOURCE} did not rise); the machine-wide oom_kill counter rose by 3 meanwhile, but that counts any process on the machine, so it is no evidence for this chunk`,
  );
  const noCgroup = classifyOutcome(end({ signal: 'SIGKILL', oom: evidence({ chunkOomKills: null, source: 'no cgroup for this chunk: EACCES', machineOomKillDelta: null }) }), PYTEST);
  assert.deepEqual(noCgroup, {
    status: 'killed',
    message: 'killed by SIGKILL from outside run-chunks; no OOM evidence for this chunk (no OOM counter of its own: no cgroup for this chunk: EACCES)',
  });
  assert.equal(classifyOutcome(end({ exitCode: 137 }), COMMAND).status, 'killed');
  assert.match(classifyOutcome(end({ exitCode: 137 }), COMMAND).message, /^exited with code 137 \(a process of it was killed by SIGKILL\) from outside run-chunks; no OOM evidence/);
});

test('an OOM kill counted in a cgroup run-chunks limited is memory-limit, the kernel\'s counter as evidence', () => {
  const outcome = classifyOutcome(end({ signal: 'SIGKILL', oom: evidence({ chunkOomKills: 1, cgroupLimitBytes: 200 * 1024 * 1024 }) }), PYTEST);
  assert.deepEqual(outcome, {
    status: 'memory-limit',
    message: `killed by SIGKILL: the kernel OOM-killed it at its cgroup memory limit of 200 MiB; ${CGROUP_SOURCE} rose by 1`,
  });
  // A limit written in decimal units ("300MB") is named in them.
  assert.match(classifyOutcome(end({ signal: 'SIGKILL', oom: evidence({ chunkOomKills: 1, cgroupLimitBytes: 300e6 }) }), PYTEST).message, /at its cgroup memory limit of 300 MB;/);
  // Without a rise, a SIGKILL under a limit is still just killed.
  assert.equal(classifyOutcome(end({ signal: 'SIGKILL', oom: evidence({ cgroupLimitBytes: 1 }) }), PYTEST).status, 'killed');
});

test('the first termination reason wins over how the process happened to die', () => {
  // run-chunks sent SIGTERM then SIGKILL after a timeout: that is a timeout, not an oom.
  const timedOut = classifyOutcome(end({ signal: 'SIGKILL', terminationReason: 'timeout' }), PYTEST);
  assert.deepEqual(timedOut, { status: 'timeout', message: 'stopped by run-chunks after its timeout of 1m30s' });
  assert.equal(classifyOutcome(end({ exitCode: 0, terminationReason: 'interrupted' }), PYTEST).status, 'interrupted');
  assert.equal(classifyOutcome(end({ signal: 'SIGTERM', terminationReason: 'interrupted' }), PYTEST).status, 'interrupted');
});

test('a limit stop reports its details, and wins over the SIGKILL that enforced it', () => {
  const detail = 'its memory (PSS) reached 410 MiB, over its memoryLimit of 400 MB';
  assert.deepEqual(classifyOutcome(end({ signal: 'SIGKILL', terminationReason: 'memory-limit', terminationDetail: detail }), PYTEST), {
    status: 'memory-limit',
    message: `stopped by run-chunks: ${detail}`,
  });
  assert.equal(classifyOutcome(end({ signal: 'SIGTERM', terminationReason: 'gpu-memory-limit' }), PYTEST).status, 'gpu-memory-limit');
});

test('other signals are crashes; spawn failures are errors', () => {
  assert.deepEqual(classifyOutcome(end({ signal: 'SIGSEGV' }), PYTEST), { status: 'crashed', message: 'killed by signal SIGSEGV' });
  assert.deepEqual(classifyOutcome(end({ spawnError: 'could not start "x"' }), PYTEST), { status: 'error', message: 'could not start "x"' });
});

test('command runner: 0 passes, 126/127 cannot run, anything else fails', () => {
  assert.equal(classifyOutcome(end({ exitCode: 0 }), COMMAND).status, 'passed');
  assert.equal(classifyOutcome(end({ exitCode: 127 }), COMMAND).status, 'error');
  assert.equal(classifyOutcome(end({ exitCode: 126 }), COMMAND).status, 'error');
  assert.deepEqual(classifyOutcome(end({ exitCode: 2 }), COMMAND), { status: 'failed', message: 'the command exited with code 2' });
});

test('an xdist worker killed under a test is the chunk\'s memory kill only with the chunk\'s own OOM evidence', () => {
  const failed = { status: 'failed' as const, message: 'some tests failed' };
  assert.deepEqual(withWorkerOomKill(failed, evidence({ chunkOomKills: 0 }), ['gw0']), failed, 'no kill counted: the outcome stands');
  assert.deepEqual(withWorkerOomKill(failed, evidence({ chunkOomKills: null }), ['gw0']), failed, 'no counter: the outcome stands');
  assert.deepEqual(withWorkerOomKill(failed, evidence({ chunkOomKills: 1 }), []), failed, 'no worker died under a test');
  const atLimit = withWorkerOomKill(failed, evidence({ chunkOomKills: 1, cgroupLimitBytes: 300 * 1024 * 1024 }), ['gw0']);
  assert.equal(atLimit.status, 'memory-limit');
  assert.match(atLimit.message, /^a process that ran its tests \(gw0\) was killed by SIGKILL: the kernel OOM-killed it at its cgroup memory limit of 300 MiB; .+; pytest itself went on: some tests failed$/);
  assert.equal(withWorkerOomKill({ status: 'passed', message: 'all selected tests passed' }, evidence({ chunkOomKills: 1 }), ['gw1']).status, 'oom');
  const timedOut = { status: 'timeout' as const, message: 'stopped by run-chunks after its timeout of 1m' };
  assert.deepEqual(withWorkerOomKill(timedOut, evidence({ chunkOomKills: 1 }), ['gw0']), timedOut, 'a status of its own stands');
});
