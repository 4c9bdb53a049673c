"""pytest plugin bundled with run-chunks: streams per-test events to a JSON-lines file.

Loaded with ``-p run_chunks_events`` (run-chunks puts this folder on PYTHONPATH), it does two
independent things, each switched on by an environment variable:

``RUN_CHUNKS_EVENTS_FILE``
    Append one JSON object per line to that file, as declared in src/results/test-events.ts:
    session-start, collected, collect-report, test-start, test-end, worker-crashed, session-finish. A chunk can be
    OOM-killed at any moment, and the point of these events is that whatever happened before the
    kill is still on disk; so each line goes out with one ``os.write`` on an ``O_APPEND`` fd, with
    no buffering in between. The same file is shared by the xdist controller and its workers;
    ``O_APPEND`` plus one write per line keeps their lines whole and unmixed.

``RUN_CHUNKS_SELECT_FILE`` / ``RUN_CHUNKS_DESELECT_FILE``
    Keep only the collected tests whose node id is listed in the select file, or drop those
    listed in the deselect file, so that after an OOM kill run-chunks can run the blamed test
    alone, then the tests that never got to run. These files, and ``<events file>.collected``,
    hold one node id per line written as a JSON string: a node id may hold newlines, tabs or any
    character (a parametrize id), and JSON says exactly where each one ends.

``RUN_CHUNKS_SELECTIONS_FILE``
    The other chunks' selections (``selections``): a rest chunk deselects every test they
    select; ``run-chunks plan`` gets each test's chunks from one collection.

``RUN_CHUNKS_MEMORY_SCHEDULE``
    ``"dist": "memory"``: the xdist controller schedules tests by their memory forecasts from
    that plan, and writes what it did beside it (``memory_scheduler``).

``RUN_CHUNKS_CGROUP``
    With the events file: the chunk's cgroup ("1:/path" or "2:/path"), under which each process
    that runs tests makes one of its own, for each test's peak with its children's (``groups``).

With none set the plugin registers nothing and changes nothing. It uses the standard library
only and must run on Python 3.8 with pytest >= 8 and pytest-xdist >= 3.5 (or no xdist at all).

The package has one module per concern: ``node_ids`` (the id files and the selection), ``selections`` (the other chunks' -m/-k/paths),
``writer`` (the events file), ``events_plugin`` (this process's test events), ``reports`` (a
test's outcome and message from its phase reports), ``measure`` (RSS and GPU memory now), ``peaks`` (each test's exact peak, from VmHWM),
``groups`` (each test's peak with its children's, from a memory cgroup of the process),
``xdist_plugin`` (the xdist controller's crash events) and ``text`` (messages and warnings).

Above all it must never change a test run's outcome: every hook body is guarded, a failed write
disables event writing (with a single warning on stderr) instead of raising, and no hook returns
a value that pytest would act on.
"""

import os

from .events_plugin import EventsPlugin
from .groups import CGROUP_VARIABLE, GroupMeter
from .node_ids import SelectPlugin, read_node_ids
from .selections import selections_plugin_from_env
from .text import describe_error, warn
from .writer import EventWriter
from .xdist_plugin import XdistControllerPlugin, has_xdist_hooks, will_distribute, worker_id

EVENTS_FILE_VARIABLE = "RUN_CHUNKS_EVENTS_FILE"
SELECT_FILE_VARIABLE = "RUN_CHUNKS_SELECT_FILE"
DESELECT_FILE_VARIABLE = "RUN_CHUNKS_DESELECT_FILE"


def pytest_configure(config):
    # Everything is registered from here, so that a run without our variables sees no hook of
    # ours at all (and so pays nothing and risks nothing).
    select_path = os.environ.get(SELECT_FILE_VARIABLE)
    deselect_path = os.environ.get(DESELECT_FILE_VARIABLE)
    if select_path or deselect_path:
        keep = read_node_ids(SELECT_FILE_VARIABLE, select_path) if select_path else None
        drop = read_node_ids(DESELECT_FILE_VARIABLE, deselect_path) if deselect_path else set()
        config.pluginmanager.register(SelectPlugin(keep, drop), "run_chunks_select")
    selections = selections_plugin_from_env()
    if selections is not None:
        config.pluginmanager.register(selections, "run_chunks_selections")

    register_memory_scheduler(config)

    events_path = os.environ.get(EVENTS_FILE_VARIABLE)
    if not events_path:
        return
    try:
        worker = worker_id(config)
        writer = EventWriter(events_path, worker)
        cgroup = os.environ.get(CGROUP_VARIABLE)
        config.pluginmanager.register(EventsPlugin(writer, GroupMeter(cgroup) if cgroup else None), "run_chunks_events_tests")
        # xdist's hooks are known only when xdist is loaded, and pytest rejects a plugin that
        # implements unknown hooks: hence a separate plugin object, registered only then.
        # Only in a distributed run's controller: elsewhere its logreport hook would be called three
        # times per test for nothing.
        if worker is None and has_xdist_hooks(config) and will_distribute(config):
            config.pluginmanager.register(XdistControllerPlugin(writer), "run_chunks_events_xdist")
    except Exception as error:  # noqa: BLE001 - events are optional; the run is not
        warn("run-chunks: test events disabled ({})".format(describe_error(error)))


MEMORY_SCHEDULE_VARIABLE = "RUN_CHUNKS_MEMORY_SCHEDULE"


def register_memory_scheduler(config):
    """``"dist": "memory"``: in a distributed run's controller, schedule by forecast (``memory_scheduler``)."""
    plan_path = os.environ.get(MEMORY_SCHEDULE_VARIABLE)
    if not plan_path or worker_id(config) is not None or not has_xdist_hooks(config) or not will_distribute(config):
        return
    try:
        # Imported only here: it needs xdist, which a run without "dist": "memory" may lack.
        from .memory_scheduler import MemorySchedulePlugin

        config.pluginmanager.register(MemorySchedulePlugin(plan_path), "run_chunks_memory_scheduler")
    except Exception as error:  # noqa: BLE001 - xdist's own scheduler runs instead, and run-chunks says so
        warn("run-chunks: memory scheduling disabled, xdist's load scheduling runs instead ({})".format(describe_error(error)))
