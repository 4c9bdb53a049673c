import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildHtmlReport } from '../../../src/html/build-html-report.js';
import type { ChunkEvidence } from '../../../src/results/report-types.js';
import { runReport } from '../ci/ci-fixtures.js';
import { chunkData } from './html-fixtures.js';

const EVIDENCE: ChunkEvidence = {
  containment: ['cgroup', 'subreaper', 'markers'],
  cgroup: {
    version: 1,
    path: '/sys/fs/cgroup/memory/job/run-chunks-r-victim-1',
    memoryController: true,
    memoryLimitBytes: null,
    swap: null,
    counters: [{ name: 'memory.oom_control oom_kill', before: 0, after: 0, delta: 0 }],
    removed: true,
  },
  kernelLog: null,
  unavailable: [],
  chunkOomKills: 0,
  machineOomKillDelta: 2,
};

test('a killed chunk\'s details show its status, its cgroup counters, and the machine-wide counter as context only', () => {
  const chunk = chunkData('victim', {
    status: 'killed',
    message: 'killed by SIGKILL from outside run-chunks; no OOM evidence for this chunk',
    oomKillDelta: 2,
    evidence: EVIDENCE,
    isolation: 'watchdog',
    isolationDecision: { requested: 'cgroup', used: 'watchdog', reason: 'no kernel memory limit is possible here' },
  });
  const page = buildHtmlReport(runReport([chunk.report]), [chunk]);
  assert.match(page, /class="status status-killed"|status-killed/);
  assert.match(page, /contained by: cgroup, subreaper, markers/);
  assert.match(page, /cgroup v1: <code>\/sys\/fs\/cgroup\/memory\/job\/run-chunks-r-victim-1<\/code>/);
  assert.match(page, /memory\.oom_control oom_kill: 0 → 0/);
  assert.match(page, /machine-wide oom_kill counter rose by 2 \(any process counts: context, not evidence\)/);
  assert.match(page, /isolation: watchdog \(asked: cgroup\): no kernel memory limit is possible here/);
});
