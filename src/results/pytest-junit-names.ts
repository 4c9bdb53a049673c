/** The classname and name attributes pytest's junitxml writes for one test. */
export interface JunitNames {
  classname: string;
  name: string;
}

/**
 * Maps a pytest node id to JUnit names exactly as pytest's `mangle_test_address` does (checked
 * against pytest 9.1's --junitxml output): everything from the first "[" on is the parametrization
 * and stays in the name untouched (dots, slashes and "::" included); the rest splits on "::"; in
 * the file part "/" becomes "." and a trailing ".py" goes; the last part is the name and the others
 * joined by "." are the classname. "tests/a/test_x.py::TestC::test_y[p/1]" gives classname
 * "tests.a.test_x.TestC", name "test_y[p/1]"; a node id without "::" gives classname "".
 */
export function junitNamesFromNodeid(nodeid: string): JunitNames {
  const bracketIndex = nodeid.indexOf('[');
  const path = bracketIndex === -1 ? nodeid : nodeid.slice(0, bracketIndex);
  const params = bracketIndex === -1 ? '' : nodeid.slice(bracketIndex);
  const [file = '', ...rest] = path.split('::');
  // pytest node ids always use "/" (nodes.SEP), on Windows too, so "\" is left alone like pytest does.
  const parts = [file.replaceAll('/', '.').replace(/\.py$/, ''), ...rest];
  const name = parts.pop() ?? '';
  return { classname: parts.join('.'), name: name + params };
}
