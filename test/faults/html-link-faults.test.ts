import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { chunkOf, makeSuiteProject, readReport, runCli } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase } from '../helpers/fault-case.js';

// A CI job uploads the report dir; whoever downloads it opens report.html somewhere else. Links
// that held the runner's absolute paths opened nothing there.

const CASE_TIMEOUT_MS = 120_000;
const folders: string[] = [];
after(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** The href of every link in a page that points at a file (not a #fragment), HTML-unescaped. */
function fileLinks(page: string): string[] {
  return [...page.matchAll(/<a href="([^"#][^"]*)"/g)].map((match) => match[1]!.replaceAll('&amp;', '&'));
}

faultCase(
  'report',
  'report.html opened after its report dir was moved elsewhere (a downloaded CI artifact): every log and JUnit link still opens its file',
  async (r) => {
    const { dir } = makeSuiteProject({ chunks: [{ name: 'first', markers: 'first' }, { name: 'failing', markers: 'failing' }] });
    folders.push(dir);
    const result = await runCli([], { cwd: dir });
    r.outcomeOf(result.exitCode, chunkOf(readReport(dir), 'failing').status);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    const report = readReport(dir);
    const downloaded = path.join(mkdtempSync(path.join(tmpdir(), 'run-chunks-artifact-')), 'report');
    folders.push(path.dirname(downloaded));
    renameSync(path.join(dir, '.run-chunks', 'report'), downloaded);
    r.did('the report dir was moved to another folder after the run, as a downloaded artifact is');
    const page = readFileSync(path.join(downloaded, 'report.html'), 'utf8');
    const links = fileLinks(page);
    for (const chunk of report.chunks) {
      for (const file of [chunk.logFile, chunk.junitFile]) {
        assert.ok(file !== null, `chunk ${chunk.name} has a JUnit file`);
        const relative = path.relative(path.join(dir, '.run-chunks', 'report'), file);
        assert.ok(links.includes(relative.split(path.sep).map(encodeURIComponent).join('/')), `${relative} is linked relatively: ${links.join(', ')}`);
      }
    }
    r.held("each chunk's output.log and junit.xml is linked by a relative href");
    for (const href of links) {
      assert.ok(!href.startsWith('/') && !href.includes(':'), `no absolute or file: link: ${href}`);
      const target = path.join(downloaded, ...href.split('/').map(decodeURIComponent));
      assert.ok(existsSync(target), `${href} opens a file in the moved folder`);
    }
    r.held(`all ${links.length} file links open their file from the moved folder`);
    checkNoLeftovers(r, result.tag);
  },
  { timeout: CASE_TIMEOUT_MS },
);
