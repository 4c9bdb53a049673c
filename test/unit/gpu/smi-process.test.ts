import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSmiProcess } from '../../../src/gpu/smi-process.js';

/** Runs `script` with sh through startSmiProcess; returns every line it delivered and how it ended. */
async function collectLines(script: string): Promise<{ lines: string[]; exitCode: number | null }> {
  const lines: string[] = [];
  const smi = startSmiProcess('sh', ['-c', script], process.env, (line) => lines.push(line));
  const end = await smi.ended;
  return { lines, exitCode: end.exitCode };
}

test('lines arrive without their newline or CRLF; a last line without newline arrives too', async () => {
  const { lines, exitCode } = await collectLines("printf '0, GPU-a, 1, 2, 3\\r\\n\\n1, GPU-b, 4, 5, 6\\nno newline'");
  assert.deepEqual(lines, ['0, GPU-a, 1, 2, 3', '', '1, GPU-b, 4, 5, 6', 'no newline']);
  assert.equal(exitCode, 0);
});

test('an endless line is cut at 64 KiB and its rest dropped: 600 MiB without a newline no longer crashes the run', async () => {
  // Found by the GPU fault suite (test/faults): readline kept the whole unfinished line, and past
  // V8's string limit (~512 MiB) it threw "RangeError: Invalid string length", killing run-chunks.
  const { lines, exitCode } = await collectLines("head -c 629145600 /dev/zero | tr '\\0' x; printf '\\nafter\\n'");
  assert.deepEqual(lines, ['x'.repeat(64 * 1024), 'after']);
  assert.equal(exitCode, 0);
});
