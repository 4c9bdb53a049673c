import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readOomKillCount } from '../../../src/proc/oom-kill-counter.js';
import { parseProcStat } from '../../../src/proc/read-proc-stat.js';
import { makeProject } from '../../helpers/cli.js';

test('parses /proc/PID/stat, including command names with spaces and parentheses', () => {
  const line = '1234 (python3) S 1200 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 987654 123456789 2000';
  assert.deepEqual(parseProcStat(line), { pid: 1234, state: 'S', ppid: 1200, pgid: 1234, cpuTicks: 300, threads: 3, startTicks: 987654, rssPages: 2000 });
  assert.deepEqual(parseProcStat('77 (a (weird) name) R 1 70 70 0'), { pid: 77, state: 'R', ppid: 1, pgid: 70, cpuTicks: 0, threads: 0, startTicks: 0, rssPages: 0 });
  // Checked against this very process: its own stat parses to its own pid and group.
  const self = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
  assert.equal(self?.pid, process.pid);
  assert.equal(parseProcStat('garbage'), undefined);
});

test('reads the oom_kill counter from a vmstat file; null when absent or unreadable', () => {
  const dir = makeProject({ with: 'nr_free_pages 100\noom_kill 7\npgfault 9\n', without: 'nr_free_pages 100\n' });
  assert.equal(readOomKillCount(`${dir}/with`), 7);
  assert.equal(readOomKillCount(`${dir}/without`), null);
  assert.equal(readOomKillCount(`${dir}/missing`), null);
});
