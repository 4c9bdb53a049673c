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

With none set the plugin registers nothing and changes nothing. It uses the standard library
only and must run on Python 3.8 with pytest >= 8 and pytest-xdist >= 3.5 (or no xdist at all).

Above all it must never change a test run's outcome: every hook body is guarded, a failed write
disables event writing (with a single warning on stderr) instead of raising, and no hook returns
a value that pytest would act on.
"""

import json
import os
import sys
import time

import pytest

EVENTS_FILE_VARIABLE = "RUN_CHUNKS_EVENTS_FILE"
SELECT_FILE_VARIABLE = "RUN_CHUNKS_SELECT_FILE"
DESELECT_FILE_VARIABLE = "RUN_CHUNKS_DESELECT_FILE"

# test-end's longrepr is for a report, not a log: a few KB says where and why, while a huge
# assertion diff would bloat the events file that run-chunks tails while the chunk runs.
LONGREPR_MAX_CHARS = 4000
# message is one line for a table cell.
MESSAGE_MAX_CHARS = 300
CUT_MARKER = "...(cut)...\n"


def pytest_configure(config):
    # Everything is registered from here, so that a run without our variables sees no hook of
    # ours at all (and so pays nothing and risks nothing).
    select_path = os.environ.get(SELECT_FILE_VARIABLE)
    deselect_path = os.environ.get(DESELECT_FILE_VARIABLE)
    if select_path or deselect_path:
        keep = read_node_ids(SELECT_FILE_VARIABLE, select_path) if select_path else None
        drop = read_node_ids(DESELECT_FILE_VARIABLE, deselect_path) if deselect_path else set()
        config.pluginmanager.register(SelectPlugin(keep, drop), "run_chunks_select")

    events_path = os.environ.get(EVENTS_FILE_VARIABLE)
    if not events_path:
        return
    try:
        worker = worker_id(config)
        writer = EventWriter(events_path, worker)
        config.pluginmanager.register(EventsPlugin(writer), "run_chunks_events_tests")
        # xdist's hooks are known only when xdist is loaded, and pytest rejects a plugin that
        # implements unknown hooks: hence a separate plugin object, registered only then.
        if worker is None and has_xdist_hooks(config):
            config.pluginmanager.register(XdistControllerPlugin(writer), "run_chunks_events_xdist")
    except Exception as error:  # noqa: BLE001 - events are optional; the run is not
        warn("run-chunks: test events disabled ({})".format(describe_error(error)))


def read_node_ids(variable, path):
    """The node ids listed in a select or deselect file (one JSON string per line, blank lines ignored)."""
    try:
        with open(path, encoding="utf-8", newline="\n") as handle:
            lines = handle.read().split("\n")
    except (OSError, UnicodeDecodeError) as error:
        # Running the whole chunk instead would likely repeat the OOM kill the selection is meant
        # to step around, so refuse plainly (pytest exits 4, a usage error).
        raise pytest.UsageError(
            "run-chunks: cannot read {}={}: {}".format(variable, path, describe_error(error))
        )
    ids = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            nodeid = json.loads(line)
        except ValueError:
            nodeid = None
        if not isinstance(nodeid, str):
            raise pytest.UsageError(
                "run-chunks: {}={} line {} is not a node id written as a JSON string".format(variable, path, number)
            )
        ids.add(nodeid)
    return ids


def format_node_ids(nodeids):
    """One JSON string per line (ASCII only: \\n, \\t and non-ASCII characters are escaped)."""
    return "".join(json.dumps(nodeid) + "\n" for nodeid in nodeids)


def worker_id(config):
    """The xdist worker id ("gw0") of this process, or None outside a worker."""
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict):
        return workerinput.get("workerid")
    return None


class SelectPlugin:
    """Deselects the tests not in the select file (when given) and those in the deselect file.

    Listed node ids that match no collected test are ignored: the suite may have changed since.
    """

    def __init__(self, keep, drop):
        self.keep = keep
        self.drop = drop

    def wanted(self, item):
        return (self.keep is None or item.nodeid in self.keep) and item.nodeid not in self.drop

    # xdist checks that all workers collected the same list: each worker runs this same filter
    # over the same collection, keeping pytest's order, so their lists stay identical.
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        selected = [item for item in items if self.wanted(item)]
        deselected = [item for item in items if not self.wanted(item)]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = selected


class EventWriter:
    """Appends events to the events file, one unbuffered write per line."""

    def __init__(self, path, worker):
        self.path = path
        self.worker = worker
        self.fd = None
        self.failed = False
        try:
            # Python opens fds non-inheritable, so subprocesses that tests start don't get it.
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as error:
            # An xdist worker opens the same path as its controller, which started first and
            # already said why that fails: one warning per run, not one per worker.
            self.failed = worker is not None
            self.give_up(error)

    def write(self, event, **fields):
        if self.fd is None:
            return
        record = {"event": event, "pid": os.getpid(), "worker": self.worker, "t": time.time()}
        record.update(fields)
        try:
            line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8", "replace")
            written = os.write(self.fd, line)
            # A short write to a regular file only happens when the disk is full or the like;
            # finishing the line beats leaving half a line behind.
            while 0 < written < len(line):
                line = line[written:]
                written = os.write(self.fd, line)
            if written == 0:
                raise OSError("wrote 0 bytes")
        except Exception as error:  # noqa: BLE001
            self.give_up(error)

    def give_up(self, error):
        # One warning, then silence: a full disk must not turn into a warning per test.
        if self.failed:
            return
        self.failed = True
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.fd = None
        warn(
            "run-chunks: cannot write test events to {}: {}; no more events will be written "
            "(the tests still run)".format(self.path, describe_error(error))
        )


def write_collection_once(events_path, items):
    """Writes the selected node ids, one JSON string per line, to ``<events file>.collected``.

    The ids would make each ``collected`` event as big as the suite (and every xdist worker
    collects the same list), so they go to a file of their own, written by whichever process
    gets there first (O_EXCL). run-chunks reads it to name the tests that never ran.
    """
    try:
        fd = os.open(events_path + ".collected", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:
        return  # Another process wrote it, or the folder is not writable (already warned).
    try:
        data = format_node_ids(item.nodeid for item in items).encode("ascii")
        while data:
            written = os.write(fd, data)
            if written <= 0:
                break
            data = data[written:]
    finally:
        os.close(fd)


class EventsPlugin:
    """session-start, collected, test-start, test-end and session-finish of this process."""

    def __init__(self, writer):
        self.writer = writer
        # The phase reports (setup, call, teardown) of the test running now. None while no test
        # runs here, which is always the case in the xdist controller: it only receives the
        # workers' reports, and the workers already wrote their events.
        self.reports = None

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
            self.writer.write("test-start", nodeid=item.nodeid, rss=read_rss_bytes(), gpu=read_gpu_bytes())
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
            self.writer.write("session-finish", exitstatus=int(exitstatus))
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)

    def write_test_end(self, item):
        reports = [report for report in (self.reports or []) if report.nodeid == item.nodeid]
        outcome, decisive = summarize_reports(reports)
        file_name, line = location_of(item)
        self.writer.write(
            "test-end",
            nodeid=item.nodeid,
            outcome=outcome,
            duration=sum(float(getattr(report, "duration", 0) or 0) for report in reports),
            rss=read_rss_bytes(),
            gpu=read_gpu_bytes(),
            message=short_message(decisive) if decisive else None,
            longrepr=full_text(decisive) if decisive else None,
            file=file_name,
            line=line,
        )


def summarize_reports(reports):
    """The test's outcome over its phases, and the reports that explain it (empty if passed).

    The severity order matches how pytest's JUnit XML counts a test (error, then failure, then
    skip): a failed setup or teardown is an error even when the call failed too. xfail arrives as
    a skipped call with ``wasxfail``; a strict xpass as a failed call; a non-strict xpass as a
    passed call with ``wasxfail``, and so each lands where pytest itself puts it.
    """
    failures = [report for report in reports if report.failed]
    if any(report.when != "call" for report in failures):
        # A failed call's text stays alongside, as pytest shows both.
        return "error", failures
    if failures:
        return "failed", failures
    skips = [report for report in reports if report.skipped]
    if skips:
        return "skipped", skips[:1]
    return "passed", []


def short_message(reports):
    """One line saying why: the exception's line, the skip reason, or "xfail: reason"."""
    # For an error, the failed setup or teardown says why, not the call that may also have failed.
    report = next((report for report in reports if report.failed and report.when != "call"), reports[0])
    longrepr = report.longrepr
    message = None
    if hasattr(report, "wasxfail"):
        reason = str(report.wasxfail or "").strip()
        message = "xfail: " + reason if reason else "xfail"
    elif isinstance(longrepr, tuple) and len(longrepr) == 3:
        # A skip: (path, line, "Skipped: reason").
        message = str(longrepr[2])
        if message.startswith("Skipped: "):
            message = message[len("Skipped: "):]
    else:
        # reprcrash.message is the exception as pytest's summary line shows it ("ValueError: x",
        # or an assertion whose explanation follows on further lines).
        crash = getattr(longrepr, "reprcrash", None)
        text = getattr(crash, "message", None)
        if text:
            message = first_line(text)
        else:
            message = last_line(full_text([report]) or "")
    if report.when in ("setup", "teardown") and report.failed:
        message = "error in {}: {}".format(report.when, message)
    return cut_end(message or report.outcome, MESSAGE_MAX_CHARS)


def full_text(reports):
    """pytest's failure text of the reports, ending (where it is cut) with the exception."""
    parts = []
    for report in reports:
        longrepr = report.longrepr
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            # A skip's (path, line, "Skipped: reason"), written the way pytest's summary does.
            text = "{}:{}: {}".format(*longrepr)
        else:
            text = getattr(report, "longreprtext", "") or ""
        if text:
            parts.append(text if len(reports) == 1 else "[{}]\n{}".format(report.when, text))
    text = "\n\n".join(parts)
    if not text:
        return None
    if len(text) > LONGREPR_MAX_CHARS:
        # The end holds the innermost frame and the exception, so keep the end, from a line start.
        tail = text[len(text) - (LONGREPR_MAX_CHARS - len(CUT_MARKER)):]
        newline = tail.find("\n")
        text = CUT_MARKER + (tail[newline + 1:] if 0 <= newline < len(tail) - 1 else tail)
    return text


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def last_line(text):
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()
    return ""


def cut_end(text, limit):
    return text if len(text) <= limit else text[: limit - 3] + "..."


def location_of(item):
    """(file relative to the rootdir, 1-based line) of the test, each None where unknown."""
    try:
        file_name, line0, _ = item.location
        return (str(file_name) if file_name else None), (int(line0) + 1 if line0 is not None else None)
    except Exception:  # noqa: BLE001
        return None, None


def has_xdist_hooks(config):
    # Asks for xdist's hook specs rather than a plugin name: xdist may be loaded under another
    # name (-p xdist.plugin with plugin autoload off).
    caller = getattr(config.hook, "pytest_handlecrashitem", None)
    return caller is not None and caller.has_spec()


def is_xdist_controller(config):
    # xdist registers its DSession under this name only in the controller of a distributed run.
    return config.pluginmanager.has_plugin("dsession")


def read_rss_bytes():
    """Resident memory of this process now, in bytes, or None where it cannot be read.

    Not getrusage's maxrss: that is the peak so far, and run-chunks wants before/after values.
    """
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except Exception:  # noqa: BLE001 - no /proc (macOS): try psutil below
        pass
    try:
        import psutil  # optional; only where /proc is missing

        return int(psutil.Process().memory_info().rss)
    except Exception:  # noqa: BLE001
        return None


def read_gpu_bytes():
    """torch.cuda.memory_allocated() of this process, or None.

    Only when the tests imported torch themselves (importing it here would cost seconds and
    memory), and only once CUDA is initialized: asking an uninitialized CUDA for its numbers
    would create a context (hundreds of MB of GPU memory) and break tests that fork later.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        if not torch.cuda.is_initialized() or not torch.cuda.is_available():
            return None
        return int(torch.cuda.memory_allocated())
    except Exception:  # noqa: BLE001
        return None


class XdistControllerPlugin:
    """worker-crashed events, written by the xdist controller.

    When a worker dies, xdist's DSession.worker_errordown calls pytest_testnodedown(node, error)
    and then, if the worker was running a test, pytest_handlecrashitem(crashitem, report, sched)
    right away. The first has the error, the second the test; so testnodedown keeps the error and
    handlecrashitem writes the event. A worker that died between tests gets no handlecrashitem:
    its event (nodeid null) goes out at the controller's next hook call of ours.
    """

    def __init__(self, writer):
        self.writer = writer
        # worker id -> (error text, exit code, signal name) of a worker that went down and whose
        # event is still to write.
        self.pending = {}

    def pytest_testnodedown(self, node, error):
        try:
            self.flush_pending()
            if error is not None:
                self.pending[node_id(node)] = (describe_error(error),) + worker_exit_status(node)
        except Exception as error_:  # noqa: BLE001
            self.writer.give_up(error_)

    # firstresult hook: run first and return None, so that a plugin that reschedules the crashed
    # test (and returns a value) cannot hide the crash from us.
    @pytest.hookimpl(tryfirst=True)
    def pytest_handlecrashitem(self, crashitem, report, sched):
        try:
            worker = node_id(getattr(report, "node", None))
            if worker == "?" and len(self.pending) == 1:
                # testnodedown for this very worker came just before.
                worker = next(iter(self.pending))
            error, exit_code, signal_name = self.pending.pop(worker, (None, None, None))
            self.flush_pending()
            # xdist's own longrepr, a plain string (longreprtext would add a "[gw0] linux --
            # Python ..." line in front): "worker 'gw0' crashed while running 'tests/x.py::test'".
            longrepr = getattr(report, "longrepr", None)
            if isinstance(longrepr, str) and longrepr.strip():
                message = last_line(longrepr)
            else:
                message = "worker {!r} crashed while running {!r}".format(worker, crashitem)
            if error:
                message = "{} ({})".format(message, error)
            self.writer.write(
                "worker-crashed", crashedWorker=worker, nodeid=crashitem, message=message, exitCode=exit_code, signal=signal_name
            )
        except Exception as error_:  # noqa: BLE001
            self.writer.give_up(error_)

    def pytest_configure_node(self, node):
        # xdist sets up a replacement right after a crash: the crash without a test is settled.
        self.guarded_flush()

    def pytest_runtest_logreport(self, report):
        self.guarded_flush()

    def pytest_sessionfinish(self, session, exitstatus):
        self.guarded_flush()

    def guarded_flush(self):
        try:
            self.flush_pending()
        except Exception as error:  # noqa: BLE001
            self.writer.give_up(error)

    def flush_pending(self):
        while self.pending:
            worker, (error, exit_code, signal_name) = self.pending.popitem()
            message = "worker {!r} crashed while running no test ({})".format(worker, error)
            self.writer.write(
                "worker-crashed", crashedWorker=worker, nodeid=None, message=message, exitCode=exit_code, signal=signal_name
            )


def node_id(node):
    """The worker id ("gw0") of an xdist WorkerController."""
    gateway = getattr(node, "gateway", None)
    worker = getattr(gateway, "id", None)
    if worker is None:
        worker = (getattr(node, "workerinput", None) or {}).get("workerid")
    return str(worker) if worker is not None else "?"


# How long the controller waits to reap a worker that went down: its channel is closed already,
# so it is gone or about to be; a worker stuck in the kernel must not hold the run up.
WORKER_REAP_TIMEOUT_S = 2.0


def worker_exit_status(node):
    """(exit code, signal name) of a dead xdist worker, each None where it cannot be read.

    execnet keeps the worker's subprocess.Popen at gateway._io.popen (a private attribute, hence
    every guard): a negative returncode is the signal that killed it (-9: SIGKILL, a kernel OOM
    kill among others), 0 or more its exit code (os._exit in a test, say).
    """
    try:
        popen = getattr(getattr(node.gateway, "_io", None), "popen", None)
        if popen is None:
            return None, None
        code = popen.wait(timeout=WORKER_REAP_TIMEOUT_S)
        if code is None:
            return None, None
        if code < 0:
            import signal

            try:
                return None, signal.Signals(-code).name
            except ValueError:
                return None, "signal {}".format(-code)
        return int(code), None
    except Exception:  # noqa: BLE001 - unknown, never an error
        return None, None


def describe_error(error):
    """One line for an exception or xdist's error object (a string, or a remote traceback)."""
    if isinstance(error, BaseException):
        return "{}: {}".format(type(error).__name__, error)
    return last_line(str(error)) or repr(error)


def warn(text):
    # stderr rather than warnings.warn: under -W error a warning would become an error and change
    # the run's outcome. Between test phases pytest's capturing is suspended, so this reaches the
    # terminal (xdist workers share the controller's stderr).
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass
