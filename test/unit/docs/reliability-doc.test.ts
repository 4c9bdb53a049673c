import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../helpers/cli.js';
import type { FaultRecord } from '../../helpers/fault-case.js';

// scripts/reliability-doc.mjs renders docs/reliability.md from the fault suite's records, and every
// whole `npm test` compares the committed file with the cases that ran (compareWithDoc).

type Record = FaultRecord;
interface DocModule {
  renderReliability(records: Record[], machine: { date: string; description: string }): string;
  casesInDoc(markdown: string): string[];
  compareWithDoc(records: Record[], markdown: string): { added: string[]; removed: string[] };
  AREAS: [string, string][];
}
const doc = (await import(pathToFileURL(path.join(REPO_ROOT, 'scripts', 'reliability-doc.mjs')).href)) as DocModule;
const MACHINE = { date: '2026-12-02', description: 'a test machine' };

function record(area: FaultRecord['area'], fault: string, outcome: Record['outcome'] = 'held', failure: string | null = null): Record {
  return { area, fault, behaviour: ['status passed'], verified: ['no process of the run left'], status: 'passed', exitCode: 0, processesLeft: 0, outcome, failure };
}

test('casesInDoc reads back every rendered case, including names with |, \\ and < in them', () => {
  const records = [record('process', 'a plain case'), record('names', 'a chunk named "a|b" and a\\path <x>'), record('input', 'needs a mount', 'not-run', 'mount is not permitted')];
  const markdown = doc.renderReliability(records, MACHINE);
  assert.deepEqual(doc.compareWithDoc(records, markdown), { added: [], removed: [] });
  assert.equal(doc.casesInDoc(markdown).length, 3);
});

test('a case that could not run on the machine is listed, with the reason, and counted apart', () => {
  const markdown = doc.renderReliability([record('process', 'runs'), record('report', 'needs a mount', 'not-run', 'mount -t tmpfs is not permitted')], MACHINE);
  assert.match(markdown, /\| needs a mount \|.*\| not run here: mount -t tmpfs is not permitted \|/);
  assert.match(markdown, /1 of 2 cases held; 1 could not run on this machine/);
});

test('compareWithDoc names cases added, renamed or removed since the table was written', () => {
  const markdown = doc.renderReliability([record('process', 'kept'), record('process', 'old name'), record('gpu', 'removed case')], MACHINE);
  const now = [record('process', 'kept'), record('process', 'new name'), record('secrets', 'a new case')];
  const { added, removed } = doc.compareWithDoc(now, markdown);
  assert.deepEqual(added.sort(), ['Chunk processes that die, hang, crash or escape: new name', 'Secrets: a new case']);
  assert.deepEqual(removed.sort(), ['Chunk processes that die, hang, crash or escape: old name', 'nvidia-smi misbehaving: removed case']);
});

test('a case moved to another area counts as changed: the table groups by area', () => {
  const markdown = doc.renderReliability([record('process', 'the case')], MACHINE);
  const { added, removed } = doc.compareWithDoc([record('signals', 'the case')], markdown);
  assert.equal(added.length, 1);
  assert.equal(removed.length, 1);
});

test('the committed docs/reliability.md lists each case once, in known sections', () => {
  const markdown = readFileSync(path.join(REPO_ROOT, 'docs', 'reliability.md'), 'utf8');
  const cases = doc.casesInDoc(markdown);
  assert.ok(cases.length > 100, `only ${cases.length} cases read from docs/reliability.md`);
  assert.equal(new Set(cases).size, cases.length, 'a case is listed twice');
  const titles = new Set(doc.AREAS.map(([, title]) => title));
  for (const key of cases) assert.ok(titles.has(key.split('\t')[0]!), `section of "${key}" is no known area`);
});
