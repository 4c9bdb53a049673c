import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { chunkOf, makeProject, readReport, runCli, writeConfig } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase } from '../helpers/fault-case.js';

// A command chunk's tests are known only from the JUnit file it writes. CI uploads the report
// dir, so that file must be there, and in the run's junit.xml; a command that exits 0 and writes
// none has proved nothing and must not read as a green chunk.

const CASE_TIMEOUT_MS = 60_000;

const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

function project(config: unknown): string {
  const dir = makeProject({});
  projects.push(dir);
  mkdirSync(path.join(dir, 'out'));
  writeConfig(dir, config);
  return dir;
}

const xmlParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' });

/** Testcases of the named suite in a JUnit document (0 when it has no such suite). */
function countCases(file: string, suite: string): number {
  type Suite = { name: string; testcase?: unknown[] };
  // The run's junit.xml has a <testsuites> root; a command's own file may be a bare <testsuite>.
  const document = xmlParser.parse(readFileSync(file, 'utf8')) as { testsuites?: { testsuite: Suite[] }; testsuite?: Suite[] };
  const suites = document.testsuites?.testsuite ?? document.testsuite ?? [];
  return suites.find((candidate) => candidate.name === suite)?.testcase?.length ?? 0;
}

faultCase('report', 'a command chunk exits 0 without writing the JUnit file its config names', async (r) => {
  const dir = project({ runner: 'command', chunks: [{ name: 'silent', command: [process.execPath, '-e', 'process.exit(0)'], junit: 'out/results.xml' }] });
  const result = await runCli([], { cwd: dir });
  const chunk = chunkOf(readReport(dir), 'silent');
  r.outcomeOf(result.exitCode, chunk.status);
  r.did(`${chunk.status}: ${chunk.message.slice(0, 90)}…`);
  assert.equal(chunk.status, 'error', chunk.message);
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  r.held('a required chunk without its JUnit file is an error (exit 3), not passed');
  assert.ok(chunk.message.includes(`${path.join(dir, 'out', 'results.xml')} does not exist`), chunk.message);
  r.held('the message names the missing path');
  assert.match(result.stdout, /^silent: error: the command exited 0, but its JUnit file .*results\.xml does not exist/m);
  r.held('the summary says so under the table');
  checkNoLeftovers(r, result.tag);
}, { timeout: CASE_TIMEOUT_MS });

faultCase('report', "a command chunk's JUnit file is lost with the project tree (CI uploads only the report dir)", async (r) => {
  const script =
    'const cases=[];for(let i=0;i<40;i++)cases.push(\'<testcase classname="e2e.Flow" name="t\'+i+\'"/>\');' +
    'require("fs").writeFileSync("out/results.xml","<testsuite name=\\"e2e\\">"+cases.join("")+"</testsuite>")';
  const dir = project({ runner: 'command', chunks: [{ name: 'e2e', command: [process.execPath, '-e', script], junit: 'out/results.xml' }] });
  const result = await runCli([], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  // What a CI job uploads, on another machine where the project tree is gone.
  const uploaded = path.join(dir, 'artifact');
  cpSync(path.join(dir, '.run-chunks', 'report'), uploaded, { recursive: true });
  rmSync(path.join(dir, 'out'), { recursive: true });
  rmSync(path.join(dir, '.run-chunks'), { recursive: true });
  const report = readReport(dir, 'artifact');
  const chunk = chunkOf(report, 'e2e');
  r.outcomeOf(result.exitCode, chunk.status);
  assert.equal(chunk.tests?.total, 40);
  const inRun = countCases(path.join(uploaded, 'junit.xml'), 'e2e');
  r.did(`report.json: ${chunk.tests?.total} tests; the run's junit.xml: ${inRun} testcases`);
  assert.equal(inRun, 40);
  r.held("the run's junit.xml holds as many testcases as report.json counts");
  assert.equal(countCases(path.join(uploaded, 'e2e', 'junit.xml'), 'e2e'), 40);
  r.held('the chunk\'s own JUnit file is in <report-dir>/e2e/junit.xml');
  const merged = await runCli(['merge', 'artifact', '--report-dir', 'merged'], { cwd: dir });
  assert.equal(merged.exitCode, 0, merged.stdout + merged.stderr);
  assert.equal(countCases(path.join(dir, 'merged', 'junit.xml'), 'e2e'), 40);
  r.held('run-chunks merge of the uploaded dir keeps the 40 testcases');
  checkNoLeftovers(r, result.tag);
}, { timeout: CASE_TIMEOUT_MS });
