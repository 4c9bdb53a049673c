"""The plugin's test-end events, from real inline pytest sessions (pytester)."""

import json
import os

PLUGIN_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "python")

SUITE = """
import pytest

@pytest.fixture(scope="module")
def shared():
    return b"\\x01" * (8 * 1024 * 1024)

def test_first_user(shared):
    pass

def test_second_user(shared):
    pass

def test_plain():
    pass

def test_imports():
    import run_chunks_test_never_imported_before  # noqa: F401
"""


def run_with_events(pytester, monkeypatch):
    events_file = pytester.path / "events.jsonl"
    monkeypatch.setenv("RUN_CHUNKS_EVENTS_FILE", str(events_file))
    monkeypatch.setenv("PYTHONPATH", os.path.abspath(PLUGIN_DIR))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    pytester.makepyfile(run_chunks_test_never_imported_before="")
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider")
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    return result, {event["nodeid"].split("::")[-1]: event for event in events if event["event"] == "test-end"}


def test_every_test_end_carries_its_exact_peak(pytester, monkeypatch):
    result, ends = run_with_events(pytester, monkeypatch)
    result.assert_outcomes(passed=4)
    assert set(ends) == {"test_first_user", "test_second_user", "test_plain", "test_imports"}
    for end in ends.values():
        assert end["peakMethod"] == "hwm"
        assert end["peak"] >= end["rss"] > 0


def test_the_first_user_of_a_shared_fixture_is_marked_and_so_is_an_import(pytester, monkeypatch):
    _, ends = run_with_events(pytester, monkeypatch)
    assert ends["test_first_user"]["sharedSetup"] is True
    assert ends["test_second_user"]["sharedSetup"] is False
    assert ends["test_plain"]["sharedSetup"] is False
    assert ends["test_imports"]["newModules"] >= 1
    assert ends["test_plain"]["newModules"] == 0
