import os
import signal
import time

import pytest

from signal_lib import rms, sine

pytestmark = pytest.mark.stress

MIB = 1024 * 1024


def test_rms_of_a_long_signal():
    assert rms(sine(50, 48_000, 200_000)) == pytest.approx(0.7071, rel=1e-3)


def test_many_short_signals():
    for frequency in range(1, 200):
        assert rms(sine(frequency, 8000, 400)) > 0


def test_unbounded_cache_is_killed_like_an_oom():
    """Demonstrates the failure run-chunks exists for.

    The test grows a cache without bound, the way a model cache leaks. On a real machine the
    kernel's OOM killer would end it with SIGKILL (exit 137) once memory ran out; so as not to
    take the demo machine to the edge, it stops at 256 MiB and sends itself the same SIGKILL.
    pytest dies without writing its JUnit file, and only this chunk is lost.
    """
    cache = []
    for _ in range(16):
        block = bytearray(16 * MIB)
        block[::4096] = b"\x01" * len(range(0, len(block), 4096))
        cache.append(block)
        time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGKILL)
