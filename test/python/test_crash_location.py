"""test-end's crash {path, line, message}: where a failed or errored test failed, from real pytest sessions (pytester)."""

import json
import os

from run_chunks_events.reports import relative_to_rootdir

PLUGIN_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "python")

# Line numbers below are the file's own (1-based): the asserts name them.
SUITE = """import json

import pytest

from helpers import check_positive


@pytest.fixture
def broken_here():
    raise RuntimeError("cannot set up")


def test_assert():
    values = [1, 2]
    assert values == [1, 3], "values differ"


def test_in_helper():
    check_positive(-1)


def test_in_library():
    json.loads("{")


def test_in_setup(broken_here):
    pass


def test_in_conftest_fixture(broken_in_conftest):
    pass


def test_passes():
    pass
"""

HELPERS = """def check_positive(number):
    assert number > 0, "not positive"
"""

CONFTEST = """import pytest


@pytest.fixture
def broken_in_conftest():
    raise OSError("no database")
"""


def run_crash_suite(pytester, monkeypatch, *args):
    events_file = pytester.path / "events.jsonl"
    monkeypatch.setenv("RUN_CHUNKS_EVENTS_FILE", str(events_file))
    monkeypatch.setenv("PYTHONPATH", os.path.abspath(PLUGIN_DIR))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    pytester.makeini("[pytest]\n")
    tests = pytester.path / "tests"
    tests.mkdir()
    (tests / "test_crash.py").write_text(SUITE)
    (tests / "helpers.py").write_text(HELPERS)
    (tests / "conftest.py").write_text(CONFTEST)
    result = pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider", *args)
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    return result, {event["nodeid"].split("::")[-1]: event for event in events if event["event"] == "test-end"}


def test_an_assert_in_the_test_points_at_its_line_with_the_whole_message(pytester, monkeypatch):
    result, ends = run_crash_suite(pytester, monkeypatch)
    result.assert_outcomes(passed=1, failed=3, errors=2)
    crash = ends["test_assert"]["crash"]
    assert (crash["path"], crash["line"]) == (os.path.join("tests", "test_crash.py"), 15)
    assert crash["message"].startswith("AssertionError: values differ\nassert [1, 2] == [1, 3]")
    # The test's definition stays in file/line.
    assert ends["test_assert"]["line"] == 13
    assert "crash" not in ends["test_passes"]


def test_a_failure_in_a_helper_or_a_library_points_at_the_tests_line_that_called_it(pytester, monkeypatch):
    _, ends = run_crash_suite(pytester, monkeypatch)
    helper = ends["test_in_helper"]["crash"]
    assert (helper["path"], helper["line"]) == (os.path.join("tests", "test_crash.py"), 19)
    assert helper["message"].startswith("AssertionError: not positive")
    library = ends["test_in_library"]["crash"]
    assert (library["path"], library["line"]) == (os.path.join("tests", "test_crash.py"), 23)
    assert library["message"].startswith("json.decoder.JSONDecodeError: Expecting property name")


def test_a_setup_error_points_at_the_fixtures_raise_in_the_test_file_or_in_conftest(pytester, monkeypatch):
    _, ends = run_crash_suite(pytester, monkeypatch)
    here = ends["test_in_setup"]["crash"]
    assert ends["test_in_setup"]["outcome"] == "error"
    assert (here["path"], here["line"], here["message"]) == (os.path.join("tests", "test_crash.py"), 10, "RuntimeError: cannot set up")
    # Not the test's file, and the test's file is not in the traceback: the crash line under the rootdir.
    conftest = ends["test_in_conftest_fixture"]["crash"]
    assert (conftest["path"], conftest["line"], conftest["message"]) == (os.path.join("tests", "conftest.py"), 6, "OSError: no database")


def test_a_native_traceback_still_gives_the_crash_line_in_the_test_file(pytester, monkeypatch):
    _, ends = run_crash_suite(pytester, monkeypatch, "--tb=native")
    assert (ends["test_assert"]["crash"]["path"], ends["test_assert"]["crash"]["line"]) == (os.path.join("tests", "test_crash.py"), 15)
    # Native tracebacks have no entries to search: a library crash keeps only its message.
    library = ends["test_in_library"]["crash"]
    assert "path" not in library and "line" not in library
    assert library["message"].startswith("json.decoder.JSONDecodeError")


def test_paths_are_relative_to_the_rootdir_and_none_outside_it(tmp_path):
    root = str(tmp_path / "root")
    assert relative_to_rootdir(os.path.join(root, "tests", "a.py"), root, root) == os.path.join("tests", "a.py")
    # A path pytest shortened is read against the folder it was started in.
    assert relative_to_rootdir(os.path.join("tests", "a.py"), root, os.path.join(root)) == os.path.join("tests", "a.py")
    assert relative_to_rootdir(os.path.join("..", "a.py"), root, os.path.join(root, "sub")) == "a.py"
    assert relative_to_rootdir(str(tmp_path / "elsewhere.py"), root, root) is None
    assert relative_to_rootdir(str(tmp_path / "rootlike" / "x.py"), root, root) is None
    assert relative_to_rootdir(None, root, root) is None
