"""PeakMeter: each test's exact peak from VmHWM, and what it says where that is not possible."""

import subprocess
import sys
import time
import types

import pytest

from run_chunks_events import peaks
from run_chunks_events.measure import read_rss_bytes

MIB = 1024 * 1024


def filled(size):
    return b"\x01" * size


@pytest.mark.parametrize("hold_s", [0.0, 0.001, 0.1])
def test_a_peak_held_briefly_is_measured_exactly(hold_s):
    meter = peaks.PeakMeter()
    meter.start()
    before = read_rss_bytes()
    block = filled(200 * MIB)
    time.sleep(hold_s)
    del block
    figures = meter.end()[0]
    assert figures["peakMethod"] == "hwm"
    rise = figures["peak"] - before
    assert abs(rise - 200 * MIB) <= 0.02 * 200 * MIB, rise / MIB


def test_each_start_resets_the_peak_to_the_memory_in_use_now():
    meter = peaks.PeakMeter()
    meter.start()
    block = filled(150 * MIB)
    del block
    first = meter.end()[0]["peak"]
    meter.start()
    second = meter.end()[0]["peak"]
    assert first - second >= 140 * MIB, (first / MIB, second / MIB)


def test_no_peak_where_the_reset_is_refused(monkeypatch):
    monkeypatch.setattr(peaks, "_open", lambda path, flags: None)
    meter = peaks.PeakMeter()
    meter.start()
    figures = meter.end()[0]
    assert figures["peak"] is None
    assert figures["peakMethod"] is None


def test_a_failing_reset_write_gives_no_peak(monkeypatch):
    meter = peaks.PeakMeter()

    def refuse(fd, data):
        raise PermissionError(13, "Operation not permitted")

    monkeypatch.setattr(peaks.os, "write", refuse)
    meter.start()
    monkeypatch.undo()
    assert meter.end()[0]["peak"] is None


def test_a_child_that_ended_during_the_test_gives_a_lower_bound_of_its_peak():
    meter = peaks.PeakMeter()
    meter.start()
    code = "b = b'\\x01' * (120 * 1024 * 1024)"
    subprocess.run([sys.executable, "-c", code], check=True)
    figures = meter.end()[0]
    # Larger than any child before it in this session, so the counter rose during the test.
    assert figures["childPeak"] is not None and figures["childPeak"] >= 120 * MIB
    meter.start()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert meter.end()[0]["childPeak"] is None, "a smaller child does not raise the largest peak so far"


def test_modules_imported_during_the_test_are_counted():
    meter = peaks.PeakMeter()
    sys.modules.pop("run_chunks_test_fresh_module", None)
    meter.start()
    sys.modules["run_chunks_test_fresh_module"] = types.ModuleType("run_chunks_test_fresh_module")
    figures = meter.end()[0]
    del sys.modules["run_chunks_test_fresh_module"]
    assert figures["newModules"] == 1


class FakeCuda:
    """The parts of torch.cuda the meter calls, counting like torch does."""

    def __init__(self, initialized):
        self.initialized = initialized
        self.peak = 0
        self.resets = 0

    def is_initialized(self):
        return self.initialized

    def reset_peak_memory_stats(self):
        self.resets += 1
        self.peak = 0

    def max_memory_allocated(self):
        return self.peak


def fake_torch(monkeypatch, cuda):
    torch = types.ModuleType("torch")
    torch.cuda = cuda
    monkeypatch.setitem(sys.modules, "torch", torch)


def test_gpu_peak_from_torch_when_cuda_is_initialised(monkeypatch):
    cuda = FakeCuda(initialized=True)
    cuda.peak = 999
    fake_torch(monkeypatch, cuda)
    meter = peaks.PeakMeter()
    meter.start()
    assert cuda.resets == 1
    cuda.peak = 512 * MIB
    assert meter.end()[0]["gpuPeak"] == 512 * MIB


def test_gpu_peak_of_a_test_that_initialised_cuda_itself(monkeypatch):
    cuda = FakeCuda(initialized=False)
    fake_torch(monkeypatch, cuda)
    meter = peaks.PeakMeter()
    meter.start()
    assert cuda.resets == 0, "an uninitialised CUDA is never touched"
    cuda.initialized = True
    cuda.peak = 64 * MIB
    assert meter.end()[0]["gpuPeak"] == 64 * MIB


def test_no_gpu_peak_without_torch_or_when_the_reset_failed(monkeypatch):
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    meter = peaks.PeakMeter()
    meter.start()
    assert meter.end()[0]["gpuPeak"] is None
    cuda = FakeCuda(initialized=True)

    def broken():
        raise RuntimeError("CUDA error")

    cuda.reset_peak_memory_stats = broken
    fake_torch(monkeypatch, cuda)
    meter.start()
    cuda.peak = 5
    assert meter.end()[0]["gpuPeak"] is None, "initialised before the test and not reset: the peak may be an earlier test's"


def test_the_process_peak_survives_the_per_test_resets():
    meter = peaks.PeakMeter()
    meter.start()
    before = read_rss_bytes()
    block = filled(250 * MIB)
    del block
    meter.end()[0]
    meter.start()  # resets VmHWM: the 250 MiB peak is gone from the kernel's counter
    meter.end()[0]
    assert meter.process_peak() - before >= 245 * MIB


def test_no_process_peak_without_vmhwm(monkeypatch):
    monkeypatch.setattr(peaks, "_open", lambda path, flags: None)
    assert peaks.PeakMeter().process_peak() is None
