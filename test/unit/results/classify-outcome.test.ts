import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyOutcome, type ClassifyContext, type ProcessEnd } from '../../../src/results/classify-outcome.js';

const PYTEST: ClassifyContext = { runner: 'pytest', allowEmpty: false, timeoutMs: 90_000 };
const COMMAND: ClassifyContext = { runner: 'command', allowEmpty: false, timeoutMs: undefined };

function end(overrides: Partial<ProcessEnd>): ProcessEnd {
  return { exitCode: null, signal: null, spawnError: undefined, terminationReason: undefined, terminationDetail: undefined, oomKillDelta: 0, ...overrides };
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

test('a SIGKILL run-chunks did not send is oom, with the kernel counter as evidence', () => {
  assert.deepEqual(classifyOutcome(end({ signal: 'SIGKILL', oomKillDelta: 1 }), PYTEST), {
    status: 'oom',
    message: "killed by SIGKILL that run-chunks did not send; the kernel's oom_kill counter rose by 1 meanwhile, confirming an OOM kill",
  });
  assert.match(classifyOutcome(end({ signal: 'SIGKILL', oomKillDelta: 0 }), PYTEST).message, /did not rise/);
  assert.match(classifyOutcome(end({ signal: 'SIGKILL', oomKillDelta: null }), PYTEST).message, /not readable/);
  assert.equal(classifyOutcome(end({ exitCode: 137 }), COMMAND).status, 'oom');
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
