"""A tiny signal-processing library for the demo suite (pure Python, no dependencies)."""
import math


def sine(frequency_hz, sample_rate_hz, samples):
    return [math.sin(2 * math.pi * frequency_hz * n / sample_rate_hz) for n in range(samples)]


def rms(signal):
    return math.sqrt(sum(x * x for x in signal) / len(signal)) if signal else 0.0


def moving_average(signal, width):
    if width < 1:
        raise ValueError("width must be at least 1")
    out, total = [], 0.0
    for i, x in enumerate(signal):
        total += x
        if i >= width:
            total -= signal[i - width]
        out.append(total / min(i + 1, width))
    return out


def zero_crossings(signal):
    return sum(1 for a, b in zip(signal, signal[1:]) if (a < 0) != (b < 0))


def dft_magnitude(signal, bin_index):
    n = len(signal)
    re = sum(x * math.cos(2 * math.pi * bin_index * k / n) for k, x in enumerate(signal))
    im = -sum(x * math.sin(2 * math.pi * bin_index * k / n) for k, x in enumerate(signal))
    return math.hypot(re, im)
