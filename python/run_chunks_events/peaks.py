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
- ``peak`` of session-finish: the process's own peak over its whole life, VmHWM read just before
  each reset and at the end, so the resets lose nothing of it.
- ``gpuPeak``: ``torch.cuda.max_memory_allocated()``, reset at the test's start, when the tests
  themselves imported torch and initialised CUDA (or initialised it during this test, which
  starts torch's counters at zero). Never initialised here: that would create a CUDA context.
"""

import os
import resource
import sys

# /proc/self/status fits in 4 KiB on every kernel seen; 16 KiB leaves room for long names.
STATUS_READ_BYTES = 16384


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


class PeakMeter:
    """Measures one test at a time in this process: ``start()`` before setup, ``end()`` after teardown."""

    def __init__(self):
        self.pid = None
        self.clear_fd = None
        self.status_fd = None
        self.reset_ok = False
        self.children_at_start = None
        self.cuda_at_start = False
        self.gpu_reset = False
        self.modules_at_start = 0
        # This process's own peak across the resets: VmHWM read just before each one.
        self.lifetime_peak = None

    def _files(self):
        # /proc/self is resolved when the file is opened: a forked child must open its own.
        pid = os.getpid()
        if self.pid != pid:
            self.close()
            self.pid = pid
            self.lifetime_peak = None
            self.clear_fd = _open("/proc/self/clear_refs", os.O_WRONLY)
            self.status_fd = _open("/proc/self/status", os.O_RDONLY)

    def start(self):
        """Resets the peak; returns this process's RSS now (bytes), or None where /proc/self/status is unreadable."""
        self._files()
        self.reset_ok = False
        rss, hwm = self._read_status()
        self._keep_lifetime_peak(hwm)
        if self.clear_fd is not None and hwm is not None:
            try:
                self.reset_ok = os.write(self.clear_fd, b"5") == 1
            except OSError:
                self.reset_ok = False
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
        """The test's figures, as fields of its test-end event, and this process's RSS now (None where unreadable)."""
        rss, hwm = self._read_status() if self.pid == os.getpid() else (None, None)
        peak = hwm if self.reset_ok else None
        children = _children_maxrss_bytes()
        child_peak = children if children is not None and self.children_at_start is not None and children > self.children_at_start else None
        gpu_peak = None
        cuda = _cuda()
        # Reset at the start, or initialised during this test (torch's counters start at zero
        # then): either way the peak is this test's. Initialised before but not reset: unknown.
        if cuda is not None and (self.gpu_reset or not self.cuda_at_start):
            try:
                gpu_peak = int(cuda.max_memory_allocated())
            except Exception:  # noqa: BLE001
                gpu_peak = None
        figures = {
            "peak": peak,
            "peakMethod": "hwm" if peak is not None else None,
            "childPeak": child_peak,
            "gpuPeak": gpu_peak,
            "newModules": max(0, len(sys.modules) - self.modules_at_start),
        }
        return figures, rss

    def process_peak(self):
        """This process's exact peak RSS over its whole life so far, resets included; None where VmHWM is unreadable."""
        self._files()
        self._keep_lifetime_peak(self._read_status()[1])
        return self.lifetime_peak

    def _keep_lifetime_peak(self, hwm):
        """Keeps a VmHWM read before it is reset, as part of this process's whole-session peak."""
        if hwm is not None and (self.lifetime_peak is None or hwm > self.lifetime_peak):
            self.lifetime_peak = hwm

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
        for fd in (self.clear_fd, self.status_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.clear_fd = None
        self.status_fd = None
