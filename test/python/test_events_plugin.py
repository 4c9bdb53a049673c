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


REGISTRATION_PROBE = """
def pytest_sessionstart(session):
    import json, os
    manager = session.config.pluginmanager
    with open(os.environ["PROBE_OUT"], "a") as out:
        out.write(json.dumps({"worker": os.environ.get("PYTEST_XDIST_WORKER"), "xdist": manager.get_plugin("run_chunks_events_xdist") is not None}) + "\\n")
"""


def test_the_crash_relay_is_registered_only_in_a_distributed_runs_controller(pytester, monkeypatch):
    # Elsewhere its logreport hook would run three times per test for nothing.
    probe = pytester.path / "probe.jsonl"
    monkeypatch.setenv("PROBE_OUT", str(probe))
    monkeypatch.setenv("RUN_CHUNKS_EVENTS_FILE", str(pytester.path / "events.jsonl"))
    monkeypatch.setenv("PYTHONPATH", os.path.abspath(PLUGIN_DIR))
    pytester.makeconftest(REGISTRATION_PROBE)
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert [json.loads(line) for line in probe.read_text().splitlines()] == [{"worker": None, "xdist": False}]
    probe.unlink()
    pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider", "-n", "2").assert_outcomes(passed=1)
    seen = sorted((json.loads(line) for line in probe.read_text().splitlines()), key=lambda one: one["worker"] or "")
    assert seen == [{"worker": None, "xdist": True}, {"worker": "gw0", "xdist": False}, {"worker": "gw1", "xdist": False}]


def test_null_fields_are_left_out_and_times_are_plain_decimals(pytester, monkeypatch):
    events_file = pytester.path / "events.jsonl"
    monkeypatch.setenv("RUN_CHUNKS_EVENTS_FILE", str(events_file))
    monkeypatch.setenv("PYTHONPATH", os.path.abspath(PLUGIN_DIR))
    pytester.makepyfile(test_one="import pytest\ndef test_ok():\n    pass\ndef test_bad():\n    assert 1 == 2\n")
    pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider").assert_outcomes(passed=1, failed=1)
    lines = events_file.read_text().splitlines()
    assert all("null" not in line for line in lines), [line for line in lines if "null" in line]
    ends = {event["nodeid"].split("::")[-1]: event for event in map(json.loads, lines) if event["event"] == "test-end"}
    assert "message" not in ends["test_ok"] and "gpu" not in ends["test_ok"]
    assert ends["test_bad"]["message"].startswith("assert 1 == 2")
    assert ends["test_bad"]["outcome"] == "failed"
    for line in lines:
        event = json.loads(line)
        assert isinstance(event["t"], float) and abs(event["t"] - __import__("time").time()) < 600
    for end in ends.values():
        assert isinstance(end["duration"], (int, float)) and 0 <= end["duration"] < 60


OUTCOMES_SUITE = """
import pytest

def test_ok():
    pass

@pytest.mark.skip(reason="not here")
def test_skip():
    pass

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    raise ValueError("still broken")

@pytest.mark.xfail(reason="not run", run=False)
def test_xfail_not_run():
    pass

@pytest.mark.xfail(reason="maybe fixed")
def test_xpass():
    pass

@pytest.mark.xfail(reason="fixed already", strict=True)
def test_xpass_strict():
    pass
"""


def test_xfail_and_xpass_keep_pytests_own_outcomes(pytester, monkeypatch):
    # pytest's summary line counts xfailed and xpassed apart from skipped and passed; so does test-end.
    events_file = pytester.path / "events.jsonl"
    monkeypatch.setenv("RUN_CHUNKS_EVENTS_FILE", str(events_file))
    monkeypatch.setenv("PYTHONPATH", os.path.abspath(PLUGIN_DIR))
    pytester.makepyfile(test_outcomes=OUTCOMES_SUITE)
    result = pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1, xfailed=2, xpassed=1, failed=1)
    ends = {event["nodeid"].split("::")[-1]: event for event in map(json.loads, events_file.read_text().splitlines()) if event["event"] == "test-end"}
    assert {name: end["outcome"] for name, end in ends.items()} == {
        "test_ok": "passed",
        "test_skip": "skipped",
        "test_xfail": "xfailed",
        "test_xfail_not_run": "xfailed",
        "test_xpass": "xpassed",
        "test_xpass_strict": "failed",
    }
    assert ends["test_xfail"]["message"] == "xfail: known bug"
    assert "ValueError: still broken" in ends["test_xfail"]["longrepr"]
    assert ends["test_xfail_not_run"]["message"] == "xfail: [NOTRUN] not run"
    assert ends["test_xpass"]["message"] == "xfail: maybe fixed"
    assert "longrepr" not in ends["test_xpass"]
    assert ends["test_xpass_strict"]["message"] == "[XPASS(strict)] fixed already"
