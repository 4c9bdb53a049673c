"""Each test's exact peak memory: VmHWM reset at its start, read at its end.

Linux keeps a process's high-water mark of resident memory (``VmHWM`` in /proc/self/status)
and, since 4.0, lets the process reset it to its current RSS by writing ``5`` to
/proc/self/clear_refs. Reset before a test's setup and read after its teardown, it is the
exact peak of this process during that test, however short: no sampler can miss it. Where
either file is missing or refused (macOS, gVisor, a hardened kernel) the peak is not known
here, and the event says so (``peakMethod`` null): run-chunks then falls back to its samples.

Two more figures, each only where the kernel or torch gives it exactly:

- ``childPeak``: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the largest peak of any child
  process waited for so far. When it rose during the test, a child that ended during the test
  reached that much: a lower bound of what the test's children needed (children still running,
  or never waited for, are not in it).
- ``peak`` of session-finish: the process's own peak over its whole life: VmHWM (or ru_maxrss
  where that is proven the same, see ``PeakMeter.start``) read just before each reset and at the
  end, so the resets lose nothing of it.
- ``gpuPeak``: ``torch.cuda.max_memory_allocated()``, reset at the test's start, when the tests
  themselves imported torch and initialised CUDA (or initialised it during this test, which
  starts torch's counters at zero). Never initialised here: that would create a CUDA context.
"""

import os
import resource
import sys
from collections import namedtuple

# /proc/self/status fits in 4 KiB on every kernel seen; 16 KiB leaves room for long names.
STATUS_READ_BYTES = 16384
_FORK_HOOK = hasattr(os, "register_at_fork")
try:
    PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, OSError, ValueError):
    PAGE_SIZE = 4096


def _open(path, flags):
    try:
        return os.open(path, flags)
    except OSError:
        return None


def _children_maxrss_bytes():
    try:
        # Linux reports KiB (macOS bytes, but there is no VmHWM there either way).
        return int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024
    except Exception:  # noqa: BLE001
        return None


def _self_maxrss_bytes():
    try:
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
    except Exception:  # noqa: BLE001
        return None


def _cuda():
    """torch.cuda when the tests imported torch and CUDA is initialised, else None."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        return torch.cuda if torch.cuda.is_initialized() else None
    except Exception:  # noqa: BLE001
        return None


def _field_bytes(status, name):
    """A "Name:   123 kB" field of /proc/self/status, in bytes; None when absent."""
    start = status.find(name)
    if start < 0:
        return None
    start += len(name)
    end = status.find(b"kB", start)
    try:
        return int(status[start:end]) * 1024 if end > 0 else None
    except ValueError:
        return None


# What ``PeakMeter.end()`` measured; each None where it is not known. ``peak``: this process's
# exact peak RSS during the test (bytes); ``child_peak``: a lower bound of its children's (see
# above); ``gpu_peak``: torch's exact GPU peak; ``new_modules``: modules imported during the test;
# ``rss``: this process's RSS at the end.
TestPeaks = namedtuple("TestPeaks", "peak child_peak gpu_peak new_modules rss")


class PeakMeter:
    """Measures one test at a time in this process: ``start()`` before setup, ``end()`` after teardown."""

    def __init__(self):
        self.pid = None
        self.clear_fd = None
        self.status_fd = None
        self.statm_fd = None
        self.reset_ok = False
        # Whether getrusage's ru_maxrss is VmHWM in this process (see start()); until then
        # VmHWM is read from /proc/self/status.
        self.maxrss_clean = False
        self.rss_at_start = None
        self.children_at_start = None
        self.cuda_at_start = False
        self.gpu_reset = False
        self.modules_at_start = 0
        # This process's own peak across the resets: VmHWM read just before each one.
        self.lifetime_peak = None
        # /proc/self is resolved when a file is opened: a forked child must open its own. Told
        # by os.fork() rather than asked with getpid() twice per test (a system call each).
        if _FORK_HOOK:
            os.register_at_fork(after_in_child=self._forget_files)

    def _forget_files(self):
        self.pid = None

    def _forked(self):
        return self.pid is None or (not _FORK_HOOK and self.pid != os.getpid())

    def _files(self):
        if self._forked():
            self.close()
            self.pid = os.getpid()
            self.lifetime_peak = None
            self.maxrss_clean = False
            self.clear_fd = _open("/proc/self/clear_refs", os.O_WRONLY)
            self.status_fd = _open("/proc/self/status", os.O_RDONLY)
            self.statm_fd = _open("/proc/self/statm", os.O_RDONLY)

    def start(self):
        """Resets the peak; returns this process's RSS now (bytes), or None where /proc/self/statm is unreadable."""
        self._files()
        self.reset_ok = False
        linux = self.status_fd is not None
        # The peak since the last reset, kept for the whole-session peak before the reset drops it.
        if self.maxrss_clean:
            self._keep_lifetime_peak(_self_maxrss_bytes())
        elif linux:
            self._keep_lifetime_peak(self._read_status()[1])
        if self.clear_fd is not None and linux:
            try:
                self.reset_ok = os.write(self.clear_fd, b"5") == 1
            except OSError:
                self.reset_ok = False
        rss = self.rss_at_start = self._read_rss()
        if self.reset_ok and not self.maxrss_clean and rss is not None:
            # getrusage's ru_maxrss is the larger of VmHWM and a figure the kernel set at the
            # last exec: the peak of the memory that exec replaced, which for a child started
            # with vfork (Python's subprocess, so every xdist worker) is its parent's, and which
            # nothing changes until the process ends. Right after a reset, ru_maxrss no higher
            # than the RSS read after it proves that figure no higher than anything this process
            # will measure: from then on ru_maxrss is VmHWM, one system call where
            # /proc/self/status has the kernel write ~55 fields (about 1 against 6 µs here).
            after_reset = _self_maxrss_bytes()
            self.maxrss_clean = after_reset is not None and after_reset <= rss
        self.children_at_start = _children_maxrss_bytes()
        self.modules_at_start = len(sys.modules)
        cuda = _cuda()
        self.cuda_at_start = cuda is not None
        self.gpu_reset = False
        if cuda is not None:
            try:
                cuda.reset_peak_memory_stats()
                self.gpu_reset = True
            except Exception:  # noqa: BLE001
                pass
        return rss

    def end(self):
        """The test's figures (a TestPeaks); every one None in a process that did not start the test (a fork)."""
        if self._forked():
            return TestPeaks(None, None, None, None, None)
        if self.maxrss_clean and self.reset_ok:
            peak = _self_maxrss_bytes()
            rss = self._read_rss()
            # getrusage takes the RSS now from the kernel's per-CPU counters without summing them
            # (/proc reads sum them, on recent kernels): on a many-core machine it may lag the RSS
            # read after it by up to a batch per CPU (256 KiB seen here, on 2). The peak is never
            # below a figure read in the test.
            if peak is not None:
                for read in (rss, self.rss_at_start):
                    if read is not None and read > peak:
                        peak = read
        else:
            rss, hwm = self._read_status()
            peak = hwm if self.reset_ok else None
        children = _children_maxrss_bytes()
        child_peak = children if children is not None and self.children_at_start is not None and children > self.children_at_start else None
        gpu_peak = None
        if "torch" in sys.modules:
            cuda = _cuda()
            # Reset at the start, or initialised during this test (torch's counters start at zero
            # then): either way the peak is this test's. Initialised before but not reset: unknown.
            if cuda is not None and (self.gpu_reset or not self.cuda_at_start):
                try:
                    gpu_peak = int(cuda.max_memory_allocated())
                except Exception:  # noqa: BLE001
                    gpu_peak = None
        new_modules = len(sys.modules) - self.modules_at_start
        return TestPeaks(peak, child_peak, gpu_peak, new_modules if new_modules > 0 else 0, rss)

    def process_peak(self):
        """This process's exact peak RSS over its whole life so far, resets included; None where VmHWM is unreadable."""
        self._files()
        self._keep_lifetime_peak(self._read_status()[1])
        return self.lifetime_peak

    def _keep_lifetime_peak(self, hwm):
        """Keeps a VmHWM read before it is reset, as part of this process's whole-session peak."""
        if hwm is not None and (self.lifetime_peak is None or hwm > self.lifetime_peak):
            self.lifetime_peak = hwm

    def _read_rss(self):
        """This process's RSS in bytes from /proc/self/statm (its second field, in pages); None where unreadable."""
        if self.statm_fd is None:
            return None
        try:
            return int(os.pread(self.statm_fd, 256, 0).split()[1]) * PAGE_SIZE
        except (OSError, ValueError, IndexError):
            return None

    def _read_status(self):
        """(VmRSS, VmHWM) of this process in bytes, from one read of /proc/self/status; None each where unreadable."""
        if self.status_fd is None:
            return None, None
        try:
            data = os.pread(self.status_fd, STATUS_READ_BYTES, 0)
        except OSError:
            return None, None
        return _field_bytes(data, b"VmRSS:"), _field_bytes(data, b"VmHWM:")

    def close(self):
        for fd in (self.clear_fd, self.status_fd, self.statm_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.clear_fd = None
        self.status_fd = None
        self.statm_fd = None
