"""xdist: which worker this is, whether this is the controller, and the controller's worker-crashed events."""

import pytest

from .text import describe_error, last_line


def worker_id(config):
    """The xdist worker id ("gw0") of this process, or None outside a worker."""
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict):
        return workerinput.get("workerid")
    return None


def has_xdist_hooks(config):
    # Asks for xdist's hook specs rather than a plugin name: xdist may be loaded under another
    # name (-p xdist.plugin with plugin autoload off).
    caller = getattr(config.hook, "pytest_handlecrashitem", None)
    return caller is not None and caller.has_spec()


def will_distribute(config):
    """Whether xdist will run this session's tests in workers (-n N, --dist, --tx), as decided
    before pytest_configure: the same test xdist makes before it registers its DSession."""
    try:
        return config.getoption("dist") != "no" and bool(config.getoption("tx")) and not config.getoption("collectonly")
    except Exception:  # noqa: BLE001 - not knowable: register, as before
        return True


def is_xdist_controller(config):
    # xdist registers its DSession under this name only in the controller of a distributed run.
    return config.pluginmanager.has_plugin("dsession")


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
        # Called three times per test: nothing to do but look, unless a worker went down.
        if self.pending:
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
