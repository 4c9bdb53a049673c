// The fault suite, the report dir across runs: a run killed with SIGKILL, two runs in one report
// dir, locks left by dead runs, and merges of incomplete or unfinished report dirs. Each case goes
// through the built CLI with real pytest and real processes, and checks what a reader of the
// report dir is told afterwards. Records feed docs/reliability.md.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { REPORT_SCHEMA_VERSION, type RunInProgressReport, type RunReport } from '../../src/results/report-types.js';
import { chunkOf, FIXTURES_DIR, findTaggedProcesses, makeProject, readAnnounced, REPO_ROOT, runCli, startCli, VENV_PYTHON, waitUntil, writeConfig, type CliResult } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';

const STARTUP_TIMEOUT_MS = 60_000;
const REPORT_DIR = path.join('.run-chunks', 'report');

interface LifecycleProject {
  dir: string;
  signalDir: string;
  gate: string;
  reportDir: string;
}

/** A copy of the lifecycle fixture suite; `chunks` default to one chunk of all six tests (the gated one last). */
function makeLifecycleProject(chunks: Record<string, unknown>[] = [{ name: 'all', paths: ['tests/test_quick.py', 'tests/test_gate.py'] }]): LifecycleProject {
  const dir = makeProject({});
  cpSync(path.join(FIXTURES_DIR, 'lifecycle-suite'), dir, { recursive: true });
  const signalDir = path.join(dir, 'signals');
  mkdirSync(signalDir);
  const gate = path.join(dir, 'gate-open');
  writeConfig(dir, { python: VENV_PYTHON, defaults: { env: { LIFECYCLE_GATE: gate, LIFECYCLE_SIGNAL_DIR: signalDir } }, chunks });
  return { dir, signalDir, gate, reportDir: path.join(dir, REPORT_DIR) };
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

const validateReport = new Ajv2020({ allErrors: true, strict: true, validateFormats: false }).compile(readJson<object>(path.join(REPO_ROOT, 'schema', 'report.schema.json')));

/** Checks the run printed no stack trace of its own. */
function expectNoStackTrace(r: FaultRecorder, result: CliResult): void {
  assert.doesNotMatch(result.stderr, /\n\s+at .+\(.+:\d+:\d+\)/, result.stderr);
  r.held('no stack trace');
}

/** Starts a run whose gated test waits; resolves once that test is running. */
async function startGatedRun(project: LifecycleProject, args: string[] = []): Promise<ReturnType<typeof startCli>> {
  const run = startCli(args, { cwd: project.dir });
  await waitUntil(() => readAnnounced(project.signalDir, 'gate-waiting') !== undefined || run.child.exitCode !== null, STARTUP_TIMEOUT_MS, 'the gated test to start');
  assert.equal(run.child.exitCode, null, run.output());
  return run;
}

faultCase('lifecycle', 'run-chunks is SIGKILLed mid-run after a green run in the same report dir', async (r) => {
  const project = makeLifecycleProject();
  writeFileSync(project.gate, '');
  const green = await runCli([], { cwd: project.dir });
  assert.equal(green.exitCode, 0, green.stdout + green.stderr);
  const greenJson = readFileSync(path.join(project.reportDir, 'report.json'), 'utf8');
  const greenJunit = readFileSync(path.join(project.reportDir, 'junit.xml'), 'utf8');

  rmSync(project.gate);
  rmSync(path.join(project.signalDir, 'gate-waiting'));
  const run = await startGatedRun(project, ['--chunk', 'all']);
  const marker = readJson<RunInProgressReport>(path.join(project.reportDir, 'report.json'));
  assert.equal(marker.status, 'running');
  assert.equal(marker.process.pid, run.child.pid);
  assert.equal(marker.process.host, os.hostname());
  assert.deepEqual(marker.process.command, ['run-chunks', '--chunk', 'all']);
  assert.deepEqual(marker.plannedChunks.map((chunk) => chunk.name), ['all']);
  assert.ok(validateReport(marker), JSON.stringify(validateReport.errors));
  r.held('while it runs, report.json says "running" with its pid, host, start time, command and planned chunks (valid against the schema)');
  assert.equal(existsSync(path.join(project.reportDir, 'junit.xml')), false);
  assert.match(readFileSync(path.join(project.reportDir, 'report.html'), 'utf8'), /this run has not finished/);
  assert.equal(readFileSync(path.join(project.reportDir, '.previous', 'report.json'), 'utf8'), greenJson);
  assert.equal(readFileSync(path.join(project.reportDir, '.previous', 'junit.xml'), 'utf8'), greenJunit);
  r.held('the green run\'s report.json and junit.xml are in .previous/, byte for byte; no junit.xml at the top; report.html is the "has not finished" page');
  const live = await runCli(['report'], { cwd: project.dir });
  assert.equal(live.exitCode, 3, live.stdout + live.stderr);
  assert.match(live.stdout, new RegExp(`this run did not finish: run-chunks \\(pid ${run.child.pid} on .+\\) was started at ${marker.startedAt.replaceAll('.', '\\.')} .* and is still running\\.`));
  r.held('`run-chunks report` while it runs: exit 3, "this run did not finish: … is still running"');

  run.child.kill('SIGKILL');
  const result = await run.result;
  r.outcomeOf(result.exitCode, 'running');
  assert.equal(result.signal, 'SIGKILL');
  await waitUntil(() => findTaggedProcesses(result.tag).length === 0, 10_000, 'the chunk processes to die');
  const after = await runCli(['report'], { cwd: project.dir });
  r.did(`report.json stays "running"; \`run-chunks report\`: "${after.stdout.trim().replace(/^.*?: /, '').slice(0, 120)}…", exit ${after.exitCode}`);
  assert.equal(after.exitCode, 3, after.stdout + after.stderr);
  assert.match(after.stdout, new RegExp(`this run did not finish: run-chunks \\(pid ${run.child.pid} on .+\\) was started at .* and is gone without finishing \\(no process has pid ${run.child.pid}\\)`));
  assert.doesNotMatch(after.stdout, /Run passed/);
  expectNoStackTrace(r, after);
  r.held('after the kill, `run-chunks report`: exit 3, "is gone without finishing", never "Run passed"');

  const merged = await runCli(['merge', REPORT_DIR, '--report-dir', 'merged', '--history', 'merged-history.json'], { cwd: project.dir });
  assert.equal(merged.exitCode, 3, merged.stdout + merged.stderr);
  const mergedReport = readJson<RunReport>(path.join(project.dir, 'merged', 'report.json'));
  const chunk = chunkOf(mergedReport, 'all');
  assert.equal(chunk.status, 'error');
  assert.match(chunk.message, new RegExp(`no result: the run in ${project.reportDir.replaceAll('.', '\\.')} did not finish`));
  assert.match(merged.stderr, /holds a run that did not finish/);
  r.held('`run-chunks merge` of that dir: exit 3, its chunk an error "no result: the run in <dir> did not finish (…)"');
  checkNoLeftovers(r, result.tag);
});

faultCase('lifecycle', 'a second run starts in the report dir of a run that is still going', async (r) => {
  const project = makeLifecycleProject();
  const first = await startGatedRun(project);
  const firstMarker = readJson<RunInProgressReport>(path.join(project.reportDir, 'report.json'));
  const chunkLog = path.join(project.reportDir, 'all', 'output.log');
  const logBefore = readFileSync(chunkLog, 'utf8');
  const second = await runCli([], { cwd: project.dir });
  r.outcomeOf(second.exitCode);
  r.did(`second run refused, exit 2: "${second.stderr.replace(/^run-chunks: error: /, '').slice(0, 110)}…"`);
  assert.equal(second.exitCode, 2, second.stdout + second.stderr);
  assert.equal(second.stdout, '');
  const paragraph = second.stderr.trim();
  assert.equal(paragraph.split('\n').length, 1, paragraph);
  for (const part of [`pid ${first.child.pid}`, firstMarker.process.startedAt, 'command: run-chunks', '--report-dir', '--history', 'still running'])
    assert.ok(paragraph.includes(part), `the error lacks ${JSON.stringify(part)}: ${paragraph}`);
  expectNoStackTrace(r, second);
  r.held('exit 2, one paragraph naming the other run (pid, start time, command) and --report-dir / --history');
  assert.deepEqual(readJson<RunInProgressReport>(path.join(project.reportDir, 'report.json')), firstMarker);
  assert.ok(readFileSync(chunkLog, 'utf8').startsWith(logBefore), 'the first run\'s chunk folder was emptied');
  r.held('the first run\'s report.json and chunk folder are untouched');
  checkNoLeftovers(r, second.tag);

  writeFileSync(project.gate, '');
  const result = await first.result;
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const report = readJson<RunReport>(path.join(project.reportDir, 'report.json'));
  assert.equal(report.status, 'passed');
  assert.deepEqual(chunkOf(report, 'all').tests, { total: 6, passed: 6, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
  r.held('the first run then reports all 6 of 6 tests passed, exit 0');
  assert.equal(existsSync(path.join(project.reportDir, '.run-chunks.lock')), false);
  assert.equal(existsSync(path.join(project.dir, '.run-chunks', 'history.json.lock')), false);
  r.held('its locks on the report dir and the history are gone after it');
  checkNoLeftovers(r, result.tag);
});

/** A lock file as a run writes it, for a process that is not (or no longer) that run. */
function writeLock(file: string, owner: { pid: number; startTime: number | null }): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  writeFileSync(file, `${JSON.stringify({ ...owner, host: os.hostname(), bootId, command: ['run-chunks', '--chunk', 'all'], startedAt: '2026-01-01T00:00:00.000Z' })}\n`);
}

/** The start time (clock ticks since boot) of a live process, from /proc/PID/stat. */
function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

faultCase('lifecycle', 'locks left by dead runs: a pid that is gone, and a pid reused by another program', async (r) => {
  const project = makeLifecycleProject();
  writeFileSync(project.gate, '');
  const exited = spawnSync('true');
  const deadPid = exited.pid!;
  // This test's own process stands for a program that got the dead run's pid: alive, but started at another time.
  writeLock(path.join(project.reportDir, '.run-chunks.lock'), { pid: process.pid, startTime: startTimeOf(process.pid) + 1 });
  writeLock(path.join(project.dir, '.run-chunks', 'history.json.lock'), { pid: deadPid, startTime: 12345 });
  const result = await runCli([], { cwd: project.dir });
  r.outcomeOf(result.exitCode, 'passed');
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.match(result.stderr, new RegExp(`notice: took over the lock on the report dir .* from run-chunks \\(pid ${process.pid} on .+\\), started at 2026-01-01T00:00:00\\.000Z, command: run-chunks --chunk all, which did not finish: pid ${process.pid} now belongs to another process`));
  r.held('the report dir\'s lock, whose pid now belongs to a process with another start time, is taken over with a notice');
  assert.match(result.stderr, new RegExp(`notice: took over the lock on the run history .* from run-chunks \\(pid ${deadPid} on .+\\).*which did not finish: no process has pid ${deadPid}`));
  r.held('the history\'s lock, whose pid is gone, is taken over with a notice');
  r.did('took both locks over with a notice each, ran, exit 0');
  assert.equal(readJson<RunReport>(path.join(project.reportDir, 'report.json')).status, 'passed');
  assert.equal(existsSync(path.join(project.reportDir, '.run-chunks.lock')), false);
  assert.equal(existsSync(path.join(project.dir, '.run-chunks', 'history.json.lock')), false);
  r.held('the run passed and released both locks');
  checkNoLeftovers(r, result.tag);
});

faultCase('lifecycle', 'a live lock on the report dir: --dry-run, --list and plan still work, a run is refused', async (r) => {
  const project = makeLifecycleProject();
  // This test's own process, with its real start time: a live run as far as run-chunks can tell.
  writeLock(path.join(project.reportDir, '.run-chunks.lock'), { pid: process.pid, startTime: startTimeOf(process.pid) });
  const tags: string[] = [];
  for (const args of [['--dry-run'], ['--list'], ['plan']]) {
    const result = await runCli(args, { cwd: project.dir });
    tags.push(result.tag);
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
  }
  r.held('--dry-run, --list and plan take no lock: exit 0');
  const refused = await runCli([], { cwd: project.dir });
  r.outcomeOf(refused.exitCode);
  r.did('a run: exit 2 naming the live lock\'s owner');
  assert.equal(refused.exitCode, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, new RegExp(`is in use by another run: run-chunks \\(pid ${process.pid} on .+\\), started at 2026-01-01T00:00:00\\.000Z, command: run-chunks --chunk all\\. It is still running`));
  assert.equal(readAnnounced(project.signalDir, 'gate-waiting'), undefined);
  assert.equal(existsSync(path.join(project.reportDir, 'report.json')), false);
  r.held('the run is refused with exit 2 before any chunk starts or any report file is written');
  for (const tag of [...tags, refused.tag]) checkNoLeftovers(r, tag);
});

faultCase('lifecycle', 'merge --config: a required chunk has no report in any dir, a non-required one neither', async (r) => {
  const project = makeLifecycleProject([
    { name: 'quick', markers: 'quick' },
    { name: 'gated', markers: 'gate' },
    { name: 'optional', markers: 'quick', required: false },
  ]);
  const ran = await runCli(['--chunk', 'quick', '--report-dir', 'job-quick'], { cwd: project.dir });
  assert.equal(ran.exitCode, 0, ran.stdout + ran.stderr);
  const withConfig = await runCli(['merge', '--config', 'chunks.config.json', 'job-quick', '--report-dir', 'merged'], { cwd: project.dir });
  r.outcomeOf(withConfig.exitCode, 'error');
  assert.equal(withConfig.exitCode, 3, withConfig.stdout + withConfig.stderr);
  const report = readJson<RunReport>(path.join(project.dir, 'merged', 'report.json'));
  assert.equal(report.status, 'error');
  assert.equal(chunkOf(report, 'quick').status, 'passed');
  const gated = chunkOf(report, 'gated');
  assert.equal(gated.status, 'error');
  assert.match(gated.message, /^no report: its CI job did not upload one/);
  r.did(`exit 3; chunk "gated": error "${gated.message}"`);
  r.held('exit 3: the missing required chunk is an error entry "no report: its CI job did not upload one"');
  assert.match(withConfig.stderr, /warning: required chunk gated of the config has no report in any merged dir/);
  assert.match(withConfig.stderr, /warning: chunk optional \(not required\) has no report in any merged dir/);
  assert.equal(report.chunks.some((chunk) => chunk.name === 'optional'), false);
  assert.match(withConfig.stdout, /gated: error: no report: its CI job did not upload one[^\n]*\.\n/);
  assert.doesNotMatch(withConfig.stdout, /gated: error: [^\n]*Log:/, 'a log that does not exist is not pointed at');
  r.held('the output names the missing required chunk, and warns about the non-required one (left out of the report)');
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors));
  r.held('the merged report.json is valid against the schema');

  const withoutConfig = await runCli(['merge', 'job-quick', '--report-dir', 'merged-2'], { cwd: project.dir });
  assert.equal(withoutConfig.exitCode, 0, withoutConfig.stdout + withoutConfig.stderr);
  assert.match(withoutConfig.stderr, /note: without --config, merge cannot tell whether a chunk is missing/);
  r.held('without --config: exit 0 and a note that missing chunks cannot be detected');
  for (const result of [ran, withConfig, withoutConfig]) checkNoLeftovers(r, result.tag);
});

faultCase('lifecycle', 'a --memory-budget run: report.json records the schedule it used and how many chunks really ran at once', async (r) => {
  const project = makeLifecycleProject([
    { name: 'one', markers: 'quick', memoryEstimate: '100MB' },
    { name: 'two', markers: 'quick', memoryEstimate: '100MB' },
  ]);
  const result = await runCli(['--memory-budget', '2GB'], { cwd: project.dir });
  r.outcomeOf(result.exitCode, 'passed');
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const report = readJson<RunReport>(path.join(project.reportDir, 'report.json'));
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors));
  assert.notEqual(report.schedule, null);
  const schedule = report.schedule!;
  assert.ok(schedule.budgetBytes >= 2_000_000_000 && schedule.budgetBytes <= 2 * 1024 ** 3, String(schedule.budgetBytes));
  assert.deepEqual(
    schedule.chunks.map((chunk) => [chunk.name, chunk.forecastSource, chunk.forecastPeakBytes !== null, chunk.runsAloneBecause]),
    [['one', 'memoryEstimate', true, null], ['two', 'memoryEstimate', true, null]],
  );
  r.held('report.json has the schedule: the budget, each chunk\'s forecast peak and its source (memoryEstimate)');
  const one = chunkOf(report, 'one');
  const two = chunkOf(report, 'two');
  const overlapped = Date.parse(one.startedAt!) < Date.parse(two.startedAt!) + two.durationMs && Date.parse(two.startedAt!) < Date.parse(one.startedAt!) + one.durationMs;
  assert.equal(report.maxConcurrentChunks, overlapped ? 2 : 1);
  assert.deepEqual(schedule.chunks.map((chunk) => chunk.ranAlongside), overlapped ? [['two'], ['one']] : [[], []]);
  r.did(`schedule recorded; maxConcurrentChunks ${report.maxConcurrentChunks} (parallelChunks ${report.parallelChunks}, the --parallel-chunks setting)`);
  assert.ok(overlapped, 'the two chunks fit the budget and the cores together, so they ran at the same time');
  r.held('maxConcurrentChunks 2 and ranAlongside match the chunks\' own start times and durations');
  checkNoLeftovers(r, result.tag);
});

faultCase('lifecycle', 'merge of --shard runs: each shard\'s figures stay its own; a shard without a report makes the chunk an error', async (r) => {
  const project = makeLifecycleProject([{ name: 'all', paths: ['tests/test_quick.py'] }]);
  const shards: CliResult[] = [];
  for (const index of [1, 2]) {
    const shard = await runCli(['--chunk', 'all', '--shard', `${index}/2`, '--report-dir', `shard-${index}`], { cwd: project.dir });
    assert.equal(shard.exitCode, 0, shard.stdout + shard.stderr);
    shards.push(shard);
  }
  const own = [1, 2].map((index) => chunkOf(readJson<RunReport>(path.join(project.dir, `shard-${index}`, 'report.json')), 'all'));
  const merged = await runCli(['merge', 'shard-1', 'shard-2', '--report-dir', 'merged'], { cwd: project.dir });
  assert.equal(merged.exitCode, 0, merged.stdout + merged.stderr);
  const report = readJson<RunReport>(path.join(project.dir, 'merged', 'report.json'));
  const chunk = chunkOf(report, 'all');
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors));
  assert.deepEqual(
    chunk.mergedShards?.map((shard) => [shard.index, shard.startedAt, shard.durationMs, shard.logFile]),
    own.map((shard) => [shard.shard!.index, shard.startedAt, shard.durationMs, shard.logFile]),
  );
  assert.equal(chunk.tests?.total, 5);
  r.held('the merged entry lists each shard\'s own start, duration and log as that shard recorded them; 5 tests in all');
  const page = readFileSync(path.join(project.dir, 'merged', 'report.html'), 'utf8');
  assert.match(page, /No memory timeline: its shards ran on separate machines/);
  assert.match(page, /Merged from 2 of 2 shards, which ran on separate machines/);
  r.held('report.html draws no single shard\'s timeline for the whole chunk, and says why (a table of the shards instead)');

  const half = await runCli(['merge', 'shard-1', '--report-dir', 'merged-half'], { cwd: project.dir });
  r.outcomeOf(half.exitCode, 'error');
  assert.equal(half.exitCode, 3, half.stdout + half.stderr);
  const halfChunk = chunkOf(readJson<RunReport>(path.join(project.dir, 'merged-half', 'report.json')), 'all');
  assert.equal(halfChunk.status, 'error');
  assert.match(halfChunk.message, /^only 1 of 2 shards were merged: shard 2 has no report/);
  r.did(`shard 1 of 2 merged alone: exit 3, "${halfChunk.message.slice(0, 90)}…"`);
  r.held('a merge missing a shard is an error (exit 3), never a green chunk');
  for (const result of [...shards, merged, half]) checkNoLeftovers(r, result.tag);
});

/** What a merged report dir holds, as a reader that goes by report.json sees it. */
type MergedDirState = { kind: 'finished'; runId: string; chunks: string[] } | { kind: 'unfinished'; pid: number };

function readMergedDir(dir: string): MergedDirState {
  const value = readJson<RunReport | RunInProgressReport>(path.join(dir, 'report.json'));
  if (value.status === 'running') return { kind: 'unfinished', pid: value.process.pid };
  return { kind: 'finished', runId: value.runId, chunks: value.chunks.map((chunk) => chunk.name) };
}

faultCase('lifecycle', 'merge SIGKILLed at 24 moments while it replaces an earlier merged report', async (r) => {
  const project = makeLifecycleProject([
    { name: 'quick', markers: 'quick' },
    { name: 'gated', markers: 'gate' },
  ]);
  writeFileSync(project.gate, '');
  for (const [chunk, dir] of [['quick', 'job-a'], ['gated', 'job-b']]) {
    const ran = await runCli(['--chunk', chunk!, '--report-dir', dir!], { cwd: project.dir });
    assert.equal(ran.exitCode, 0, ran.stdout + ran.stderr);
  }
  const merge = (dir: string): string[] => ['merge', dir, '--report-dir', 'merged', '--history', 'merged-history.json'];
  // The two sets a reader may meet: job-a's merged (the old one) and job-b's (the new one).
  const junitOf = new Map<string, string>();
  for (const dir of ['job-b', 'job-a']) {
    const done = await runCli(merge(dir), { cwd: project.dir });
    assert.equal(done.exitCode, 0, done.stdout + done.stderr);
    junitOf.set(dir, readFileSync(path.join(project.dir, 'merged', 'junit.xml'), 'utf8'));
  }
  const merged = path.join(project.dir, 'merged');
  const seen = { old: 0, new: 0, unfinished: 0 };
  const tags: string[] = [];
  for (let index = 0; index < 24; index += 1) {
    const before = readMergedDir(merged);
    const run = startCli(merge(index % 2 === 0 ? 'job-b' : 'job-a'), { cwd: project.dir });
    tags.push(run.tag);
    await new Promise((resolve) => setTimeout(resolve, 100 + index * 20));
    run.child.kill('SIGKILL');
    await run.result;
    const state = readMergedDir(merged);
    if (state.kind === 'unfinished') {
      seen.unfinished += 1;
      assert.equal(state.pid, run.child.pid);
      const told = await runCli(['report', 'merged'], { cwd: project.dir });
      assert.equal(told.exitCode, 3, told.stdout + told.stderr);
      assert.match(told.stdout, /this merge did not finish: .* is gone without finishing/);
      continue;
    }
    const set = state.chunks.join(',') === 'quick' ? 'job-a' : 'job-b';
    assert.deepEqual(state.chunks, set === 'job-a' ? ['quick'] : ['gated']);
    if (before.kind === 'finished' && state.runId === before.runId) seen.old += 1;
    else seen.new += 1;
    assert.equal(readFileSync(path.join(merged, 'junit.xml'), 'utf8'), junitOf.get(set), `junit.xml is not that of the report.json beside it (${set})`);
    assert.ok(readFileSync(path.join(merged, 'report.html'), 'utf8').includes(`run ${state.runId}`), 'report.html is not that of the report.json beside it');
  }
  r.did(`after each kill: old set ${seen.old}×, new set ${seen.new}×, report.json "running" (merge unfinished) ${seen.unfinished}×`);
  r.held('every time, report.json is a finished report whose junit.xml and report.html are its own, or says the merge did not finish (and `report` exits 3)');

  // The swap itself is a few renames long, too short to hit with a kill: its state is made by hand,
  // as a merge killed there leaves it (a merge marker of a dead pid, the new junit.xml, the old page,
  // the incoming folder with the new report.json).
  const dead = spawnSync('true').pid!;
  const current = readJson<RunReport>(path.join(merged, 'report.json'));
  const incoming = path.join(merged, '.incoming-deadbeef');
  mkdirSync(incoming);
  writeFileSync(path.join(incoming, 'report.json'), JSON.stringify(current));
  writeFileSync(path.join(merged, 'junit.xml'), junitOf.get('job-a')!);
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const identity = { pid: dead, host: os.hostname(), startTime: 1, bootId, command: ['run-chunks', 'merge', 'job-a'], startedAt: '2026-01-01T00:00:00.000Z' };
  writeFileSync(path.join(merged, '.run-chunks.lock'), JSON.stringify(identity));
  const marker: RunInProgressReport = { schemaVersion: REPORT_SCHEMA_VERSION, tool: current.tool, runId: 'killed-merge', status: 'running', kind: 'merge', startedAt: identity.startedAt, configFile: null, reportDir: merged, process: identity, plannedChunks: [] };
  assert.ok(validateReport(marker), JSON.stringify(validateReport.errors));
  writeFileSync(path.join(merged, 'report.json'), JSON.stringify(marker));
  const told = await runCli(['report', 'merged'], { cwd: project.dir });
  assert.equal(told.exitCode, 3, told.stdout + told.stderr);
  assert.match(told.stdout, new RegExp(`this merge did not finish: run-chunks \\(pid ${dead} on .+\\) was started at 2026-01-01T00:00:00\\.000Z .* and is gone without finishing`));
  const remerge = await runCli(['merge', 'merged', '--report-dir', 'again'], { cwd: project.dir });
  assert.equal(remerge.exitCode, 3, remerge.stdout + remerge.stderr);
  assert.match(remerge.stderr, /it holds no run's report but a merge that did not finish/);
  r.held('a merge killed during the swap (state made by hand): `report` exits 3 "this merge did not finish … is gone without finishing"; merging that dir is refused (exit 3)');
  tags.push(told.tag, remerge.tag);
  const final = await runCli(merge('job-b'), { cwd: project.dir });
  r.outcomeOf(final.exitCode, 'passed');
  assert.equal(final.exitCode, 0, final.stdout + final.stderr);
  assert.deepEqual(readMergedDir(merged).kind, 'finished');
  assert.deepEqual(readdirSync(merged).filter((name) => name.startsWith('.incoming-') || name.endsWith('.tmp')), []);
  assert.equal(existsSync(path.join(merged, '.run-chunks.lock')), false);
  assert.match(final.stderr, new RegExp(`notice: took over the lock on the report dir .* from run-chunks \\(pid ${dead} on`));
  r.held('the next merge takes over the killed one\'s lock (with a notice), removes its incoming folder, leaves no temp folder or lock behind, exit 0');
  for (const tag of [...tags, final.tag]) checkNoLeftovers(r, tag);
});

faultCase('lifecycle', 'the locks are released on SIGTERM and on an error after they were taken', async (r) => {
  const project = makeLifecycleProject([
    { name: 'all', paths: ['tests/test_quick.py', 'tests/test_gate.py'] },
    { name: 'broken', paths: ['tests/no_such_file.py'] },
  ]);
  const lockFiles = [path.join(project.reportDir, '.run-chunks.lock'), path.join(project.dir, '.run-chunks', 'history.json.lock')];
  const run = await startGatedRun(project, ['--chunk', 'all']);
  assert.deepEqual(lockFiles.map((file) => existsSync(file)), [true, true]);
  run.child.kill('SIGTERM');
  const stopped = await run.result;
  assert.equal(stopped.exitCode, 130, stopped.stdout + stopped.stderr);
  assert.deepEqual(lockFiles.map((file) => existsSync(file)), [false, false]);
  const interrupted = readJson<RunReport>(path.join(project.reportDir, 'report.json'));
  assert.equal(interrupted.status, 'interrupted');
  r.held('SIGTERM: exit 130, report.json finished as "interrupted", both locks released');

  // --shard collects the chunk's tests after the locks are taken; a collection that fails is a usage error.
  const refused = await runCli(['--chunk', 'broken', '--shard', '1/2'], { cwd: project.dir });
  r.outcomeOf(refused.exitCode);
  r.did(`SIGTERM: exit 130, locks released; a failed --shard collection: exit ${refused.exitCode}, locks released, earlier report kept`);
  assert.equal(refused.exitCode, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /Collecting the tests of/);
  assert.deepEqual(lockFiles.map((file) => existsSync(file)), [false, false]);
  assert.deepEqual(readJson<RunReport>(path.join(project.reportDir, 'report.json')), interrupted);
  r.held('an error after the locks were taken (collection for --shard failed, exit 2): both locks released, the earlier report.json untouched');
  for (const result of [stopped, refused]) checkNoLeftovers(r, result.tag);
});

/** Mounts a tmpfs of `size` at `dir`; a string saying why not where mounting is not permitted. */
function mountSmallDisk(dir: string, size: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return result.status === 0 ? undefined : `mount -t tmpfs failed here (${(result.stderr || String(result.error)).trim()})`;
}

function unmountDisk(dir: string): void {
  if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
}

/** Fills the filesystem holding `dir` to the last byte with a ballast file. */
function fillDisk(dir: string): void {
  const file = path.join(dir, 'ballast');
  for (const size of [65_536, 4096, 512, 1]) {
    const block = Buffer.alloc(size, 'x');
    for (;;) {
      try {
        appendFileSync(file, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        break;
      }
    }
  }
}

faultCase('lifecycle', 'merge into a report dir whose disk is full (ENOSPC): the earlier merged set stays whole', async (r) => {
  const project = makeLifecycleProject([{ name: 'quick', markers: 'quick' }]);
  const ran = await runCli(['--chunk', 'quick', '--report-dir', 'job'], { cwd: project.dir });
  assert.equal(ran.exitCode, 0, ran.stdout + ran.stderr);
  const disk = path.join(project.dir, 'disk');
  const problem = mountSmallDisk(disk, '2m');
  if (problem !== undefined) {
    r.did(`not run: ${problem}`);
    return;
  }
  try {
    const merged = path.join(disk, 'merged');
    const first = await runCli(['merge', 'job', '--report-dir', merged, '--history', 'merged-history.json'], { cwd: project.dir });
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    const before = Object.fromEntries(['report.json', 'junit.xml', 'report.html'].map((name) => [name, readFileSync(path.join(merged, name), 'utf8')]));
    const setOf = (): string[] => ['report.json', 'junit.xml', 'report.html'].map((name) => readFileSync(path.join(merged, name), 'utf8'));
    fillDisk(disk);
    const full = await runCli(['merge', 'job', '--report-dir', merged, '--history', 'merged-history.json'], { cwd: project.dir });
    assert.equal(full.exitCode, 2, full.stdout + full.stderr);
    assert.match(full.stderr, /^run-chunks: error: Cannot lock the report dir .*: no space left on device \(ENOSPC\)\. Nothing was written\. Free space on that disk, or pass the merge another --report-dir/m);
    assert.deepEqual(setOf(), Object.values(before));
    r.held('a disk too full for the lock file: exit 2, "Cannot lock the report dir …: ENOSPC. Nothing was written. Free space on that disk…", the earlier set unchanged');

    // Room for the lock and a little more, not for the new report.json: the write fails in the incoming folder.
    truncateSync(path.join(disk, 'ballast'), statSync(path.join(disk, 'ballast')).size - 8192);
    const tight = await runCli(['merge', 'job', '--report-dir', merged, '--history', 'merged-history.json'], { cwd: project.dir });
    r.outcomeOf(tight.exitCode);
    r.did(`full disk: exit 2 (no room for the lock); nearly full: exit ${tight.exitCode}, "${(tight.stderr.split('\n').find((line) => line.includes('Could not write')) ?? '').replace(/^run-chunks: error: /, '').slice(0, 90)}…"`);
    assert.equal(tight.exitCode, 3, tight.stdout + tight.stderr);
    assert.match(tight.stderr, /run-chunks: error: Could not write the merged report: could not write .*: no space left on device \(ENOSPC\)\. .* keeps its earlier report set as it was\./);
    expectNoStackTrace(r, tight);
    r.held('nearly full: exit 3, one paragraph naming the file, ENOSPC, that the earlier set is kept, and the fix; no stack trace');
    assert.deepEqual(setOf(), Object.values(before));
    assert.deepEqual(readdirSync(merged).filter((name) => name.startsWith('.incoming-') || name.endsWith('.tmp') || name === '.run-chunks.lock'), []);
    r.held('report.json, junit.xml and report.html are the earlier merge\'s, byte for byte; no incoming folder, temp file or lock left');
    for (const result of [ran, first, full, tight]) checkNoLeftovers(r, result.tag);
  } finally {
    unmountDisk(disk);
  }
});

// A conftest that, when COLLECT_HANG is set, stalls pytest's collection (the up-front one of a
// rest chunk included) and announces it; without it the suite is two quick passing tests.
const STALLING_CONFTEST = [
  'import os, time',
  'if os.environ.get("COLLECT_HANG"):',
  '    open(os.path.join(os.path.dirname(__file__), "collect-started"), "w").close()',
  '    time.sleep(float(os.environ.get("COLLECT_HANG")))',
  '',
].join('\n');

function makeRestProject(): { dir: string; reportDir: string } {
  const dir = makeProject({ 'conftest.py': STALLING_CONFTEST, 'tests/test_a.py': 'def test_a():\n    pass\n', 'tests/test_b.py': 'def test_b():\n    pass\n' });
  // `a`'s own -p changes collection, so the rest chunk cannot judge it in its own session: `a` is
  // collected on its own before any chunk starts, the collection these cases stall.
  writeConfig(dir, { python: VENV_PYTHON, testPaths: ['tests'], chunks: [{ name: 'a', paths: ['tests/test_a.py'], args: ['-p', 'no:cacheprovider'] }, { name: 'others', rest: true }] });
  return { dir, reportDir: path.join(dir, REPORT_DIR) };
}

faultCase('lifecycle', 'run-chunks is SIGKILLed during a rest chunk\'s collection, after a green run', async (r) => {
  const project = makeRestProject();
  const green = await runCli([], { cwd: project.dir });
  assert.equal(green.exitCode, 0, green.stdout + green.stderr);
  const greenJson = readFileSync(path.join(project.reportDir, 'report.json'), 'utf8');

  const run = startCli([], { cwd: project.dir, env: { COLLECT_HANG: '600' } });
  await waitUntil(() => existsSync(path.join(project.dir, 'collect-started')) || run.child.exitCode !== null, STARTUP_TIMEOUT_MS, 'the collection to start');
  assert.equal(run.child.exitCode, null, run.output());
  const marker = readJson<RunInProgressReport>(path.join(project.reportDir, 'report.json'));
  assert.equal(marker.status, 'running');
  r.held('while the collection runs (before any chunk), report.json already says "running"');
  run.child.kill('SIGKILL');
  const result = await run.result;
  r.outcomeOf(result.exitCode, 'running');
  await waitUntil(() => findTaggedProcesses(result.tag).length === 0, 10_000, 'the collection\'s pytest to die');
  r.held('the watchdog stopped the collection\'s pytest (its own process group) within 10 s');
  const after = await runCli(['report'], { cwd: project.dir });
  r.did(`report.json stays "running"; \`run-chunks report\` exit ${after.exitCode}`);
  assert.equal(after.exitCode, 3, after.stdout + after.stderr);
  assert.match(after.stdout, /is gone without finishing/);
  assert.doesNotMatch(after.stdout, /Run passed/);
  assert.equal(readFileSync(path.join(project.reportDir, '.previous', 'report.json'), 'utf8'), greenJson);
  r.held('`run-chunks report`: exit 3, "gone without finishing", never the earlier green verdict (which is in .previous/)');
  checkNoLeftovers(r, result.tag);
});

faultCase('lifecycle', 'a rest chunk\'s collection refuses the run (collectTimeout): the earlier report is put back', async (r) => {
  const project = makeRestProject();
  const green = await runCli([], { cwd: project.dir });
  assert.equal(green.exitCode, 0, green.stdout + green.stderr);
  const greenJson = readFileSync(path.join(project.reportDir, 'report.json'), 'utf8');
  const config = readJson<Record<string, unknown>>(path.join(project.dir, 'chunks.config.json'));
  writeConfig(project.dir, { ...config, collectTimeout: '2s' });
  const refused = await runCli([], { cwd: project.dir, env: { COLLECT_HANG: '30' } });
  r.outcomeOf(refused.exitCode);
  assert.equal(refused.exitCode, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /took more than 2 s/);
  r.did('exit 2: the collection took more than 2 s; no chunk ran');
  assert.equal(readFileSync(path.join(project.reportDir, 'report.json'), 'utf8'), greenJson);
  assert.equal(existsSync(path.join(project.reportDir, '.run-chunks.lock')), false);
  r.held('report.json is the earlier run\'s again, byte for byte, and the lock is released');
  checkNoLeftovers(r, refused.tag);
});

// Two collections at once (`plan` with a chunk collected on its own, beside the whole suite's):
// when one ends early, by a signal or its timeout, the other's temp folder must be gone too.
// (It was left behind: the first failure was reported, and run-chunks exited, before the other's
// cleanup ran.) Each run gets a TMPDIR of its own, so the check sees only its folders.
for (const variant of [
  { label: 'SIGINT', signal: 'SIGINT' as const },
  { label: 'SIGTERM', signal: 'SIGTERM' as const },
  { label: 'an error in one while the other hangs', signal: null },
]) {
  faultCase('lifecycle', `two collections at once (plan), one ended by ${variant.label}: no temp folder left`, async (r) => {
    const project = makeRestProject();
    const tmp = path.join(project.dir, 'own-tmp');
    mkdirSync(tmp);
    const env = { TMPDIR: tmp, COLLECT_HANG: '60' };
    let result: CliResult;
    if (variant.signal === null) {
      // Chunk a's collection (the one run with -p no:cacheprovider) fails at once; the whole suite's hangs.
      writeFileSync(path.join(project.dir, 'conftest.py'), `import sys\nif "no:cacheprovider" in sys.argv:\n    raise RuntimeError("a broken conftest")\n${STALLING_CONFTEST}`);
      const started = Date.now();
      result = await runCli(['plan'], { cwd: project.dir, env });
      assert.equal(result.exitCode, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /Collecting the tests of chunk "a" failed.*a broken conftest/s);
      assert.ok(Date.now() - started < 45_000, 'the hanging collection was stopped, not waited for');
      r.did('exit 2: chunk a\'s collection failed (pytest\'s error shown); the hanging one was stopped at once');
    } else {
      const run = startCli(['plan'], { cwd: project.dir, env });
      await waitUntil(() => existsSync(path.join(project.dir, 'collect-started')) || run.child.exitCode !== null, STARTUP_TIMEOUT_MS, 'the collections to start');
      // Both pytest processes are in their conftest (each announces it; give the second a moment).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(run.child.exitCode, null, run.output());
      assert.equal(readdirSync(tmp).filter((name) => name.startsWith('run-chunks-collect-')).length, 2, `two collections' folders while they run: ${readdirSync(tmp).join(', ')}`);
      r.held('while both collections run, each has its temp folder');
      run.child.kill(variant.signal);
      result = await run.result;
      assert.equal(result.exitCode, 130, result.stdout + result.stderr);
      assert.match(result.stderr, new RegExp(`Interrupted by ${variant.signal} while collecting`));
      r.did(`exit 130: interrupted by ${variant.signal} while collecting`);
    }
    r.outcomeOf(result.exitCode);
    assert.deepEqual(readdirSync(tmp), []);
    r.held('no run-chunks-collect-* folder is left in TMPDIR');
    checkNoLeftovers(r, result.tag);
  });
}
