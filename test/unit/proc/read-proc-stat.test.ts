import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readOomKillCount } from '../../../src/proc/oom-kill-counter.js';
import { parseProcStat } from '../../../src/proc/read-proc-stat.js';
import { makeProject } from '../../helpers/cli.js';

test('parses /proc/PID/stat, including command names with spaces and parentheses', () => {
  assert.deepEqual(parseProcStat('1234 (python3) S 1200 1234 1234 0 -1 4194560 100 0'), { pid: 1234, state: 'S', ppid: 1200, pgid: 1234 });
  assert.deepEqual(parseProcStat('77 (a (weird) name) R 1 70 70 0'), { pid: 77, state: 'R', ppid: 1, pgid: 70 });
  assert.equal(parseProcStat('garbage'), undefined);
});

test('reads the oom_kill counter from a vmstat file; null when absent or unreadable', () => {
  const dir = makeProject({ with: 'nr_free_pages 100\noom_kill 7\npgfault 9\n', without: 'nr_free_pages 100\n' });
  assert.equal(readOomKillCount(`${dir}/with`), 7);
  assert.equal(readOomKillCount(`${dir}/without`), null);
  assert.equal(readOomKillCount(`${dir}/missing`), null);
});
