"""session-start, collected, collect-report, test-start, test-end and session-finish events."""

import pytest

from .measure import read_gpu_bytes, read_rss_bytes
from .peaks import PeakMeter
from .reports import full_text, location_of, short_message, summarize_reports
from .writer import write_collection_once
from .xdist_plugin import is_xdist_controller


class EventsPlugin:
    """session-start, collected, test-start, test-end and session-finish of this process."""

    def __init__(self, writer):
        self.writer = writer
        # The phase reports (setup, call, teardown) of the test running now. None while no test
        # runs here, which is always the case in the xdist controller: it only receives the
        # workers' reports, and the workers already wrote their events.
        self.reports = None
        self.peaks = PeakMeter()
        # Whether the running test set up a fixture shared beyond it (session, package, module,
        # class scope): memory it keeps is that fixture's, not a leak of the test.
        self.shared_setup = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        try:
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

    # A wrapper around the whole protocol: test-start goes out before setup begins (so a kill
    # during setup still names the test) and test-end after teardown, once the outcome is known.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        try:
            self.reports = []
            self.shared_setup = False
            # The RSS and the peak's reset come from one read of /proc/self/status; statm where it is missing.
            rss = self.peaks.start()
            self.writer.write("test-start", nodeid=item.nodeid, rss=read_rss_bytes() if rss is None else rss, gpu=read_gpu_bytes())
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)
        try:
            result = yield
        except BaseException:
            # Ctrl-C, SIGTERM or pytest.exit() in the middle of the test: it never ended, so, as
            # after a kill, its test-start stays without a test-end.
            self.reports = None
            raise
        try:
            self.write_test_end(item)
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)
        self.reports = None
        return result

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
            self.writer.write("session-finish", exitstatus=int(exitstatus), peak=self.peaks.process_peak())
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)

    def write_test_end(self, item):
        # First, before building the event allocates anything.
        peaks, rss = self.peaks.end()
        reports = [report for report in (self.reports or []) if report.nodeid == item.nodeid]
        outcome, decisive = summarize_reports(reports)
        file_name, line = location_of(item)
        self.writer.write(
            "test-end",
            nodeid=item.nodeid,
            outcome=outcome,
            duration=sum(float(getattr(report, "duration", 0) or 0) for report in reports),
            rss=read_rss_bytes() if rss is None else rss,
            gpu=read_gpu_bytes(),
            message=short_message(decisive) if decisive else None,
            longrepr=full_text(decisive) if decisive else None,
            file=file_name,
            line=line,
            sharedSetup=self.shared_setup,
            **peaks
        )
