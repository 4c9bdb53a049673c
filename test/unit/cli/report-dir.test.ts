import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkReportDir, describeLostReport, exitCodeWithLostReport } from '../../../src/cli/report-dir.js';
import { ReportWriteError } from '../../../src/reporters/write-report-file.js';
import { UserError } from '../../../src/util/user-error.js';
import { runReport } from '../ci/ci-fixtures.js';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'run-chunks-report-dir-'));
}

function errnoError(code: string, words: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${words}, write`), { code });
}

test('checkReportDir creates the dir and leaves no probe file in it', () => {
  const dir = path.join(tempDir(), 'a', 'report');
  checkReportDir(dir);
  assert.deepEqual(readdirSync(dir), []);
});

test('an unwritable report dir is a UserError (exit 2) naming the dir, the OS reason and --report-dir', () => {
  const parent = tempDir();
  writeFileSync(path.join(parent, 'a-file'), '');
  const dir = path.join(parent, 'a-file', 'report');
  assert.throws(
    () => checkReportDir(dir),
    (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.exitCode, 2);
      assert.ok(error.message.startsWith(`Cannot write to the report dir ${dir}: not a directory (ENOTDIR). Nothing ran`), error.message);
      assert.match(error.message, /--report-dir/);
      return true;
    },
  );
  assert.deepEqual(readdirSync(parent), ['a-file']);
});

test('a lost report exits 3 whatever the chunks did, except an interrupted run, which keeps 130', () => {
  assert.deepEqual([0, 1, 3, 130].map(exitCodeWithLostReport), [3, 3, 3, 130]);
});

test('the lost-report error names every file with its reason, the run verdict and the fix', () => {
  const report = runReport([], { reportDir: '/r' });
  const full = [new ReportWriteError('/r/report.json', errnoError('ENOSPC', 'no space left on device')), new ReportWriteError('/r/report.html', errnoError('ENOSPC', 'no space left on device'))];
  const text = describeLostReport(full, report);
  assert.ok(text.startsWith('Could not write the report: /r/report.json: no space left on device (ENOSPC); /r/report.html: no space left on device (ENOSPC). '), text);
  assert.match(text, /run status "passed", exit code 0\), but these files are missing or still hold what this run wrote at its start \(report.json: status "running"; report.html: a page saying the run has not finished\), so run-chunks exits with 3\./);
  assert.match(text, /Free space on that disk .*--report-dir.*\/r holds its output/);
  const limited = describeLostReport([new ReportWriteError('/r/report.json', errnoError('EFBIG', 'file too large'))], report);
  assert.match(limited, /that file is missing or still holds .*Raise the file-size limit \(ulimit -f\)/);
  assert.doesNotMatch(limited, /\n/);
});
