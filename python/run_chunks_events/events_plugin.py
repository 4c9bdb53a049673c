"""session-start, collected, collect-report, test-start, test-end and session-finish events."""

import pytest

from .measure import read_gpu_bytes, read_rss_bytes
from .peaks import PeakMeter
from .reports import crash_of, full_text, location_of, short_message, summarize_reports
from .writer import write_collection_once
from .xdist_plugin import is_xdist_controller


class EventsPlugin:
    """session-start, collected, test-start, test-end and session-finish of this process."""

    def __init__(self, writer, groups=None):
        self.writer = writer
        # A GroupMeter where run-chunks gave the chunk's cgroup, else None.
        self.groups = groups
        # The phase reports (setup, call, teardown) of the test running now. None while no test
        # runs here, which is always the case in the xdist controller: it only receives the
        # workers' reports, and the workers already wrote their events.
        self.reports = None
        self.peaks = PeakMeter()
        # Whether the running test set up a fixture shared beyond it (session, package, module,
        # class scope): memory it keeps is that fixture's, not a leak of the test.
        self.shared_setup = False
        self.relays_workers = False
        # The rootdir (test-end's file and crash.path are relative to it) and the folder pytest
        # was started in (traceback paths pytest shortened are relative to it); set at session start.
        self.rootdir = None
        self.invocation_dir = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        try:
            # xdist's controller replays each worker's logstart and logfinish as its own: the
            # worker wrote those tests' events already.
            self.relays_workers = is_xdist_controller(session.config)
            self.rootdir = str(session.config.rootpath)
            self.invocation_dir = str(session.config.invocation_params.dir)
            self.writer.write("session-start", rss=read_rss_bytes())
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)

    # Last, so that every other plugin's deselection (and ours) is already done.
    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        try:
            # The xdist controller collects nothing itself; its workers report their own count.
            if not is_xdist_controller(session.config):
                self.writer.write("collected", count=len(session.items))
                write_collection_once(self.writer.path, session.items)
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)

    # test-start goes out before setup begins (so a kill during setup still names the test) and
    # test-end after teardown, once the outcome is known. pytest's own protocol calls these two
    # around each test's three phases (so do xdist's workers and rerun plugins, once per run),
    # and, unlike a wrapper around pytest_runtest_protocol, they cost pluggy no generator. Ctrl-C,
    # SIGTERM or pytest.exit() in the middle of a test skips logfinish: as after a kill, that
    # test-start stays without a test-end. tryfirst both: the peak's reset is as close to setup,
    # and its reading as close to teardown, as a plugin can be.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid, location):
        if self.relays_workers:
            return
        try:
            self.reports = []
            self.shared_setup = False
            # The RSS from statm, read with the peak's reset; psutil where /proc is missing.
            rss = self.peaks.start()
            if self.groups is not None:
                self.groups.start()
            self.writer.write_test_start(nodeid, read_rss_bytes() if rss is None else rss, read_gpu_bytes())
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logfinish(self, nodeid, location):
        if self.reports is None:
            return
        try:
            self.write_test_end(nodeid, location)
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)
        self.reports = None

    # A plain hook, not a wrapper (called for every fixture set up): pytest_fixture_setup is
    # firstresult, and returning None leaves the setup to pytest.
    @pytest.hookimpl(tryfirst=True)
    def pytest_fixture_setup(self, fixturedef, request):
        try:
            if self.reports is not None and getattr(fixturedef, "scope", "function") != "function":
                self.shared_setup = True
        except Exception:  # noqa: BLE001 - only bookkeeping
            pass

    def pytest_runtest_logreport(self, report):
        try:
            if self.reports is not None:
                self.reports.append(report)
        except Exception:  # noqa: BLE001 - only bookkeeping; test-end then says less
            pass

    # A module that fails to import, or skips itself at module level, has no test to end: its
    # collect report is the only trace of it. Every process that sees one writes it (each xdist
    # worker collects, and the controller relays them); run-chunks keeps one per node id.
    def pytest_collectreport(self, report):
        try:
            if report.failed or report.skipped:
                self.writer.write(
                    "collect-report",
                    nodeid=report.nodeid,
                    outcome="failed" if report.failed else "skipped",
                    # str(), exactly what pytest's --junitxml writes as the element's text.
                    longrepr=str(report.longrepr),
                )
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        try:
            groups = self.groups
            self.writer.write(
                "session-finish",
                exitstatus=int(exitstatus),
                peak=self.peaks.process_peak(),
                # Why a process that ran tests had no per-test cgroup peak (the controller runs none).
                groupUnavailable=groups.unavailable if groups is not None and groups.pid is not None else None,
            )
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)

    def write_test_end(self, nodeid, location):
        # First, before building the event allocates anything.
        peaks = self.peaks.end()
        group = self.groups.end() if self.groups is not None else (None, None)
        reports = []
        duration = 0.0
        passed = True
        for report in self.reports:
            if report.nodeid == nodeid:
                reports.append(report)
                duration += float(getattr(report, "duration", 0) or 0)
                # A non-strict xpass is a passed call that still needs summarize_reports to say so.
                passed = passed and report.outcome == "passed" and not hasattr(report, "wasxfail")
        outcome, decisive = ("passed", None) if passed else summarize_reports(reports)
        file_name, line = location_of(location)
        rss = peaks.rss
        self.writer.write_test_end(
            nodeid,
            outcome,
            duration,
            self.shared_setup,
            read_rss_bytes() if rss is None else rss,
            file_name,
            line,
            peaks,
            read_gpu_bytes(),
            short_message(decisive) if decisive else None,
            full_text(decisive) if decisive else None,
            group,
            crash_of(decisive, file_name, self.rootdir, self.invocation_dir) if outcome in ("failed", "error") else None,
        )
