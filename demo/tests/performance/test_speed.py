import time

import pytest

from signal_lib import moving_average, sine

pytestmark = pytest.mark.performance


def test_moving_average_is_linear_time():
    small, large = sine(5, 1000, 20_000), sine(5, 1000, 80_000)
    start = time.perf_counter()
    moving_average(small, 50)
    small_s = time.perf_counter() - start
    start = time.perf_counter()
    moving_average(large, 50)
    large_s = time.perf_counter() - start
    # Four times the input should take about four times as long; 12x allows for a noisy machine.
    assert large_s < max(small_s, 1e-4) * 12


def test_sine_generation_rate():
    start = time.perf_counter()
    sine(440, 48_000, 48_000)
    assert time.perf_counter() - start < 2.0
