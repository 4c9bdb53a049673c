import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { matchRecord, readOomKillLines } from '../../../src/proc/kernel-log.js';

const KILLED = '3,812,1813132778,-;Memory cgroup out of memory: Killed process 23860 (python) total-vm:1087268kB, anon-rss:123724kB\n SUBSYSTEM=memory\n';
const SUMMARY = '6,811,1813132763,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),task=python,pid=23860,uid=0\n';

test('a kernel log record counts only when it is an OOM kill of one of the chunk\'s pids, logged since it started', () => {
  const pids = new Set([23860]);
  assert.equal(matchRecord(KILLED, pids, 1_813_000_000), 'Memory cgroup out of memory: Killed process 23860 (python) total-vm:1087268kB, anon-rss:123724kB');
  assert.match(matchRecord(SUMMARY, pids, 1_813_000_000) ?? '', /^oom-kill:.*pid=23860,/);
  assert.equal(matchRecord(KILLED, new Set([2386]), 0), undefined, 'another pid (a prefix of it) is not this chunk');
  assert.equal(matchRecord(KILLED, pids, 1_900_000_000), undefined, 'logged before the chunk started');
  assert.equal(matchRecord('6,1,5,-;Killed process 23860, said a user-space logger\n', pids, 0), undefined, 'not the OOM killer\'s wording');
  assert.equal(matchRecord('no separator', pids, 0), undefined);
});

test('an unreadable kernel log says why', () => {
  const missing = path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-kmsg-')), 'absent');
  assert.deepEqual(readOomKillLines(new Set([1]), 0, missing), { source: '/dev/kmsg', unreadable: 'ENOENT' });
  const plain = path.join(path.dirname(missing), 'plain');
  writeFileSync(plain, KILLED);
  // A plain file reads as one record, like /dev/kmsg's one record per read.
  assert.deepEqual(readOomKillLines(new Set([23860]), 0, plain), { source: '/dev/kmsg', lines: ['Memory cgroup out of memory: Killed process 23860 (python) total-vm:1087268kB, anon-rss:123724kB'] });
});
