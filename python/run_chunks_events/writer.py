"""The events file: one unbuffered ``os.write`` per JSON line on an ``O_APPEND`` fd."""

import json
import os
import time
from json.encoder import encode_basestring as _json_string

from .node_ids import format_node_ids
from .text import describe_error, warn


# For values other than str, int, float, bool and None (none of the plugin's events has one today).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_INFINITY = float("inf")
_FORK_HOOK = hasattr(os, "register_at_fork")


def _now():
    """(whole seconds, microseconds) since the epoch: "t" of every event, written as seconds.microseconds."""
    return divmod(time.time_ns() // 1000, 1000000)


def format_fields(fields):
    """``,"name":value`` for each field that is not None, as JSON.

    Written by hand rather than by json's encoder: two lines per test go through here, and in a
    pytest run, where nothing stays in the CPU's caches between tests, the encoder took 15 to 20 µs
    for a test-end line and this a fraction of it. A None field is left out: run-chunks reads a
    missing field as null. Names are the plugin's own identifiers, so they need no escaping.
    """
    parts = []
    for name, value in fields.items():
        kind = type(value)
        if value is None:
            continue
        if kind is str:
            parts.append(',"%s":%s' % (name, _json_string(value)))
        elif kind is int:
            parts.append(',"%s":%d' % (name, value))
        elif kind is bool:
            parts.append(',"%s":%s' % (name, "true" if value else "false"))
        elif kind is float:
            # NaN and infinities are not JSON: such a figure is unknown, so it is left out.
            if value == value and -_INFINITY < value < _INFINITY:
                parts.append(',"%s":%r' % (name, value))
        else:
            parts.append(',"%s":%s' % (name, _encode(value)))
    return "".join(parts)


class EventWriter:
    """Appends events to the events file, one unbuffered write per line."""

    def __init__(self, path, worker):
        self.path = path
        self.worker = worker
        self.fd = None
        self.failed = False
        # '"pid":N,"worker":"gw0"' of this process.
        self.pid = None
        self.identity = None
        if _FORK_HOOK:
            os.register_at_fork(after_in_child=self._forget_identity)
        try:
            # Python opens fds non-inheritable, so subprocesses that tests start don't get it.
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as error:
            # An xdist worker opens the same path as its controller, which started first and
            # already said why that fails: one warning per run, not one per worker.
            self.failed = worker is not None
            self.give_up(error)

    def write(self, event, **fields):
        if self.fd is not None:
            self._emit('{"event":"%s",%s,"t":%d.%06d%s}\n' % ((event, self._identity()) + _now() + (format_fields(fields),)))

    # The two events of every test: each a single % format with its usual fields written in. At
    # two lines per test this is the plugin's hottest code; in CPython a float's repr alone costs
    # what a whole line's other fields do, so times go out as whole seconds and microseconds.
    def write_test_start(self, nodeid, rss, gpu):
        if self.fd is None:
            return
        seconds, micros = _now()
        if rss is not None and gpu is None:
            self._emit('{"event":"test-start",%s,"t":%d.%06d,"nodeid":%s,"rss":%d}\n' % (self._identity(), seconds, micros, _json_string(nodeid), rss))
        else:
            self._emit('{"event":"test-start",%s,"t":%d.%06d,"nodeid":%s%s}\n' % (self._identity(), seconds, micros, _json_string(nodeid), format_fields({"rss": rss, "gpu": gpu})))

    def write_test_end(self, nodeid, outcome, duration, shared_setup, rss, file, line, peaks, gpu, message, longrepr, group=(None, None), crash=None):
        """test-end; ``peaks`` is PeakMeter.end()'s TestPeaks, ``group`` GroupMeter.end()'s (peak, start), ``crash`` reports.crash_of's dict."""
        if self.fd is None:
            return
        seconds, micros = _now()
        # Whole nanoseconds: pytest's durations are finite and never negative (checked anyway).
        duration_ns = int(duration * 1e9) if 0 <= duration < _INFINITY else 0
        peak, child_peak, gpu_peak, new_modules, _ = peaks
        head = '{"event":"test-end",%s,"t":%d.%06d,"nodeid":%s,"outcome":"%s","duration":%d.%09d,"sharedSetup":%s,"newModules":%d' % (
            self._identity(), seconds, micros, _json_string(nodeid), outcome, duration_ns // 1000000000, duration_ns % 1000000000,
            "true" if shared_setup else "false", new_modules or 0,
        )
        if rss is not None and file is not None and line is not None and peak is not None:
            head = '%s,"rss":%d,"file":%s,"line":%d,"peak":%d,"peakMethod":"hwm"' % (head, rss, _json_string(file), line, peak)
        else:
            head += format_fields({"rss": rss, "file": file, "line": line, "peak": peak, "peakMethod": None if peak is None else "hwm"})
        group_peak, group_start = group
        if child_peak is None and gpu_peak is None and gpu is None and message is None and longrepr is None and group_peak is None and crash is None:
            self._emit(head + "}\n")
        else:
            extra = {"childPeak": child_peak, "gpuPeak": gpu_peak, "gpu": gpu, "message": message, "longrepr": longrepr, "groupPeak": group_peak, "groupStart": group_start, "crash": crash}
            self._emit(head + format_fields(extra) + "}\n")

    def _identity(self):
        """'"pid":N' and, in an xdist worker, ',"worker":"gw0"' of this process."""
        if self.identity is None or (not _FORK_HOOK and self.pid != os.getpid()):
            self.pid = os.getpid()
            self.identity = '"pid":%d' % self.pid + ("" if self.worker is None else ',"worker":' + _json_string(self.worker))
        return self.identity

    def _forget_identity(self):
        # A forked child (a test that forks, and then runs more of pytest there) has a pid of its own.
        self.identity = None

    def _emit(self, text):
        try:
            # "replace": a lone surrogate (a node id from an undecodable file name) becomes "?".
            line = text.encode("utf-8", "replace")
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
