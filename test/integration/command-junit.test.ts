import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { assertNoLeftovers, chunkOf, makeProject, readReport, runCli, writeConfig } from '../helpers/cli.js';

// A command chunk's JUnit file must reach the report dir and the run's junit.xml, as a pytest
// chunk's does: CI uploads the report dir, and a JUnit left in the project tree is lost there.

const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string> = {}): string {
  const dir = makeProject(files);
  projects.push(dir);
  return dir;
}

/** A node script that writes a JUnit file of `passed` passing and `failed` failing tests to argv[1], then exits `exitCode`. */
function writeJunitCommand(passed: number, failed: number, exitCode: number, target = '{junit}'): string[] {
  const script =
    'const cases=[];' +
    `for(let i=0;i<${passed};i++)cases.push('<testcase classname="suite.Ok" name="test_'+i+'" time="0.01"/>');` +
    `for(let i=0;i<${failed};i++)cases.push('<testcase classname="suite.Bad" name="test_'+i+'"><failure message="no">trace</failure></testcase>');` +
    `require("fs").writeFileSync(process.argv[1],'<?xml version="1.0"?><testsuite name="own" tests="'+cases.length+'">'+cases.join("")+'</testsuite>');` +
    `process.exit(${exitCode})`;
  return [process.execPath, '-e', script, target];
}

const xmlParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' });

/** The testcases of each suite of a JUnit document, by suite name. */
function casesBySuite(file: string): Map<string, number> {
  const document = xmlParser.parse(readFileSync(file, 'utf8')) as { testsuites: { testsuite: { name: string; testcase?: unknown[] }[] } };
  return new Map(document.testsuites.testsuite.map((suite) => [suite.name, suite.testcase?.length ?? 0]));
}

test('command chunks: the JUnit file ({junit} or "junit") lands in the report dir, in the run\'s junit.xml, and survives merge', async () => {
  const dir = project();
  mkdirSync(path.join(dir, 'out'));
  writeConfig(dir, {
    runner: 'command',
    chunks: [
      { name: 'placeholder', command: writeJunitCommand(744, 0, 0) },
      { name: 'own-path', command: writeJunitCommand(2, 1, 1, 'out/results.xml'), junit: 'out/results.xml' },
      { name: 'none', command: [process.execPath, '-e', '0'] },
    ],
  });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 1, result.stdout + result.stderr);
  const reportDir = path.join(dir, '.run-chunks', 'report');
  const report = readReport(dir);
  const placeholder = chunkOf(report, 'placeholder');
  const ownPath = chunkOf(report, 'own-path');
  assert.equal(placeholder.status, 'passed');
  assert.deepEqual(placeholder.tests, { total: 744, passed: 744, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
  assert.equal(placeholder.command.at(-1), path.join(reportDir, 'placeholder', 'junit.xml'));
  assert.equal(ownPath.status, 'failed');
  assert.deepEqual(ownPath.tests, { total: 3, passed: 2, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 });
  // The chunk's own file, and the copy in its report folder that report.json names.
  assert.equal(placeholder.junitFile, path.join(reportDir, 'placeholder', 'junit.xml'));
  assert.equal(ownPath.junitFile, path.join(reportDir, 'own-path', 'junit.xml'));
  assert.equal(readFileSync(ownPath.junitFile!, 'utf8'), readFileSync(path.join(dir, 'out', 'results.xml'), 'utf8'));
  assert.equal(chunkOf(report, 'none').junitFile, null);
  assert.deepEqual(chunkOf(report, 'none').warnings, []);

  const merged = casesBySuite(path.join(reportDir, 'junit.xml'));
  assert.deepEqual([...merged], [['placeholder', 744], ['own-path', 3], ['none', 0]]);
  for (const chunk of report.chunks) assert.equal(merged.get(chunk.name), chunk.tests?.total ?? 0, chunk.name);

  // The command's failure message and text come through as pytest's do.
  assert.match(readFileSync(path.join(reportDir, 'junit.xml'), 'utf8'), /<failure message="no">trace<\/failure>/);

  const mergeRun = await runCli(['merge', reportDir, '--report-dir', 'merged'], { cwd: dir });
  assert.equal(mergeRun.exitCode, 1, mergeRun.stdout + mergeRun.stderr);
  assert.deepEqual([...casesBySuite(path.join(dir, 'merged', 'junit.xml'))], [...merged]);
  assertNoLeftovers(result.tag);
});

test('a command chunk that exits 0 without its JUnit file: required is an error (exit 3), optional a warning (exit 0)', async () => {
  const dir = project();
  mkdirSync(path.join(dir, 'out'));
  // A leftover from an earlier run is no evidence for this one.
  writeFileSync(path.join(dir, 'out', 'old.xml'), '<testsuite name="old"><testcase classname="a" name="b"/></testsuite>');
  utimesSync(path.join(dir, 'out', 'old.xml'), new Date('2020-01-01'), new Date('2020-01-01'));
  const silent = [process.execPath, '-e', '0'];
  writeConfig(dir, {
    runner: 'command',
    chunks: [
      { name: 'required-placeholder', command: [...silent, '{junit}'] },
      { name: 'required-stale', command: silent, junit: 'out/old.xml' },
      { name: 'optional', command: silent, junit: 'out/never.xml', required: false },
    ],
  });
  const both = await runCli([], { cwd: dir });
  assert.equal(both.exitCode, 3, both.stdout + both.stderr);
  const report = readReport(dir);
  const reportDir = path.join(dir, '.run-chunks', 'report');
  const placeholder = chunkOf(report, 'required-placeholder');
  assert.equal(placeholder.status, 'error');
  assert.match(placeholder.message, new RegExp(`its JUnit file ${path.join(reportDir, 'required-placeholder', 'junit.xml').replaceAll('.', '\\.')} does not exist`));
  assert.equal(placeholder.junitFile, null);
  const stale = chunkOf(report, 'required-stale');
  assert.equal(stale.status, 'error');
  assert.match(stale.message, /out\/old\.xml was not written during this run \(last modified 2020-01-01/);
  assert.equal(stale.tests, null);
  const optional = chunkOf(report, 'optional');
  assert.equal(optional.status, 'passed');
  assert.equal(optional.warnings.length, 1);
  assert.match(optional.warnings[0]!, /exited 0, but its JUnit file .*out\/never\.xml does not exist/);
  // In the summary at the end, not only while it ran.
  assert.match(both.stdout, /^optional: warning: exited 0, but its JUnit file .*never\.xml does not exist/m);

  const optionalOnly = await runCli(['--chunk', 'optional'], { cwd: dir });
  assert.equal(optionalOnly.exitCode, 0, optionalOnly.stdout + optionalOnly.stderr);
  assert.equal(chunkOf(readReport(dir), 'optional').status, 'passed');
  assertNoLeftovers(both.tag);
  assertNoLeftovers(optionalOnly.tag);
});

test('a FIFO or a folder at a command chunk\'s JUnit path is refused unread, never waited on', { timeout: 60_000 }, async () => {
  const dir = project();
  mkdirSync(path.join(dir, 'out', 'folder.xml'), { recursive: true });
  execFileSync('mkfifo', [path.join(dir, 'out', 'pipe.xml')]);
  // The command touches the FIFO's mtime (as a writer would) without opening it.
  const touch = (file: string): string[] => [process.execPath, '-e', `const fs=require("fs");const now=new Date();fs.utimesSync(${JSON.stringify(file)},now,now)`];
  writeConfig(dir, {
    runner: 'command',
    chunks: [
      { name: 'fifo', command: touch('out/pipe.xml'), junit: 'out/pipe.xml' },
      { name: 'folder', command: touch('out/folder.xml'), junit: 'out/folder.xml' },
    ],
  });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  const report = readReport(dir);
  assert.match(chunkOf(report, 'fifo').message, /pipe\.xml is a named pipe \(FIFO\), not a file, so it was not read/);
  assert.match(chunkOf(report, 'folder').message, /folder\.xml is a folder, not a file, so it was not read/);
  assert.equal(existsSync(path.join(dir, '.run-chunks', 'report', 'fifo', 'junit.xml')), false);
  assertNoLeftovers(result.tag);
});
