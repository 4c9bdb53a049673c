import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chalk } from 'chalk';
import { formatProgressLine, type ChunkLiveState } from '../../../src/reporters/progress-line.js';

const colour = new Chalk({ level: 1 });
const columnsOf = (line: string): number => line.replace(/\u001b\[[0-9;]*m/g, '').length;

function state(name: string, running: string[], gpuBytes: number | null = 12 * 1024 ** 3): ChunkLiveState {
  return {
    name,
    startedAtMs: 0,
    attempt: 1,
    progress: { collected: 12345, done: 1234, passed: 1200, failed: 34, running } as ChunkLiveState['progress'],
    rssBytes: 3.5 * 1024 ** 3,
    gpuBytes,
  };
}

const LONG_TEST = 'tests/integration/test_a_rather_long_module_name.py::TestSomething::test_with_params[case-17-large]';

test('a live line fits the width: the test name is cut, then the bar goes, then the test', () => {
  for (const width of [200, 118, 78, 60, 40]) {
    const line = formatProgressLine(state('integration', [LONG_TEST, 'other']), 65_000, colour, width, true);
    assert.ok(columnsOf(line) <= width, `${width}: ${columnsOf(line)} columns: ${line}`);
  }
  const wide = formatProgressLine(state('integration', [LONG_TEST]), 65_000, colour, 200, true);
  assert.ok(wide.includes(LONG_TEST), wide);
  assert.match(wide, /█|░/);
  // 80 columns less the footer's "▶ ": the bar makes room for the (cut) test name.
  const narrow = formatProgressLine(state('integration', [LONG_TEST], null), 65_000, colour, 78, true);
  assert.match(narrow, /…\S*\[case-17-large\]/);
  assert.doesNotMatch(narrow, /█|░/);
  const tight = formatProgressLine(state('integration', [LONG_TEST], null), 65_000, colour, 60, true);
  assert.doesNotMatch(tight, /█|░|case-17/);
  assert.match(tight, /RSS 3\.5 GiB$/);
});

test('a chunk name longer than the terminal is cut too', () => {
  const line = formatProgressLine(state('x'.repeat(120), []), 0, colour, 78, true);
  assert.equal(columnsOf(line), 78);
  assert.match(line, /…$/);
});
