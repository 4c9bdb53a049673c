import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { relativeHref, resolveFileRefs } from '../../../src/html/file-links.js';
import { renderChunkSection } from '../../../src/html/chunk-section.js';
import { chunkData } from './html-fixtures.js';

test('relativeHref: a file inside the page folder gets a relative URL with each segment percent-encoded', () => {
  assert.equal(relativeHref('/r/report', '/r/report/unit/output.log'), 'unit/output.log');
  assert.equal(relativeHref('/r/report/', '/r/report/a#b/50% c.log'), 'a%23b/50%25%20c.log');
  assert.equal(relativeHref('/r/report', '/r/report/..hidden/x.log'), '..hidden/x.log');
  assert.equal(relativeHref('/r/report', '/r/report/unit/attempt-2/../output.log'), 'unit/output.log');
});

test('relativeHref: nothing outside the page folder (the link would leave an uploaded folder), nor the folder itself', () => {
  assert.equal(relativeHref('/r/report', '/r/project/junit.xml'), undefined);
  assert.equal(relativeHref('/r/report', '/r/report-other/x.log'), undefined);
  assert.equal(relativeHref('/r/report', '/r'), undefined);
  assert.equal(relativeHref('/r/report', '/r/report'), undefined);
});

test('resolveFileRefs: links files that exist inside the folder; names the others with why', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'run-chunks-file-links-'));
  const reportDir = path.join(root, 'report');
  mkdirSync(path.join(reportDir, 'unit'), { recursive: true });
  writeFileSync(path.join(reportDir, 'unit', 'output.log'), 'log\n');
  writeFileSync(path.join(root, 'outside.xml'), '<testsuite/>');
  const refs = await resolveFileRefs(reportDir, [path.join(reportDir, 'unit', 'output.log'), path.join(reportDir, 'unit', 'junit.xml'), path.join(root, 'outside.xml')]);
  assert.deepEqual(refs.get(path.join(reportDir, 'unit', 'output.log')), { kind: 'link', href: 'unit/output.log', shown: path.join('unit', 'output.log') });
  assert.deepEqual(refs.get(path.join(reportDir, 'unit', 'junit.xml')), { kind: 'text', why: 'not there when this page was written' });
  assert.match(JSON.stringify(refs.get(path.join(root, 'outside.xml'))), /outside the report's folder/);
});

test("a chunk's section links its log and JUnit relatively, and names a file it cannot link with the reason", () => {
  const data = chunkData('unit', { logFile: '/r/report/unit/output.log', junitFile: '/elsewhere/junit.xml' }, {
    fileRefs: new Map([
      ['/r/report/unit/output.log', { kind: 'link', href: 'unit/output.log', shown: 'unit/output.log' }],
      ['/elsewhere/junit.xml', { kind: 'text', why: "outside the report's folder, so not linked" }],
    ]),
  });
  const section = renderChunkSection(data, 0).text;
  assert.match(section, /Log: <a href="unit\/output\.log" title="\/r\/report\/unit\/output\.log"><code>unit\/output\.log<\/code><\/a>/);
  assert.match(section, /JUnit: <code>\/elsewhere\/junit\.xml<\/code> <span class="muted">\(outside the report&#39;s folder, so not linked\)<\/span>/);
  assert.doesNotMatch(section, /href="\//);
});
