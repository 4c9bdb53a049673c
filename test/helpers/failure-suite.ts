// A tiny pytest suite whose tests fail in known places, for checking where GitHub annotations
// point: the line numbers below are the files' own (1-based), as the annotations must name them.

/** The suite's files (path → content), with a pytest.ini making the project folder pytest's rootdir. */
export const FAILURE_SUITE_FILES: Record<string, string> = {
  'pytest.ini': '[pytest]\n',
  'tests/helpers.py': ['def check_positive(number):', '    assert number > 0, "not positive"', ''].join('\n'),
  'tests/test_where.py': [
    'import json', // 1
    '', // 2
    'import pytest', // 3
    '', // 4
    'from helpers import check_positive', // 5
    '', // 6
    '', // 7
    '@pytest.fixture', // 8
    'def broken_setup():', // 9
    '    raise RuntimeError("cannot set up")', // 10
    '', // 11
    '', // 12
    'def test_assert():', // 13
    '    values = [1, 2]', // 14
    '    assert values == [1, 3], "values differ"', // 15
    '', // 16
    '', // 17
    'def test_in_helper():', // 18
    '    check_positive(-1)', // 19
    '', // 20
    '', // 21
    'def test_in_setup(broken_setup):', // 22
    '    pass', // 23
    '', // 24
    '', // 25
    'def nest(depth):', // 26
    '    return json.loads("{") if depth == 0 else nest(depth - 1)', // 27
    '', // 28
    '', // 29
    'def test_deep_in_the_library():', // 30
    '    # 30 frames of nest(): a traceback of several KB, the exception at its end.', // 31
    '    nest(30)', // 32
    '',
  ].join('\n'),
};

/** Where each test is defined and where it failed (tests/test_where.py lines), and how its message starts. */
export const FAILURE_SUITE_EXPECTED = [
  { name: 'test_assert', outcome: 'failed', defined: 13, failed: 15, messageStart: 'AssertionError: values differ\nassert [1, 2] == [1, 3]' },
  { name: 'test_in_helper', outcome: 'failed', defined: 18, failed: 19, messageStart: 'AssertionError: not positive' },
  { name: 'test_in_setup', outcome: 'error', defined: 22, failed: 10, messageStart: 'RuntimeError: cannot set up' },
  // The exception is raised in the json module; the innermost frame in the test's file is nest()'s.
  { name: 'test_deep_in_the_library', outcome: 'failed', defined: 30, failed: 27, messageStart: 'json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes' },
] as const;

/** A GitHub workflow command line split into its parts, GitHub's escaping undone. */
export function parseWorkflowCommand(line: string): { level: string; properties: Record<string, string>; message: string } | undefined {
  const match = /^::(error|warning) ([^:]*)::(.*)$/.exec(line);
  if (!match) return undefined;
  const unescape = (text: string): string =>
    text.replaceAll('%2C', ',').replaceAll('%3A', ':').replaceAll('%0A', '\n').replaceAll('%0D', '\r').replaceAll('%25', '%');
  const properties = Object.fromEntries(
    match[2]!.split(',').map((pair) => {
      const [key, value] = pair.split('=', 2) as [string, string];
      return [key, unescape(value)];
    }),
  );
  return { level: match[1]!, properties, message: unescape(match[3]!) };
}

/** The workflow commands in a CLI's stdout, by the test node id their title ends with. */
export function annotationsByTest(stdout: string): Map<string, NonNullable<ReturnType<typeof parseWorkflowCommand>>> {
  const found = new Map<string, NonNullable<ReturnType<typeof parseWorkflowCommand>>>();
  for (const line of stdout.split('\n')) {
    const command = parseWorkflowCommand(line);
    const nodeid = command?.properties.title?.split(': ').at(-1);
    if (command && nodeid) found.set(nodeid, command);
  }
  return found;
}
