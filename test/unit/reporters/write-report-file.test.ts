import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ReportWriteError, writeReportFile } from '../../../src/reporters/write-report-file.js';
import { describeFsError } from '../../../src/util/describe-fs-error.js';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'run-chunks-write-report-'));
}

test('writeReportFile creates the folder, replaces an earlier file whole and leaves no temp file', async () => {
  const dir = path.join(tempDir(), 'deep', 'report');
  const file = path.join(dir, 'report.json');
  await writeReportFile(file, 'first\n');
  await writeReportFile(file, 'second, longer\n');
  assert.equal(readFileSync(file, 'utf8'), 'second, longer\n');
  assert.deepEqual(readdirSync(dir), ['report.json']);
});

test('a failed write throws a ReportWriteError naming the file, and removes its temp file', async () => {
  const dir = tempDir();
  // A folder where the file should be: the temp file is written, the rename fails (as root too).
  const file = path.join(dir, 'report.json');
  mkdirSync(file);
  await assert.rejects(writeReportFile(file, '{}'), (error: unknown) => {
    assert.ok(error instanceof ReportWriteError);
    assert.equal(error.file, file);
    assert.equal(error.code, 'EISDIR');
    assert.equal(error.reason, 'illegal operation on a directory (EISDIR)');
    assert.equal(error.message, `could not write ${file}: illegal operation on a directory (EISDIR)`);
    return true;
  });
  assert.deepEqual(readdirSync(dir), ['report.json']);
});

test('describeFsError keeps the words of a Node fs error and its code, without the path', () => {
  const error = Object.assign(new Error("ENOSPC: no space left on device, write '/x/report.json'"), { code: 'ENOSPC' });
  assert.equal(describeFsError(error), 'no space left on device (ENOSPC)');
  assert.equal(describeFsError(new Error('something else')), 'something else');
  assert.equal(describeFsError('text'), 'text');
});
