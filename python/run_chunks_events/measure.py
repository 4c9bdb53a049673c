"""This process's memory now: RSS, and torch's CUDA allocation where the tests initialised it."""

import os
import sys


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
