// The fault suite, containment: each case has a test start a process that leaves the chunk in a
// way environment markers cannot follow (a clean environment, env -i and a double fork, a
// dropped marker), through the built CLI with real pytest. It checks the status, the warning
// that names what was killed, that the escapee's pid is dead, that no process of the run and no
// cgroup of it is left. Where cgroups can be made, each case also runs with them turned off
// (the launcher as child subreaper alone). Records feed docs/reliability.md.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chunkOf, isAlive, readReport, runCli, startCli, waitUntil, writeConfig, type CliResult } from '../helpers/cli.js';
import { cgroupUnavailableReason, leftoverCgroups, makeEvidenceProject, readPid } from '../helpers/evidence-project.js';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';
import type { ChunkReport } from '../../src/results/report-types.js';

const noCgroup = cgroupUnavailableReason();
const CGROUPS_OFF = { RUN_CHUNKS_CGROUPS: 'off' };

interface Escape {
  marker: string;
  /** The file the escapee writes its pid to. */
  announces: string;
  what: string;
}

const ESCAPES: Escape[] = [
  { marker: 'clean_env_service', announces: 'service', what: 'a fixture starts a service with env={"PATH": ...} and start_new_session=True, then passes' },
  { marker: 'env_i_daemon', announces: 'daemon', what: 'a test double-forks a daemon through `env -i setsid sh -c "... &"`, then passes' },
  { marker: 'drops_marker', announces: 'unmarked', what: 'a test unsets RUN_CHUNKS_CHUNK, then starts a process in a new session, and passes' },
];

async function runEscape(escape: Escape, env: Record<string, string>): Promise<{ result: CliResult; chunk: ChunkReport; runId: string; escapee: number }> {
  const { dir, signalDir } = makeEvidenceProject({ chunks: [{ name: 'leaky', markers: escape.marker, workers: 1 }] }, env);
  const result = await runCli([], { cwd: dir, env });
  const report = readReport(dir);
  const escapee = readPid(signalDir, escape.announces);
  assert.ok(escapee !== undefined && escapee > 0, `the escapee announced its pid\n${result.stdout}${result.stderr}`);
  return { result, chunk: chunkOf(report, 'leaky'), runId: report.runId, escapee };
}

function checkEscapeContained(r: FaultRecorder, run: Awaited<ReturnType<typeof runEscape>>, foundBy: RegExp): void {
  r.outcomeOf(run.result.exitCode, run.chunk.status);
  assert.equal(run.chunk.status, 'passed', `${run.chunk.message}\n${run.result.stdout}${run.result.stderr}`);
  assert.equal(run.result.exitCode, 0);
  r.held('status passed and exit 0 (the test itself passed)');
  assert.ok(!isAlive(run.escapee), `escapee ${run.escapee} is still alive`);
  r.held(`the escapee (pid ${run.escapee}) is dead`);
  const warning = run.chunk.warnings.find((text) => text.includes(`pid ${run.escapee} `));
  assert.ok(warning, `a warning names pid ${run.escapee}: ${JSON.stringify(run.chunk.warnings)}`);
  assert.match(warning, foundBy);
  assert.match(run.result.stdout + run.result.stderr, new RegExp(`pid ${run.escapee} \``));
  const how = /\((found in the chunk's cgroup|re-parented to the launcher|found by the chunk's environment markers)\)/.exec(warning)?.[1];
  r.did(`killed the escapee at the chunk's end (${how}); the warning names pid ${run.escapee} and its command`);
  r.held('the warning names its pid and command, and how it was found');
  assert.deepEqual(leftoverCgroups(run.runId), []);
  r.held('no cgroup of the run left');
  checkNoLeftovers(r, run.result.tag);
}

for (const escape of ESCAPES) {
  faultCase(
    'containment',
    `${escape.what} (chunk cgroup)`,
    async (r) => {
      const run = await runEscape(escape, {});
      assert.deepEqual(run.chunk.evidence?.containment, ['cgroup', 'subreaper', 'markers']);
      checkEscapeContained(r, run, /\((found in the chunk's cgroup|re-parented to the launcher)\)/);
    },
    noCgroup === null ? {} : { skip: `no writable cgroup here: ${noCgroup}` },
  );
  faultCase('containment', `${escape.what} (no cgroup: the launcher as child subreaper)`, async (r) => {
    const run = await runEscape(escape, CGROUPS_OFF);
    assert.deepEqual(run.chunk.evidence?.containment, ['subreaper', 'markers']);
    assert.match(run.chunk.evidence?.unavailable.join('\n') ?? '', /no cgroup for this chunk: chunk cgroups are turned off/);
    r.held('the report says the chunk had no cgroup, and why');
    checkEscapeContained(r, run, /\(re-parented to the launcher\)/);
  });
}

/** A chunk that hangs after its test started a clean-env setsid service; with the chunk's cgroup folder. */
async function startHangingService() {
  const { dir, signalDir } = makeEvidenceProject({ chunks: [{ name: 'hangs', markers: 'clean_env_hang', workers: 1 }] });
  const run = startCli([], { cwd: dir });
  await waitUntil(() => readPid(signalDir, 'hanging') !== undefined, 30_000, 'the hanging test to start');
  const service = readPid(signalDir, 'service')!;
  const hanging = readPid(signalDir, 'hanging')!;
  const line = readFileSync(`/proc/${service}/cgroup`, 'utf8').split('\n').find((entry) => /^\d+:[^:]*\bmemory\b|^0::/.test(entry)) ?? '';
  // The chunk's cgroup, or one the test's pytest process made for itself under it (pytest-PID).
  const leaf = line.split('/').find((part) => /^run-chunks-.+-hangs-1$/.test(part)) ?? '';
  assert.match(leaf, /^run-chunks-.+-hangs-1$/, line);
  const cgroupDir = leftoverCgroups('').find((folder) => folder.endsWith(`/${leaf}`));
  assert.ok(cgroupDir && existsSync(cgroupDir), `the chunk cgroup exists while it runs (${line})`);
  return { run, service, hanging, cgroupDir, serviceCgroup: line.slice(line.indexOf(leaf)) };
}

faultCase(
  'containment',
  'run-chunks SIGKILLed while a chunk hangs with a clean-env service in its cgroup: the watchdog empties and removes the cgroup',
  async (r) => {
    const { run, service, hanging, cgroupDir } = await startHangingService();
    run.child.kill('SIGKILL');
    const result = await run.result;
    r.outcomeOf(null);
    r.did('run-chunks got SIGKILL (no handler runs); its watchdog read end-of-file');
    await waitUntil(() => !isAlive(service) && !isAlive(hanging), 10_000, 'the service and the hanging test to die');
    r.held(`the clean-env service (pid ${service}, no marker) and the test are dead`);
    await waitUntil(() => !existsSync(cgroupDir), 10_000, 'the chunk cgroup to be removed');
    r.held('the chunk cgroup is removed');
    checkNoLeftovers(r, result.tag);
  },
  noCgroup === null ? { timeout: 60_000 } : { skip: `no writable cgroup here: ${noCgroup}` },
);

faultCase(
  'containment',
  'run-chunks and its chunk\'s whole process group (the launcher too) SIGKILLed at once, a clean-env service left in the test process\'s own cgroup: the watchdog finds it in the nested cgroup',
  async (r) => {
    const { run, service, hanging, cgroupDir, serviceCgroup } = await startHangingService();
    r.did(`the service (pid ${service}) is in ${serviceCgroup}`);
    // The chunk's process group: its leader is the launcher, the child subreaper that would otherwise reap and kill the service.
    const pgid = Number(readFileSync(`/proc/${hanging}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
    process.kill(-pgid, 'SIGKILL');
    run.child.kill('SIGKILL');
    const result = await run.result;
    r.outcomeOf(null);
    r.did(`SIGKILL to run-chunks and to the chunk's process group ${pgid} (launcher and pytest) at once: only the cgroup still holds the setsid service`);
    await waitUntil(() => !isAlive(service), 10_000, 'the service to die');
    r.held(`the clean-env service (pid ${service}, no marker, its own session, in the nested cgroup) is dead`);
    await waitUntil(() => !existsSync(cgroupDir), 10_000, 'the chunk cgroup to be removed');
    r.held('the chunk cgroup and the cgroup nested in it are removed');
    checkNoLeftovers(r, result.tag);
  },
  noCgroup === null ? { timeout: 60_000 } : { skip: `no writable cgroup here: ${noCgroup}` },
);

faultCase('containment', 'no cgroup and no python3 (a command chunk, PATH without one): a process that drops RUN_CHUNKS_CHUNK is killed by the run-id sweep at the run\'s end', async (r) => {
  const emptyPath = mkdtempSync(path.join(tmpdir(), 'run-chunks-no-python-'));
  const { dir, signalDir } = makeEvidenceProject({});
  const pidFile = path.join(signalDir, 'unmarked');
  writeConfig(dir, {
    runner: 'command',
    chunks: [
      {
        name: 'markers-only',
        // The escapee keeps the run id but not the chunk marker, in a session of its own.
        command: ['/bin/sh', '-c', `/usr/bin/env -u RUN_CHUNKS_CHUNK /usr/bin/setsid /bin/sh -c 'echo $$ > ${pidFile}; exec /bin/sleep 300' </dev/null >/dev/null 2>&1 & while [ ! -s ${pidFile} ]; do /bin/sleep 0.05; done`],
      },
    ],
  });
  const env = { ...CGROUPS_OFF, PATH: emptyPath };
  const result = await runCli([], { cwd: dir, env });
  const chunk = chunkOf(readReport(dir), 'markers-only');
  r.outcomeOf(result.exitCode, chunk.status);
  assert.equal(chunk.status, 'passed', `${chunk.message}\n${result.stdout}${result.stderr}`);
  assert.equal(result.exitCode, 0);
  r.held('status passed and exit 0');
  assert.deepEqual(chunk.evidence?.containment, ['markers']);
  assert.match(chunk.evidence?.unavailable.join('\n') ?? '', /no python3 on PATH for the launcher/);
  r.held('the report says it had only its environment markers, and why');
  const escapee = readPid(signalDir, 'unmarked')!;
  assert.ok(escapee > 0 && !isAlive(escapee), `escapee ${escapee} is still alive`);
  r.held(`the escapee (pid ${escapee}) is dead`);
  assert.match(result.stdout + result.stderr, new RegExp(`1 process of this run outlived their chunk \\(carrying its run id but not its chunk marker\\); killed: pid ${escapee} \`/bin/sleep 300\``));
  r.did(`killed pid ${escapee} at the run's end by its run id alone, named in a run warning`);
  r.held('the warning names its pid and command');
  checkNoLeftovers(r, result.tag);
});

faultCase(
  'containment',
  'no python3 (a command chunk, PATH without one) but a chunk cgroup: sh joins it, and an env -i setsid escapee is found there',
  async (r) => {
    const emptyPath = mkdtempSync(path.join(tmpdir(), 'run-chunks-no-python-'));
    const { dir, signalDir } = makeEvidenceProject({});
    const pidFile = path.join(signalDir, 'daemon');
    writeConfig(dir, {
      runner: 'command',
      chunks: [
        {
          name: 'sh-joined',
          command: ['/bin/sh', '-c', `/usr/bin/env -i /usr/bin/setsid /bin/sh -c 'echo $$ > ${pidFile}; exec /bin/sleep 300' </dev/null >/dev/null 2>&1 & while [ ! -s ${pidFile} ]; do /bin/sleep 0.05; done`],
        },
      ],
    });
    const result = await runCli([], { cwd: dir, env: { PATH: emptyPath } });
    const report = readReport(dir);
    const chunk = chunkOf(report, 'sh-joined');
    r.outcomeOf(result.exitCode, chunk.status);
    assert.equal(chunk.status, 'passed', `${chunk.message}\n${result.stdout}${result.stderr}`);
    assert.equal(result.exitCode, 0);
    r.held('status passed and exit 0');
    assert.deepEqual(chunk.evidence?.containment, ['cgroup', 'markers']);
    r.held('contained by its cgroup (joined by sh) and markers; no launcher');
    const escapee = readPid(signalDir, 'daemon')!;
    assert.ok(escapee > 0 && !isAlive(escapee), `escapee ${escapee} is still alive`);
    r.held(`the escapee (pid ${escapee}, empty environment) is dead`);
    const warning = chunk.warnings.find((text) => text.includes(`pid ${escapee} `)) ?? '';
    assert.match(warning, /`\/bin\/sleep 300` \(found in the chunk's cgroup\)/);
    r.did(`killed pid ${escapee} at the chunk's end (found in the chunk's cgroup)`);
    r.held('the warning names its pid, command and how it was found');
    assert.deepEqual(leftoverCgroups(report.runId), []);
    r.held('no cgroup of the run left');
    // The escapee had no tag (env -i): the tag check covers the rest of the run.
    checkNoLeftovers(r, result.tag);
  },
  noCgroup === null ? {} : { skip: `no writable cgroup here: ${noCgroup}` },
);
