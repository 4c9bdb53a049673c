"""The events file: one unbuffered ``os.write`` per JSON line on an ``O_APPEND`` fd."""

import json
import os
import time

from .node_ids import format_node_ids
from .text import describe_error, warn


# One encoder for every line: json.dumps with options builds a new encoder on each call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


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
            line = (_encode(record) + "\n").encode("utf-8", "replace")
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
