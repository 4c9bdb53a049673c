import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMarkerList } from '../../../src/init/parse-marker-list.js';

// pytest 9's own output for a project with two registered markers (one without a description), abridged.
const PYTEST_OUTPUT = [
  '@pytest.mark.unit: isolated unit tests',
  '',
  '@pytest.mark.bare:',
  '',
  '@pytest.mark.filterwarnings(warning): add a warning filter to the given test. see https://docs.pytest.org/en/stable/how-to/capture-warnings.html#pytest-mark-filterwarnings ',
  '',
  '@pytest.mark.skip(reason=None): skip the given test function with an optional reason. Example: skip(reason="no way of currently testing this") skips the test.',
  '',
  "@pytest.mark.skipif(condition, ..., *, reason=...): skip the given test function if any of the conditions evaluate to True. Example: skipif(sys.platform == 'win32') skips the test if we are on the win32 platform.",
  '',
  '@pytest.mark.xdist_group: specify group for tests should run in same session.in relation to one another. Provided by pytest-xdist.',
  '',
].join('\n');

test('each @pytest.mark line gives a name, its signature and its description, in pytest\'s order', () => {
  assert.deepEqual(parseMarkerList(PYTEST_OUTPUT), [
    { name: 'unit', args: '', description: 'isolated unit tests' },
    { name: 'bare', args: '', description: '' },
    { name: 'filterwarnings', args: '(warning)', description: 'add a warning filter to the given test. see https://docs.pytest.org/en/stable/how-to/capture-warnings.html#pytest-mark-filterwarnings' },
    { name: 'skip', args: '(reason=None)', description: 'skip the given test function with an optional reason. Example: skip(reason="no way of currently testing this") skips the test.' },
    { name: 'skipif', args: '(condition, ..., *, reason=...)', description: "skip the given test function if any of the conditions evaluate to True. Example: skipif(sys.platform == 'win32') skips the test if we are on the win32 platform." },
    { name: 'xdist_group', args: '', description: 'specify group for tests should run in same session.in relation to one another. Provided by pytest-xdist.' },
  ]);
});

test('the first colon ends the name, as pytest splits a registered line; later colons belong to the description', () => {
  assert.deepEqual(parseMarkerList('@pytest.mark.slow: takes long: minutes, not seconds'), [{ name: 'slow', args: '', description: 'takes long: minutes, not seconds' }]);
});

test('colour codes (PY_COLORS=1), CRLF line ends and a marker registered twice are taken in their stride', () => {
  const output = '\u001b[1m@pytest.mark.unit:\u001b[0m fast tests\r\n\r\n@pytest.mark.unit: again\r\n@pytest.mark.gpu: needs a GPU\r\n';
  assert.deepEqual(parseMarkerList(output), [
    { name: 'unit', args: '', description: 'fast tests' },
    { name: 'gpu', args: '', description: 'needs a GPU' },
  ]);
});

test('lines that are not marker lines are ignored: warnings, blank lines, an indented mention', () => {
  const output = 'PytestConfigWarning: something\n  @pytest.mark.indented: not at the start\n@pytest.mark.unit fast (no colon)\n@pytest.mark.real: yes\n';
  assert.deepEqual(parseMarkerList(output).map((marker) => marker.name), ['real']);
  assert.deepEqual(parseMarkerList(''), []);
});
