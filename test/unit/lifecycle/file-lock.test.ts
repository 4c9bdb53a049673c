import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { acquireLock, takeAside } from '../../../src/lifecycle/file-lock.js';
import { checkLiveness, describeThisProcess, readProcessStartTime } from '../../../src/lifecycle/process-identity.js';
import { UserError } from '../../../src/util/user-error.js';

const SUBJECT = { what: 'The report dir /x', remedy: 'give this run another --report-dir.' };

function tempFile(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'run-chunks-lock-')), 'sub', '.run-chunks.lock');
}

test('a lock is taken once: a second taker is refused while the owner lives, and release removes only its own file', () => {
  const file = tempFile();
  const me = describeThisProcess(['--chunk', 'a'], new Date('2026-05-01T10:00:00Z'));
  const lock = acquireLock(file, me, SUBJECT, () => assert.fail('no notice expected'));
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), me);
  assert.throws(
    () => acquireLock(file, { ...me, startedAt: '2026-05-01T11:00:00.000Z' }, SUBJECT, () => undefined),
    (error: unknown) => error instanceof UserError && error.exitCode === 2 && /in use by another run: run-chunks \(pid \d+ on .+\), started at 2026-05-01T10:00:00\.000Z, command: run-chunks --chunk a\. It is still running/.test(error.message),
  );
  lock.release();
  assert.equal(existsSync(file), false);
  lock.release();
});

test('a stale lock (pid reused by a process with another start time) is taken over with a notice; the old owner\'s release leaves the new lock', () => {
  const file = tempFile();
  const me = describeThisProcess([], new Date());
  const stale = { ...me, startTime: (me.startTime ?? 0) + 7 };
  const staleLock = acquireLock(file, stale, SUBJECT, () => undefined);
  const notices: string[] = [];
  const lock = acquireLock(file, me, SUBJECT, (message) => notices.push(message));
  assert.equal(notices.length, 1);
  assert.match(notices[0]!, /took over the lock on the report dir \/x from run-chunks .*which did not finish: pid \d+ now belongs to another process/);
  staleLock.release();
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), me);
  lock.release();
});

test('a lock from another host cannot be judged: refused, saying to delete the file if that run is gone', () => {
  const file = tempFile();
  const other = { ...describeThisProcess([], new Date()), host: 'elsewhere.example' };
  acquireLock(file, other, SUBJECT, () => undefined);
  assert.throws(
    () => acquireLock(file, describeThisProcess([], new Date()), SUBJECT, () => undefined),
    (error: unknown) => error instanceof UserError && error.message.includes('elsewhere.example') && error.message.includes(`delete ${file}`),
  );
});

test('a damaged lock file older than the grace period is replaced, with a notice', () => {
  const file = tempFile();
  acquireLock(file, describeThisProcess([], new Date()), SUBJECT, () => undefined).release();
  writeFileSync(file, '{"pid": ');
  // A lock file that is not JSON yet may be one being written: only an old one counts as damaged.
  const old = new Date(Date.now() - 60_000);
  utimesSync(file, old, old);
  const notices: string[] = [];
  const lock = acquireLock(file, describeThisProcess([], new Date()), SUBJECT, (message) => notices.push(message));
  assert.match(notices[0]!, /was not a readable run-chunks lock; it was replaced/);
  lock.release();
});

test('checkLiveness: this process is alive; a pid that exited is gone', () => {
  const me = describeThisProcess([], new Date());
  assert.equal(me.startTime, readProcessStartTime(process.pid));
  assert.deepEqual(checkLiveness(me), { state: 'alive' });
  assert.equal(checkLiveness({ ...me, pid: 2 ** 22 + 1 }).state, 'gone');
});

test('takeAside removes the stale lock it judged, but puts back one another run made in between', () => {
  const file = tempFile();
  const stale = { ...describeThisProcess([], new Date('2026-01-01T00:00:00Z')), pid: 2 ** 22 + 1 };
  const fresh = describeThisProcess(['--chunk', 'b'], new Date());
  acquireLock(file, stale, SUBJECT, () => undefined);
  takeAside(file, stale);
  assert.equal(existsSync(file), false);
  // Another run judged the same stale lock first and made its own: ours is not to be deleted.
  acquireLock(file, fresh, SUBJECT, () => undefined);
  takeAside(file, stale);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), fresh);
  assert.deepEqual(readdirSync(path.dirname(file)), ['.run-chunks.lock']);
});

test('the command kept in a lock and an in-progress report.json has secret-looking values masked', () => {
  const me = describeThisProcess(['--chunk', 'a', '--', '--api-token=abc', '--password', 'pw', 'DB_SECRET=x'], new Date());
  assert.deepEqual(me.command, ['run-chunks', '--chunk', 'a', '--', '--api-token=***', '--password', '***', 'DB_SECRET=***']);
});
