import pytest

from signal_lib import dft_magnitude, sine

pytestmark = pytest.mark.validation

# Reference: a unit sine of k cycles over N samples has DFT magnitude N/2 at bin k, ~0 elsewhere.
N = 256


@pytest.mark.parametrize("cycles", [1, 4, 16, 32])
def test_dft_peak_matches_reference(cycles):
    assert dft_magnitude(sine(cycles, N, N), cycles) == pytest.approx(N / 2, rel=1e-6)


@pytest.mark.parametrize("cycles", [4, 16])
def test_dft_off_peak_is_near_zero(cycles):
    assert dft_magnitude(sine(cycles, N, N), cycles + 3) < 1e-6
