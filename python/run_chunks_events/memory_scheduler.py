"""``"dist": "memory"``: an xdist scheduler that starts a test only when its memory forecast fits.

run-chunks writes a plan (``RUN_CHUNKS_MEMORY_SCHEDULE``, a JSON file): the budget, the reserve
kept free, each known test's forecast peak RSS (its p95 over earlier runs), the memory of a worker
between tests, and the default for a test nothing is known of. Tests with no history get their
file's largest forecast, else the p95 of the chunk's known forecasts, else the default.

The model, in xdist's own terms. A worker runs a test only once it knows the next one (or is told
to shut down): so a worker holds at most two tests, the one running and the one queued after it,
and the two never run at once. A worker's reservation is the largest forecast among the tests it
holds (the baseline when it holds none): what it may need at any moment until they are done. A
test goes to a worker only when the reservations of all workers, with this one raised to fit it,
stay within the budget less the reserve. Tests are offered largest forecast first, so a heavy test
starts as soon as there is room and light ones fill the gaps. A test whose forecast alone exceeds
the room starts only when every other worker is idle. If nothing runs and tests are left (every
worker holds one test waiting for a follower that does not fit), the smallest test is sent anyway,
so the run never stalls; that is counted as forced.

At the end the controller writes what it did to ``<plan>.result.json``: the forecast of each test
and its source, the tests that waited for memory and for how long, the oversize and forced ones.
"""

import json
import os
import time

import pytest
from xdist.scheduler import LoadScheduling

from .text import describe_error, warn

# How many tests a worker holds: the running one and the next (xdist needs to know it).
MAX_HELD = 2


def read_plan(path):
    """The plan run-chunks wrote, with its numbers checked."""
    with open(path, encoding="utf-8") as handle:
        plan = json.load(handle)
    for key in ("budgetBytes", "reserveBytes", "baselineBytes", "defaultForecastBytes"):
        value = plan.get(key)
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError("{}: {} must be a number >= 0, got {!r}".format(path, key, value))
    forecasts = plan.get("forecasts")
    if not isinstance(forecasts, dict):
        raise ValueError("{}: forecasts must be an object of node id to bytes".format(path))
    return plan


def file_of(nodeid):
    """The file part of a node id ("tests/test_a.py::test_x[1]" -> "tests/test_a.py")."""
    return nodeid.split("::", 1)[0]


def nearest_rank(values, percent):
    """The nearest-rank percentile of a non-empty list (always one of its values)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1]


def forecast_collection(collection, plan):
    """(forecast bytes, source) for each test of the collection, by the rule in the module's doc."""
    known = plan["forecasts"]
    by_file = {}
    for nodeid in collection:
        if nodeid in known:
            name = file_of(nodeid)
            by_file[name] = max(by_file.get(name, 0), known[nodeid])
    in_chunk = [known[nodeid] for nodeid in collection if nodeid in known]
    chunk_estimate = nearest_rank(in_chunk, 95) if in_chunk else None
    result = []
    for nodeid in collection:
        if nodeid in known:
            result.append((known[nodeid], "history"))
        elif file_of(nodeid) in by_file:
            result.append((by_file[file_of(nodeid)], "file"))
        elif chunk_estimate is not None:
            result.append((chunk_estimate, "chunk"))
        else:
            result.append((plan["defaultForecastBytes"], "default"))
    return result


class MemoryScheduling(LoadScheduling):
    """LoadScheduling's bookkeeping (collections, crashed workers' tests) with admission by forecast."""

    def __init__(self, config, log, plan, result_path):
        super().__init__(config, log)
        self.plan = plan
        self.result_path = result_path
        self.room = max(0, plan["budgetBytes"] - plan["reserveBytes"])
        self.baseline = plan["baselineBytes"]
        self.forecasts = []
        self.sources = []
        # index -> monotonic time when a worker was free for it and it did not fit.
        self.blocked_since = {}
        # index -> seconds it waited for memory.
        self.waited = {}
        self.oversize = set()
        self.forced = 0
        self.started_at = time.monotonic()

    # -- xdist's entry points --------------------------------------------------------------

    def schedule(self):
        assert self.collection_is_completed
        if self.collection is not None:
            self.fill()
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = next(iter(self.node2collection.values()))
        forecast = forecast_collection(self.collection, self.plan)
        self.forecasts = [bytes_ for bytes_, _ in forecast]
        self.sources = [source for _, source in forecast]
        # Largest forecast first; ties keep collection order.
        self.pending[:] = sorted(range(len(self.collection)), key=lambda index: -self.forecasts[index])
        self.fill()

    def check_schedule(self, node, duration=0):
        # A finished test frees room on every worker, not only its own.
        self.fill()

    def mark_test_pending(self, item):
        assert self.collection is not None
        self.pending.insert(0, self.collection.index(item))
        self.fill()

    # -- admission -------------------------------------------------------------------------

    def reservation(self, node):
        held = self.node2pending.get(node) or []
        return max([self.baseline] + [self.forecasts[index] for index in held])

    def live_nodes(self):
        return [node for node in self.nodes if not node.shutting_down]

    def fits(self, node, index, total):
        """Whether test `index` may go to `node` now, given the reservations' sum `total`."""
        forecast = self.forecasts[index]
        if self.node2pending[node] and forecast <= self.reservation(node):
            # Queued behind a test at least as big, it runs after it: it raises nothing.
            return True
        others = total - self.reservation(node)
        if self.baseline * (len(self.node2pending) - 1) + max(self.baseline, forecast) > self.room:
            # Too big for the budget even beside idle workers: alone, the others idle.
            self.oversize.add(index)
            return all(not self.node2pending[other] for other in self.node2pending if other is not node)
        return others + max(self.reservation(node), forecast) <= self.room

    def fill(self):
        if self.collection is None:
            return
        admitted = True
        while admitted and self.pending:
            admitted = False
            total = sum(self.reservation(node) for node in self.node2pending)
            for node in self.live_nodes():
                if len(self.node2pending[node]) >= MAX_HELD:
                    continue
                choice = next((index for index in self.pending if self.fits(node, index, total)), None)
                if choice is None:
                    self.note_blocked()
                    continue
                self.send(node, choice)
                admitted = True
                break
        if self.pending and not any(len(held) >= MAX_HELD for held in self.node2pending.values()):
            self.force_progress()
        if not self.pending:
            for node in self.live_nodes():
                node.shutdown()

    def force_progress(self):
        """Nothing runs and tests are left: the smallest goes to a worker holding one, so its test runs."""
        holders = [node for node in self.live_nodes() if len(self.node2pending[node]) == 1]
        if not holders:
            return
        smallest = min(self.pending, key=lambda index: self.forecasts[index])
        node = min(holders, key=self.reservation)
        self.forced += 1
        self.send(node, smallest)

    def note_blocked(self):
        now = time.monotonic()
        head = self.pending[0]
        self.blocked_since.setdefault(head, now)

    def send(self, node, index):
        self.pending.remove(index)
        since = self.blocked_since.pop(index, None)
        if since is not None:
            self.waited[index] = time.monotonic() - since
        self.node2pending[node].append(index)
        node.send_runtest_some([index])

    # -- the result ------------------------------------------------------------------------

    def result(self):
        collection = self.collection or []
        sources = {}
        for source in self.sources:
            sources[source] = sources.get(source, 0) + 1
        waits = sorted(self.waited.items(), key=lambda item: -item[1])
        return {
            "budgetBytes": self.plan["budgetBytes"],
            "roomBytes": self.room,
            "workers": len(self.node2collection),
            "tests": len(collection),
            "forecastSources": sources,
            "waited": {
                "tests": len(waits),
                "totalSeconds": round(sum(seconds for _, seconds in waits), 3),
                "longest": [{"nodeid": collection[index], "seconds": round(seconds, 3)} for index, seconds in waits[:5]],
            },
            "oversize": [collection[index] for index in sorted(self.oversize)],
            "forced": self.forced,
            "forecasts": {collection[index]: [self.forecasts[index], self.sources[index]] for index in range(len(collection))},
        }

    def write_result(self):
        temporary = self.result_path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(self.result(), handle)
        os.replace(temporary, self.result_path)


class MemorySchedulePlugin:
    """Makes the controller's scheduler a MemoryScheduling, and writes its result at the end."""

    def __init__(self, plan_path):
        self.plan_path = plan_path
        self.scheduler = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config, log):
        try:
            plan = read_plan(self.plan_path)
        except Exception as error:  # noqa: BLE001 - xdist's load scheduling runs; no result file says so
            warn("run-chunks: memory scheduling disabled, xdist's load scheduling runs instead ({})".format(describe_error(error)))
            return None
        self.scheduler = MemoryScheduling(config, log, plan, self.plan_path + ".result.json")
        return self.scheduler

    def pytest_sessionfinish(self, session, exitstatus):
        if self.scheduler is not None and self.scheduler.collection is not None:
            self.scheduler.write_result()
