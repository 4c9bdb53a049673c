// The fault suite, evidence: each case ends a chunk with a SIGKILL of a known origin through the
// built CLI with real pytest, and checks that the status names the kernel's evidence for this
// chunk (its own cgroup's counters), never the machine-wide counter. Records feed docs/reliability.md.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chunkOf, readReport, runCli, waitUntil, type CliResult } from '../helpers/cli.js';
import { cgroupUnavailableReason, leftoverCgroups, makeEvidenceProject, reportSchemaErrors } from '../helpers/evidence-project.js';
import { readOomKillLines } from '../../src/proc/kernel-log.js';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';
import type { ChunkReport, RunReport } from '../../src/results/report-types.js';

const MiB = 1024 * 1024;
const noCgroup = cgroupUnavailableReason();
const needsCgroup = noCgroup === null ? {} : { skip: `no writable cgroup with a memory controller here: ${noCgroup}` };

interface EvidenceRun {
  result: CliResult;
  report: RunReport;
  chunk: ChunkReport;
}

async function runEvidence(chunk: Record<string, unknown>, args: string[] = [], env: Record<string, string> = {}): Promise<EvidenceRun & { signalDir: string }> {
  const { dir, signalDir } = makeEvidenceProject({ chunks: [chunk] }, env);
  const result = await runCli(args, { cwd: dir, env });
  const report = readReport(dir);
  return { result, report, chunk: chunkOf(report, String(chunk.name)), signalDir };
}

const kmsg = readOomKillLines(new Set(), 0);
const kmsgUnreadable = 'unreadable' in kmsg ? `/dev/kmsg is not readable here (${kmsg.unreadable})` : null;
const CGROUPS_OFF = { RUN_CHUNKS_CGROUPS: 'off' };

function expectOutcome(r: FaultRecorder, run: EvidenceRun, status: string, exitCode: number): void {
  r.outcomeOf(run.result.exitCode, run.chunk.status);
  assert.equal(run.chunk.status, status, `${run.chunk.message}\n${run.result.stdout}${run.result.stderr}`);
  assert.equal(run.result.exitCode, exitCode, run.result.stdout + run.result.stderr);
  r.did(`status ${status}, exit ${exitCode}: "${run.chunk.message.length > 160 ? `${run.chunk.message.slice(0, 159)}…` : run.chunk.message}"`);
  r.held(`status ${status} and exit ${exitCode}`);
}

function expectCgroupsRemoved(r: FaultRecorder, run: EvidenceRun): void {
  assert.deepEqual(reportSchemaErrors(run.report), []);
  r.held('report.json, evidence included, validates against the schema');
  if (run.chunk.evidence?.cgroup) assert.equal(run.chunk.evidence.cgroup.removed, true);
  assert.deepEqual(leftoverCgroups(run.report.runId), []);
  r.held('no cgroup of the run left under our own');
}

function counter(chunk: ChunkReport, name: RegExp): { before: number | null; after: number | null; delta: number | null } | undefined {
  return chunk.evidence?.cgroup?.counters.find((entry) => name.test(entry.name));
}

faultCase('evidence', 'a test SIGKILLs its own process while the machine-wide oom_kill counter rises (a neighbour OOM-killed)', async (r) => {
  const vmstat = path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-vmstat-')), 'vmstat');
  writeFileSync(vmstat, 'oom_kill 7\n');
  const run = await runEvidence({ name: 'selfkill', markers: 'selfkill', workers: 1 }, [], { RUN_CHUNKS_VMSTAT_FILE: vmstat, FIXTURE_VMSTAT: vmstat });
  expectOutcome(r, run, 'killed', 3);
  // The chunk's message sums up its recovery (the test run alone was killed again); the first
  // attempt's says how the kill was read.
  const firstMessage = run.chunk.attempts[0]!.message;
  assert.match(firstMessage, /^killed by SIGKILL from outside run-chunks; no OOM evidence for this chunk \(/);
  assert.match(firstMessage, /the machine-wide oom_kill counter rose by 1 meanwhile, but that counts any process on the machine, so it is no evidence for this chunk/);
  assert.match(run.chunk.message, /was killed again when run alone \(killed by SIGKILL from outside run-chunks; no OOM evidence for this chunk/);
  r.held('the message says no OOM evidence for this chunk, and names the machine-wide rise as context only');
  assert.equal(run.chunk.oomKillDelta, 1);
  assert.equal(run.chunk.evidence?.machineOomKillDelta, 1);
  if (noCgroup === null) {
    assert.equal(run.chunk.evidence?.chunkOomKills, 0);
    assert.match(firstMessage, /oom_kill \(cgroup v[12], .+\) did not rise/);
    r.held('evidence: the chunk cgroup\'s oom_kill counter read before and after, delta 0');
  } else {
    assert.equal(run.chunk.evidence?.chunkOomKills, null);
    r.held('evidence: no cgroup here, said in the message');
  }
  assert.deepEqual(run.chunk.blamedTests.map((blamed) => [blamed.nodeid, blamed.reason]), [['tests/test_kills.py::test_kills_itself_while_a_neighbour_is_oom_killed', 'killed']]);
  r.held('the running test is blamed for killed (not oom)');
  expectCgroupsRemoved(r, run);
  checkNoLeftovers(r, run.result.tag);
});

faultCase(
  'evidence',
  '--isolation cgroup, memoryLimit 200MiB, a test allocates 1 GiB: the kernel kills it at the cgroup limit',
  async (r) => {
    const run = await runEvidence({ name: 'hog', markers: 'hog', workers: 1, memoryLimit: '200MiB', retryOnOom: 0, timeout: '60s' }, ['--isolation', 'cgroup']);
    expectOutcome(r, run, 'memory-limit', 3);
    assert.equal(run.chunk.isolation, 'cgroup');
    assert.deepEqual(run.chunk.isolationDecision, { requested: 'cgroup', used: 'cgroup', reason: null });
    r.held('isolation: requested cgroup, used cgroup');
    const cgroup = run.chunk.evidence?.cgroup;
    assert.equal(cgroup?.memoryLimitBytes, 200 * MiB);
    const oomKill = counter(run.chunk, /oom_kill$/);
    assert.ok(oomKill && oomKill.delta !== null && oomKill.delta >= 1, JSON.stringify(cgroup));
    r.did(`the kernel's ${cgroup?.version === 1 ? 'memory.oom_control' : 'memory.events'} oom_kill went ${oomKill.before} → ${oomKill.after}; swap ${cgroup?.swap}`);
    assert.match(run.chunk.message, /the kernel OOM-killed it at its cgroup memory limit of 200 MiB; its cgroup's memory\.(oom_control|events) oom_kill \(cgroup v[12], .+\) rose by \d/);
    r.held('the message names the limit and the kernel counter that rose');
    const kernelPeak = run.chunk.memory?.kernelPeakBytes ?? 0;
    assert.ok(kernelPeak > 150 * MiB && kernelPeak <= 201 * MiB, `kernel peak ${kernelPeak}`);
    assert.match(run.chunk.memory?.kernelPeakSource ?? '', /^cgroup v[12] memory\.(max_usage_in_bytes|peak)$/);
    r.did(`kernel peak ${(kernelPeak / MiB).toFixed(1)} MiB (${run.chunk.memory?.kernelPeakSource}), sampled peak ${((run.chunk.memory?.peakRssBytes ?? 0) / MiB).toFixed(1)} MiB`);
    r.held('the kernel peak is at most the limit, and says its source');
    assert.equal(run.chunk.blamedTests[0]?.nodeid, 'tests/test_kills.py::test_allocates_a_gibibyte');
    r.held('the allocating test is blamed');
    expectCgroupsRemoved(r, run);
    checkNoLeftovers(r, run.result.tag);
  },
  needsCgroup,
);

faultCase(
  'evidence',
  '--isolation cgroup with xdist workers 2: a worker in its own cgroup (made for per-test peaks) is killed at the chunk\'s limit, and the chunk\'s evidence still counts it',
  async (r) => {
    const run = await runEvidence({ name: 'hog2', markers: 'hog', workers: 2, memoryLimit: '300MiB', retryOnOom: 0, timeout: '60s' }, ['--isolation', 'cgroup']);
    // The kernel's kill of a worker at the chunk's limit (was "crashed": pytest itself lived on).
    assert.equal(run.chunk.status, 'memory-limit', `${run.chunk.message}\n${run.result.stdout}${run.result.stderr}`);
    r.outcomeOf(run.result.exitCode, run.chunk.status);
    r.held('status memory-limit');
    assert.deepEqual(run.chunk.memory?.testCgroupPeaks?.unavailable, [], JSON.stringify(run.chunk.memory?.testCgroupPeaks));
    r.did(`per-test peaks from ${run.chunk.memory?.testCgroupPeaks?.source}`);
    const oomKill = counter(run.chunk, /oom_kill$/);
    assert.ok(oomKill && oomKill.delta !== null && oomKill.delta >= 1, JSON.stringify(run.chunk.evidence?.cgroup));
    r.did(`oom_kill of the chunk's cgroup tree went ${oomKill.before} → ${oomKill.after}`);
    r.held("the kill inside the worker's own cgroup is counted for the chunk (v1 counts it only there: summed over the tree)");
    assert.match(run.chunk.attempts[0]!.message, /^a process that ran its tests \(gw\d\) was killed by SIGKILL: the kernel OOM-killed it at its cgroup memory limit of 300 MiB; its cgroup's memory\.(oom_control|events) oom_kill \(cgroup v[12], .+\) rose by \d/);
    r.held('the message names the worker, the limit and the kernel counter that rose (pytest itself lived on: not "crashed")');
    assert.equal(run.chunk.blamedTests[0]?.nodeid, 'tests/test_kills.py::test_allocates_a_gibibyte');
    r.held('the allocating test is blamed');
    expectCgroupsRemoved(r, run);
    r.held("the workers' own cgroups were removed with the chunk's");
    checkNoLeftovers(r, run.result.tag);
  },
  needsCgroup,
);

faultCase(
  'evidence',
  'a real kernel OOM kill inside the chunk\'s cgroup (the test limits itself to 100 MiB in a cgroup of its own, then allocates 1 GiB)',
  async (r) => {
    const run = await runEvidence({ name: 'nested', markers: 'nested_oom', workers: 1, retryOnOom: 0, timeout: '60s' });
    expectOutcome(r, run, 'oom', 3);
    assert.equal(run.chunk.evidence?.cgroup?.version, 1, 'the fixture makes a v1 cgroup');
    assert.ok((run.chunk.evidence?.chunkOomKills ?? 0) >= 1);
    assert.match(run.chunk.message, /^killed by SIGKILL: the kernel's OOM killer killed it; its cgroup's memory\.oom_control oom_kill \(cgroup v1, .+\) rose by \d/);
    r.held("oom with the chunk cgroup's oom_kill rise (its own sub-cgroup summed in) as evidence");
    assert.equal(run.chunk.evidence?.cgroup?.memoryLimitBytes, null);
    r.held('no limit of run-chunks: oom, not memory-limit');
    expectCgroupsRemoved(r, run);
    r.held("the test's own sub-cgroup was removed with the chunk's");
    checkNoLeftovers(r, run.result.tag);
  },
  noCgroup !== null ? needsCgroup : cgroupV1() ? {} : { skip: 'the fixture limits itself with a cgroup v1 memory hierarchy, which is not mounted here' },
);

function cgroupV1(): boolean {
  try {
    return /^\d+:[^:]*\bmemory\b/m.test(readFileSync('/proc/self/cgroup', 'utf8'));
  } catch {
    return false;
  }
}

faultCase(
  'evidence',
  'no chunk cgroup (RUN_CHUNKS_CGROUPS=off), a real kernel OOM kill: oom from the kernel log line naming its pid',
  async (r) => {
    const run = await runEvidence({ name: 'nested', markers: 'nested_oom', workers: 1, retryOnOom: 0, timeout: '60s' }, [], CGROUPS_OFF);
    // What the kernel log names is the command's own pid (pytest under the launcher), known whatever the sampling saw.
    // The fixture made its own cgroup under run-chunks' (there was no chunk cgroup): remove it.
    const inner = readFileSync(path.join(run.signalDir, 'inner-cgroup'), 'utf8');
    await waitUntil(() => {
      try {
        rmdirSync(inner);
        return true;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ENOENT';
      }
    }, 5_000, "the fixture's cgroup to be removable");
    expectOutcome(r, run, 'oom', 3);
    assert.equal(run.chunk.evidence?.cgroup, null);
    const lines = run.chunk.evidence?.kernelLog?.lines ?? [];
    assert.ok(lines.some((line) => /Killed process \d+ \(python/.test(line)), JSON.stringify(run.chunk.evidence));
    r.did(`kernel log: "${lines.find((line) => line.includes('Killed process'))?.slice(0, 90)}…"`);
    assert.match(run.chunk.message, /^killed by SIGKILL: the kernel's OOM killer killed it; the kernel log \(\/dev\/kmsg\) names its process: ".*Killed process \d+ \(python/);
    r.held('oom, with the /dev/kmsg line that names the chunk\'s process as evidence, said in the message');
    expectCgroupsRemoved(r, run);
    checkNoLeftovers(r, run.result.tag);
  },
  kmsgUnreadable !== null ? { skip: kmsgUnreadable } : cgroupV1() && noCgroup === null ? {} : { skip: 'the fixture limits itself with a writable cgroup v1 memory hierarchy, which is not here' },
);

faultCase(
  'evidence',
  'no chunk cgroup, a test SIGKILLs its own process: killed, and the kernel log names none of its processes',
  async (r) => {
    const run = await runEvidence({ name: 'selfkill', markers: 'selfkill', workers: 1 }, [], CGROUPS_OFF);
    expectOutcome(r, run, 'killed', 3);
    assert.deepEqual(run.chunk.evidence?.kernelLog, { source: '/dev/kmsg', lines: [] });
    assert.match(run.chunk.message, /no OOM evidence for this chunk \(no OOM counter of its own: no cgroup for this chunk: chunk cgroups are turned off \(RUN_CHUNKS_CGROUPS=off\); the kernel log \(\/dev\/kmsg\) names none of its processes\)/);
    r.held('the message says there was no cgroup, and that the kernel log named none of its processes');
    expectCgroupsRemoved(r, run);
    checkNoLeftovers(r, run.result.tag);
  },
  kmsgUnreadable !== null ? { skip: kmsgUnreadable } : {},
);
