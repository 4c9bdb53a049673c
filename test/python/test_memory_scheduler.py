""""dist": "memory": admission by forecast (memory_scheduler), on fake xdist nodes and in real xdist runs."""

import json
import os

import pytest

from run_chunks_events.memory_scheduler import MemoryScheduling, forecast_collection, nearest_rank

PLUGIN_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "python")
MIB = 1024 * 1024


class FakeConfig:
    """What LoadScheduling reads of pytest's config: the workers (--tx) and --maxschedchunk."""

    def __init__(self, workers):
        self.workers = workers

    def getvalue(self, name):
        assert name == "tx"
        return ["{}*popen".format(self.workers)]

    def getoption(self, name):
        assert name == "maxschedchunk"
        return None


class FakeNode:
    """An xdist worker as the scheduler sees it: the tests it was sent, whether it was shut down."""

    def __init__(self, name):
        self.name = name
        self.gateway = type("Gateway", (), {"id": name})()
        self.sent = []
        self.shutting_down = False

    def send_runtest_some(self, indices):
        self.sent.extend(indices)

    def shutdown(self):
        self.shutting_down = True


def plan(forecasts, budget=1000, reserve=0, baseline=50, default=300):
    return {
        "budgetBytes": budget * MIB,
        "reserveBytes": reserve * MIB,
        "baselineBytes": baseline * MIB,
        "defaultForecastBytes": default * MIB,
        "forecasts": {nodeid: mib * MIB for nodeid, mib in forecasts.items()},
    }


def scheduler(collection, forecasts, workers, **limits):
    sched = MemoryScheduling(FakeConfig(workers), None, plan(forecasts, **limits), "/nonexistent")
    nodes = [FakeNode("gw{}".format(index)) for index in range(workers)]
    for node in nodes:
        sched.add_node(node)
    for node in nodes:
        sched.add_node_collection(node, collection)
    sched.schedule()
    return sched, nodes


def held(sched, node):
    return [sched.collection[index] for index in sched.node2pending[node]]


def finish_first(sched, node):
    """The node's running test ends (xdist reports it complete)."""
    sched.mark_test_complete(node, sched.node2pending[node][0])


def reserved_mib(sched):
    return sum(sched.reservation(node) for node in sched.node2pending) // MIB


def test_heavy_tests_go_first_and_light_ones_fill_the_room_left():
    collection = ["t.py::light{}".format(index) for index in range(6)] + ["t.py::heavy0", "t.py::heavy1"]
    forecasts = {nodeid: 600 if "heavy" in nodeid else 100 for nodeid in collection}
    sched, nodes = scheduler(collection, forecasts, workers=3)
    # heavy0 (600) and one heavy behind it on the same worker (it runs after, raising nothing);
    # the other workers get light tests: 600 + 100 + 100 fits 1000, a second heavy (1200) would not.
    assert held(sched, nodes[0]) == ["t.py::heavy0", "t.py::heavy1"]
    assert all(nodeid.startswith("t.py::light") for node in nodes[1:] for nodeid in held(sched, node))
    assert reserved_mib(sched) <= 1000
    # Run to the end: every test is sent once, the reservations never pass the budget.
    sent = []
    while any(sched.node2pending.values()):
        for node in nodes:
            if len(sched.node2pending[node]) >= 2 or (node.shutting_down and sched.node2pending[node]):
                assert reserved_mib(sched) <= 1000
                finish_first(sched, node)
    for node in nodes:
        sent.extend(node.sent)
        assert node.shutting_down
    assert sorted(sent) == list(range(len(collection)))
    result = sched.result()
    assert result["forecastSources"] == {"history": 8}
    assert result["oversize"] == [] and result["forced"] == 0


def test_a_test_too_big_for_the_budget_starts_only_with_every_other_worker_idle():
    collection = ["t.py::huge", "t.py::a", "t.py::b", "t.py::c"]
    sched, nodes = scheduler(collection, {"t.py::huge": 2000, "t.py::a": 100, "t.py::b": 100, "t.py::c": 100}, workers=2)
    # huge goes first, alone: the other worker gets nothing while huge is held.
    assert held(sched, nodes[0])[0] == "t.py::huge"
    assert held(sched, nodes[1]) == []
    assert sched.result()["oversize"] == ["t.py::huge"]
    # A light test queues behind it as a matter of course (it runs after huge, raising nothing): not forced.
    assert len(held(sched, nodes[0])) == 2 and sched.result()["forced"] == 0
    finish_first(sched, nodes[0])
    # Once huge is done the light tests spread over both workers.
    assert held(sched, nodes[1]) != []


def test_a_waiting_heavy_test_is_counted_as_waiting_for_memory():
    collection = ["t.py::h0", "t.py::h1", "t.py::l0", "t.py::l1"]
    sched, nodes = scheduler(collection, {"t.py::h0": 600, "t.py::h1": 600, "t.py::l0": 500, "t.py::l1": 500}, workers=2, budget=1000)
    # h0 and h1 share worker 0 (one after the other); l0 (500) does not fit beside 600 on worker 1.
    assert held(sched, nodes[0]) == ["t.py::h0", "t.py::h1"]
    assert held(sched, nodes[1]) == []
    finish_first(sched, nodes[0])
    finish_first(sched, nodes[0])
    result = sched.result()
    assert result["waited"]["tests"] >= 1
    assert result["waited"]["longest"][0]["nodeid"] == "t.py::l0"


def test_unknown_tests_take_their_files_largest_forecast_then_the_chunks_p95_then_the_default():
    collection = ["a.py::known", "a.py::new", "b.py::new", "c.py::x"]
    assert forecast_collection(collection, plan({"a.py::known": 700, "c.py::x": 100})) == [
        (700 * MIB, "history"),
        (700 * MIB, "file"),
        (700 * MIB, "chunk"),
        (100 * MIB, "history"),
    ]
    assert forecast_collection(["z.py::t"], plan({}, default=250)) == [(250 * MIB, "default")]
    assert nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 95) == 19


def test_when_nothing_can_run_the_smallest_test_is_forced_so_the_run_never_stalls():
    # Largest-first with free followers does not get here from a fresh start; a test put back in
    # the queue (a crashed worker's, xdist's mark_test_pending) can: each worker holds one small
    # test, waiting for a follower, and the big one left fits beside neither.
    collection = ["t.py::s0", "t.py::s1", "t.py::big"]
    sched, nodes = scheduler(collection, {"t.py::s0": 200, "t.py::s1": 200, "t.py::big": 700}, workers=2, budget=800, baseline=10)
    for node in nodes:
        node.shutting_down = False
        node.sent.clear()
        sched.node2pending[node][:] = []
    sched.node2pending[nodes[0]].append(0)
    sched.node2pending[nodes[1]].append(1)
    sched.pending[:] = [2]
    sched.fill()
    # big went behind one of them anyway, so that test runs; it is counted as forced.
    assert sum((node.sent for node in nodes), []) == [2]
    assert sched.result()["forced"] == 1
    assert all(node.shutting_down for node in nodes)


SUITE = """import json
import os
import time

import pytest


def record(name):
    start = time.time()
    time.sleep(0.4)
    with open(os.path.join(os.environ["SPANS_DIR"], name), "w") as handle:
        json.dump([start, time.time()], handle)


@pytest.mark.parametrize("index", range(3))
def test_heavy(index):
    record("heavy{}".format(index))


@pytest.mark.parametrize("index", range(6))
def test_light(index):
    record("light{}".format(index))
"""


def run_suite(pytester, monkeypatch, forecasts, budget):
    spans = pytester.path / "spans"
    spans.mkdir()
    plan_file = pytester.path / "memory-plan.json"
    plan_file.write_text(json.dumps(plan(forecasts, budget=budget, baseline=20)))
    monkeypatch.setenv("SPANS_DIR", str(spans))
    monkeypatch.setenv("RUN_CHUNKS_MEMORY_SCHEDULE", str(plan_file))
    monkeypatch.setenv("PYTHONPATH", os.path.abspath(PLUGIN_DIR))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_sched=SUITE)
    result = pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider", "-n", "3")
    spans_by_test = {path.name: json.loads(path.read_text()) for path in spans.iterdir()}
    result_file = pytester.path / "memory-plan.json.result.json"
    return result, spans_by_test, json.loads(result_file.read_text()) if result_file.exists() else None


def overlaps(a, b):
    return a[0] < b[1] and b[0] < a[1]


def test_in_a_real_xdist_run_no_two_heavy_tests_overlap_and_light_ones_run_beside_them(pytester, monkeypatch):
    forecasts = {"test_sched.py::test_heavy[{}]".format(index): 600 for index in range(3)}
    forecasts.update({"test_sched.py::test_light[{}]".format(index): 100 for index in range(6)})
    result, spans, summary = run_suite(pytester, monkeypatch, forecasts, budget=1000)
    result.assert_outcomes(passed=9)
    heavy = [spans["heavy{}".format(index)] for index in range(3)]
    light = [spans["light{}".format(index)] for index in range(6)]
    for first in range(3):
        for second in range(first + 1, 3):
            assert not overlaps(heavy[first], heavy[second]), (heavy[first], heavy[second])
    # The light tests filled the room beside the heavy ones: the run is not serial.
    assert any(overlaps(h, l) for h in heavy for l in light)
    assert summary["workers"] == 3 and summary["tests"] == 9
    assert summary["forecastSources"] == {"history": 9}
    assert summary["forecasts"]["test_sched.py::test_heavy[0]"] == [600 * MIB, "history"]


def test_without_the_plan_variable_xdist_schedules_as_always_and_no_result_is_written(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.path.abspath(PLUGIN_DIR))
    monkeypatch.setenv("SPANS_DIR", str(pytester.path))
    pytester.makepyfile(test_sched=SUITE)
    result = pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=9)


def test_an_unreadable_plan_warns_and_xdists_load_scheduling_runs(pytester, monkeypatch):
    plan_file = pytester.path / "memory-plan.json"
    plan_file.write_text("{not json")
    monkeypatch.setenv("RUN_CHUNKS_MEMORY_SCHEDULE", str(plan_file))
    monkeypatch.setenv("PYTHONPATH", os.path.abspath(PLUGIN_DIR))
    monkeypatch.setenv("SPANS_DIR", str(pytester.path))
    pytester.makepyfile(test_sched=SUITE)
    result = pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=9)
    assert "memory scheduling disabled, xdist's load scheduling runs instead" in result.stderr.str()
    assert not (pytester.path / "memory-plan.json.result.json").exists()
