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


def test_unbounded_cache_is_stopped_at_its_memory_limit():
    """Demonstrates the failure run-chunks exists for.

    The test grows a cache without bound, the way a model cache leaks. On a machine without
    limits the kernel's OOM killer would end it with SIGKILL once memory ran out. Here its
    chunk's memoryLimit (256MiB in chunks.config.json) stops it first: run-chunks' sampling
    watchdog, or, under --isolation cgroup where a cgroup is writable, the kernel at the
    chunk's cgroup limit. Either way pytest dies without writing its JUnit file, and only this
    chunk is lost. Run without a limit, it gives up at 1 GiB and fails.
    """
    cache = []
    for _ in range(64):
        block = bytearray(16 * MIB)
        block[::4096] = b"\x01" * len(range(0, len(block), 4096))
        cache.append(block)
        time.sleep(0.05)
    pytest.fail("the cache reached 1 GiB and nothing stopped it: run it with run-chunks, whose stress chunk has a memoryLimit of 256MiB")
