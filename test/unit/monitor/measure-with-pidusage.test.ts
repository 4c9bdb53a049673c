import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { measureTreeWithPidusage } from '../../../src/monitor/measure-with-pidusage.js';
import type { ProcStat } from '../../../src/proc/read-proc-stat.js';

const stat = (pid: number): ProcStat => ({ pid, state: 'S', ppid: 1, pgid: pid, cpuTicks: 0, startTicks: 0, threads: 0, rssPages: 0 });

test('a process that vanished before pidusage measured it is left out, never an error', async () => {
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  const usage = await measureTreeWithPidusage([stat(process.pid), stat(gone)]);
  assert.equal(usage.processes, 1);
  assert.ok(usage.rssBytes > 10 * 1024 * 1024, `this process's RSS: ${usage.rssBytes}`);
  assert.equal(usage.pssBytes, null);
  assert.equal(usage.threads, null);
});
