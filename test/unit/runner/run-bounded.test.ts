import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { lastLines, runBounded } from '../../../src/runner/run-bounded.js';

const OPTIONS = { cwd: '/', env: { PATH: process.env.PATH } };

function isAlive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('a run that exits leaves nothing behind: a background child of its group is killed with it', async () => {
  const result = await runBounded(['sh', '-c', 'sleep 600 & echo $!; echo done >&2'], { ...OPTIONS, timeoutMs: 10_000 });
  assert.equal(result.exitCode, 0);
  assert.equal(result.stoppedBy, undefined);
  assert.equal(result.stderr, 'done\n');
  assert.equal(isAlive(Number(result.stdout.trim())), false, 'the background sleep outlived its group');
});

test('a run past its deadline is stopped with its whole group, and its output so far is kept', async () => {
  const result = await runBounded(['sh', '-c', 'echo starting; sleep 600; echo never'], { ...OPTIONS, timeoutMs: 300 });
  assert.equal(result.stoppedBy, 'timeout');
  assert.equal(result.stdout, 'starting\n');
  assert.ok(result.durationMs < 5_000, `${result.durationMs} ms`);
});

test('an abort stops it at once; an already aborted signal starts nothing', async () => {
  const controller = new AbortController();
  const pending = runBounded(['sleep', '600'], { ...OPTIONS, timeoutMs: 60_000, signal: controller.signal });
  setTimeout(() => controller.abort('SIGINT'), 100);
  const result = await pending;
  assert.equal(result.stoppedBy, 'interrupt');
  assert.ok(result.durationMs < 5_000);
  assert.equal((await runBounded(['sleep', '600'], { ...OPTIONS, timeoutMs: 60_000, signal: controller.signal })).stoppedBy, 'interrupt');
});

test('a program that does not exist is a spawn error, not a throw', async () => {
  const result = await runBounded(['/nonexistent/python'], { ...OPTIONS, timeoutMs: 1_000 });
  assert.equal(result.spawnError?.code, 'ENOENT');
});

test('only the last 64 KiB of a stream are kept', async () => {
  const result = await runBounded(['sh', '-c', 'head -c 1000000 /dev/zero | tr "\\\\0" a; echo; echo last line'], { ...OPTIONS, timeoutMs: 10_000 });
  assert.ok(result.stdout.length <= 64 * 1024, String(result.stdout.length));
  assert.ok(result.stdout.endsWith('\nlast line\n'));
  assert.equal(lastLines('a\n\n b \nc\n', 2), ' b / c');
});
