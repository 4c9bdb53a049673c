"""Unit tests that need big buffers: run with fewer workers so that they fit in memory."""
import pytest

pytestmark = [pytest.mark.unit, pytest.mark.memory_intensive]

MIB = 1024 * 1024


@pytest.mark.parametrize("size_mib", [64, 96, 128])
def test_large_buffer_round_trip(size_mib):
    buffer = bytearray(size_mib * MIB)
    buffer[::4096] = b"\x01" * len(range(0, len(buffer), 4096))  # touch every page
    assert sum(buffer[::4096]) == len(buffer) // 4096
    del buffer


def test_copy_of_large_buffer_is_equal():
    original = bytes(range(256)) * (64 * MIB // 256)
    assert bytearray(original) == original
