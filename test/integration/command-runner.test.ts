import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { assertNoLeftovers, chunkOf, makeProject, readReport, runCli, writeConfig } from '../helpers/cli.js';

const JUNIT = `<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="custom" tests="3" failures="1" errors="0" skipped="1">
<testcase classname="c" name="ok"/><testcase classname="c" name="bad"><failure message="no"/></testcase>
<testcase classname="c" name="later"><skipped/></testcase>
</testsuite></testsuites>`;

test('runner "command": argv with {workers}, exit codes, signals and a JUnit file the command writes', async () => {
  const dir = makeProject({ 'results.xml.template': JUNIT });
  const node = process.execPath;
  writeConfig(dir, {
    runner: 'command',
    chunks: [
      { name: 'ok', command: [node, '-e', 'console.log("workers=" + process.argv[1])', '{workers}'], workers: 3 },
      {
        name: 'junit',
        command: [node, '-e', 'require("fs").copyFileSync("results.xml.template", "out/results.xml"); process.exit(1)'],
        junit: 'out/results.xml',
      },
      { name: 'segfault', command: [node, '-e', 'process.kill(process.pid, "SIGSEGV")'] },
      { name: 'oom137', command: ['sh', '-c', 'exit 137'] },
      { name: 'missing', command: ['/no/such/program', '--flag'] },
    ],
  });
  mkdirSync(`${dir}/out`);
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const report = readReport(dir);
  assert.deepEqual(
    report.chunks.map((chunk) => [chunk.name, chunk.status]),
    [
      ['ok', 'passed'],
      ['junit', 'failed'],
      ['segfault', 'crashed'],
      ['oom137', 'killed'],
      ['missing', 'error'],
    ],
  );
  assert.match(result.stdout, /workers=3/);
  assert.deepEqual(chunkOf(report, 'ok').command.at(-1), '3');
  assert.deepEqual(chunkOf(report, 'junit').tests, { total: 3, passed: 1, failed: 1, skipped: 1, errors: 0, xfailed: 0, xpassed: 0 });
  assert.equal(chunkOf(report, 'segfault').signal, 'SIGSEGV');
  assert.equal(chunkOf(report, 'segfault').message, 'killed by signal SIGSEGV');
  assert.equal(chunkOf(report, 'oom137').exitCode, 137);
  assert.match(chunkOf(report, 'oom137').message, /^exited with code 137 \(a process of it was killed by SIGKILL\) from outside run-chunks; no OOM evidence for this chunk/);
  assert.match(chunkOf(report, 'missing').message, /could not start "\/no\/such\/program": no such program/);
  assertNoLeftovers(result.tag);
});

test('arguments with shell metacharacters run nothing extra: commands are argv arrays', async () => {
  const dir = makeProject({});
  writeConfig(dir, {
    runner: 'command',
    chunks: [{ name: 'safe', command: [process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '$(touch pwned)', '`touch pwned`', 'a;touch pwned'] }],
  });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.ok(result.stdout.includes('["$(touch pwned)","`touch pwned`","a;touch pwned"]'), result.stdout);
  assert.equal(existsSync(`${dir}/pwned`), false);
});

// Each chunk waits until it sees the other's file: the pair only finishes if both run at once.
const waitForOther = (me: string, other: string): string[] => [
  process.execPath,
  '-e',
  `const fs=require("fs");fs.writeFileSync("${me}","");const t=Date.now();` +
    `while(!fs.existsSync("${other}")){if(Date.now()-t>20000)process.exit(9);Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,20)}` +
    `console.log("${me} saw ${other}")`,
];

test('--parallel-chunks 2 runs two chunks at once and prefixes their output lines', async () => {
  const dir = makeProject({});
  writeConfig(dir, {
    runner: 'command',
    chunks: [
      { name: 'left', command: waitForOther('left.flag', 'right.flag') },
      { name: 'right', command: waitForOther('right.flag', 'left.flag') },
    ],
  });
  const result = await runCli(['--parallel-chunks', '2'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^left {2}│ left\.flag saw right\.flag$/m);
  assert.match(result.stdout, /^right │ right\.flag saw left\.flag$/m);
  assert.equal(readReport(dir).parallelChunks, 2);
  assertNoLeftovers(result.tag);
});

test('--memory-budget running chunks together prefixes their output lines, and the banner says how they run', async () => {
  const dir = makeProject({});
  writeConfig(dir, {
    runner: 'command',
    chunks: [
      { name: 'left', command: waitForOther('left.flag', 'right.flag'), memoryEstimate: '10MB' },
      { name: 'right', command: waitForOther('right.flag', 'left.flag'), memoryEstimate: '10MB' },
    ],
  });
  const result = await runCli(['--memory-budget', '1GB'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^run-chunks: 2 chunks, together while their forecast peaks fit the memory budget of 1 GB$/m);
  assert.doesNotMatch(result.stdout, /one at a time/);
  assert.match(result.stdout, /^left {2}│ left\.flag saw right\.flag$/m);
  assert.match(result.stdout, /^right │ right\.flag saw left\.flag$/m);
  const dryRun = await runCli(['--dry-run', '--memory-budget', '1GB'], { cwd: dir });
  assert.match(dryRun.stdout, /^Dry run: 2 chunks would run together while their forecast peaks fit the memory budget of 1 GB; nothing was started\.$/m);
  assertNoLeftovers(result.tag);
});
