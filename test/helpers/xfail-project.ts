// A tiny pytest suite with one test of each of pytest's outcomes (xfail and xpass included), and
// a run-chunks config that runs it as one chunk: shared by test/integration/xfail-counts.test.ts
// and test/faults/xfail-count-faults.test.ts.
import { spawnSync } from 'node:child_process';
import { makeProject, VENV_PYTHON, writeConfig } from './cli.js';

const SUITE = `import pytest

def test_passes():
    pass

def test_passes_too():
    pass

def test_fails():
    assert 1 == 2

@pytest.mark.skip(reason="not here")
def test_skipped():
    pass

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    raise ValueError("still broken")

@pytest.mark.xfail(reason="known too")
def test_xfail_too():
    assert False

@pytest.mark.xfail(reason="maybe fixed")
def test_xpass():
    pass

@pytest.mark.xfail(reason="fixed already", strict=True)
def test_xpass_strict():
    pass
`;

/** A temp project holding the suite (tests/test_outcomes.py) and a config with one chunk, 'all', of it; returns its folder. */
export function makeXfailProject(): string {
  const dir = makeProject({ 'tests/test_outcomes.py': SUITE, 'pytest.ini': '[pytest]\n' });
  writeConfig(dir, { python: VENV_PYTHON, testPaths: ['tests'], chunks: [{ name: 'all', paths: ['tests'] }] });
  return dir;
}

/** pytest's own counts for the suite, read from the summary line of pytest run directly ("1 failed, 3 passed, ... in 0.05s"). */
export function pytestSummaryCounts(dir: string): { line: string; counts: Record<string, number> } {
  const run = spawnSync(VENV_PYTHON, ['-m', 'pytest', '-p', 'no:cacheprovider', '-p', 'no:randomly', 'tests'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  const counts: Record<string, number> = {};
  for (const [, count, word] of line.matchAll(/(\d+) (passed|failed|skipped|xfailed|xpassed|errors?)\b/g)) counts[word!.startsWith('error') ? 'errors' : word!] = Number(count);
  return { line, counts };
}
