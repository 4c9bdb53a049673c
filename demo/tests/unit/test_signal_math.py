import math

import pytest

from signal_lib import moving_average, rms, sine, zero_crossings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("amplitude", [0.5, 1.0, 2.0, 4.0])
def test_rms_of_constant_is_its_magnitude(amplitude):
    assert rms([amplitude] * 100) == pytest.approx(amplitude)


@pytest.mark.parametrize("frequency", [1, 2, 5, 10, 20])
def test_rms_of_sine_is_one_over_root_two(frequency):
    assert rms(sine(frequency, 1000, 1000)) == pytest.approx(1 / math.sqrt(2), rel=1e-3)


@pytest.mark.parametrize("width", [1, 2, 3, 8])
def test_moving_average_of_constant_is_constant(width):
    assert moving_average([3.0] * 20, width) == pytest.approx([3.0] * 20)


def test_moving_average_rejects_zero_width():
    with pytest.raises(ValueError):
        moving_average([1.0], 0)


@pytest.mark.parametrize("frequency", [1, 3, 7])
def test_zero_crossings_count_half_periods(frequency):
    signal = sine(frequency, 1000, 1000)
    assert abs(zero_crossings(signal) - 2 * frequency) <= 1


def test_rms_of_empty_signal_is_zero():
    assert rms([]) == 0.0
