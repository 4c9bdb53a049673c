"""Each test's peak memory with its children's: a memory cgroup of this process, from the kernel.

Where run-chunks runs a chunk in a cgroup of its own, it says so in ``RUN_CHUNKS_CGROUP``
("1:/sys/fs/cgroup/memory/.../run-chunks-...", or "2:..."). A process that runs tests (a
single pytest, or each xdist worker; never the controller) then makes a cgroup of its own under
the chunk's and moves itself into it. What the process and every child it starts from then on
allocate is charged there, and before each test the kernel's high-water mark of that charge is
reset (v1: write 0 to ``memory.max_usage_in_bytes``; v2: write to ``memory.peak``, which since
Linux 6.12 resets the peak as seen through that open file). At the end of the test the mark is
the exact peak of everything the test's process and its children held at once: the children
still running, and those never waited for, included (getrusage's ``childPeak`` has only the
children that ended and were waited for).

It is a charge, not an RSS: the page cache they read or wrote is in it, and memory the process
held before it moved in is charged to the chunk's cgroup, not this one. So the event carries the
peak and the charge at the start (``groupPeak``, ``groupStart``); their difference is what the
test added at its highest. The kernel charges in batches of up to 64 pages per CPU, so both may
be off by that much (256 KiB per CPU).

The chunk's own counters stay whole: both versions count a child cgroup in its parent's usage,
peak and limit (v1 only with ``memory.use_hierarchy`` 1, checked before moving), and run-chunks
sums v1's per-cgroup OOM kills over the tree and removes these cgroups after the chunk.
"""

import os

CGROUP_VARIABLE = "RUN_CHUNKS_CGROUP"

# Per version: (the file that holds the peak, and resets it when written; the file with the charge now).
FILES = {
    "1": ("memory.max_usage_in_bytes", "memory.usage_in_bytes"),
    "2": ("memory.peak", "memory.current"),
}


def _read_number(fd):
    return int(os.pread(fd, 64, 0).split()[0])


class GroupMeter:
    """This process's own memory cgroup under the chunk's: ``start()`` before setup, ``end()`` after teardown."""

    def __init__(self, spec):
        self.version = None
        self.parent = None
        self.dir = None
        self.pid = None
        # Why there is no per-test figure (once per process, for the session's event); None while there is.
        self.unavailable = None
        self.peak_fd = None
        self.current_fd = None
        self.start_bytes = None
        self.reset_ok = False
        version, _, parent = (spec or "").partition(":")
        if version in FILES and parent.startswith("/"):
            self.version = version
            self.parent = parent
        else:
            self.unavailable = "{} is not VERSION:/path ({!r})".format(CGROUP_VARIABLE, spec)

    @property
    def source(self):
        """Where the figure comes from, as report.json names it."""
        return "cgroup v{} {}".format(self.version, FILES[self.version][0]) if self.version else None

    def _join(self):
        """Makes this process's cgroup and moves into it, once per process; False (with a reason) where it cannot."""
        pid = os.getpid()
        if self.pid == pid:
            return self.unavailable is None
        self.close()
        self.pid = pid
        if self.version is None:
            return False
        try:
            if self.version == "1":
                # Without hierarchy, a child cgroup would not count against the chunk's limit.
                with open(os.path.join(self.parent, "memory.use_hierarchy"), "rb") as handle:
                    if handle.read().strip() != b"1":
                        self.unavailable = "memory.use_hierarchy is 0 under {}: a cgroup of its own would escape the chunk's limit".format(self.parent)
                        return False
            directory = os.path.join(self.parent, "pytest-{}".format(pid))
            try:
                os.mkdir(directory)
            except FileExistsError:
                pass  # a pid of an earlier process of this attempt, reused: its cgroup is empty now
            peak_file, current_file = FILES[self.version]
            if not os.path.exists(os.path.join(directory, current_file)):
                os.rmdir(directory)
                self.unavailable = "the memory controller is not enabled for cgroups under {}".format(self.parent)
                return False
            try:
                # Opened for writing before moving in: a v2 kernel before 6.12 has memory.peak
                # read-only, and then this process stays where it was.
                self.peak_fd = os.open(os.path.join(directory, peak_file), os.O_RDWR)
                self.current_fd = os.open(os.path.join(directory, current_file), os.O_RDONLY)
                with open(os.path.join(directory, "cgroup.procs"), "w") as procs:
                    procs.write(str(pid))
            except OSError as error:
                self.close()
                os.rmdir(directory)
                self.unavailable = "cannot measure in a cgroup of its own under {} ({}: {}{})".format(
                    self.parent, peak_file, error.strerror or error, "; resetting memory.peak needs Linux 6.12" if self.version == "2" else ""
                )
                return False
            self.dir = directory
            self.unavailable = None
            return True
        except OSError as error:
            self.unavailable = "cannot make a cgroup of its own under {}: {}".format(self.parent, error.strerror or error)
            self.close()
            return False

    def start(self):
        self.reset_ok = False
        self.start_bytes = None
        if not self._join():
            return
        try:
            # v1: 0 sets the high-water mark to the usage now; v2 (Linux >= 6.12): any write
            # restarts the peak seen through this fd. An older v2 refuses it: no per-test peak.
            self.reset_ok = os.pwrite(self.peak_fd, b"0" if self.version == "1" else b"reset", 0) > 0
            self.start_bytes = _read_number(self.current_fd)
        except (OSError, ValueError, IndexError) as error:
            self.reset_ok = False
            if self.unavailable is None:
                self.unavailable = "the peak of {} cannot be reset ({})".format(self.dir, getattr(error, "strerror", None) or error)

    def end(self):
        """(peak, charge at the start) in bytes during the test; (None, None) where not measured."""
        if not self.reset_ok or self.pid != os.getpid():
            return None, None
        try:
            return _read_number(self.peak_fd), self.start_bytes
        except (OSError, ValueError, IndexError):
            return None, None

    def close(self):
        for fd in {self.peak_fd, self.current_fd} - {None}:
            try:
                os.close(fd)
            except OSError:
                pass
        self.peak_fd = self.current_fd = None
        self.dir = None
