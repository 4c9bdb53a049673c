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
    figures = meter.end()
    assert figures.peak is not None
    rise = figures.peak - before
    assert abs(rise - 200 * MIB) <= 0.02 * 200 * MIB, rise / MIB


def test_each_start_resets_the_peak_to_the_memory_in_use_now():
    meter = peaks.PeakMeter()
    meter.start()
    block = filled(150 * MIB)
    del block
    first = meter.end().peak
    meter.start()
    second = meter.end().peak
    assert first - second >= 140 * MIB, (first / MIB, second / MIB)


def test_no_peak_where_the_reset_is_refused(monkeypatch):
    monkeypatch.setattr(peaks, "_open", lambda path, flags: None)
    meter = peaks.PeakMeter()
    meter.start()
    figures = meter.end()
    assert figures.peak is None
    assert figures.peak is None


def test_a_failing_reset_write_gives_no_peak(monkeypatch):
    meter = peaks.PeakMeter()

    def refuse(fd, data):
        raise PermissionError(13, "Operation not permitted")

    monkeypatch.setattr(peaks.os, "write", refuse)
    meter.start()
    monkeypatch.undo()
    assert meter.end().peak is None


def test_a_child_that_ended_during_the_test_gives_a_lower_bound_of_its_peak():
    meter = peaks.PeakMeter()
    # Larger than any child before it in this session (other tests start some), so that the
    # counter rises during the test.
    size = max(120 * MIB, (peaks._children_maxrss_bytes() or 0) + 60 * MIB)
    meter.start()
    code = "b = b'\\x01' * {}".format(size)
    subprocess.run([sys.executable, "-c", code], check=True)
    figures = meter.end()
    assert figures.child_peak is not None and figures.child_peak >= size
    meter.start()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert meter.end().child_peak is None, "a smaller child does not raise the largest peak so far"


def test_modules_imported_during_the_test_are_counted():
    meter = peaks.PeakMeter()
    sys.modules.pop("run_chunks_test_fresh_module", None)
    meter.start()
    sys.modules["run_chunks_test_fresh_module"] = types.ModuleType("run_chunks_test_fresh_module")
    figures = meter.end()
    del sys.modules["run_chunks_test_fresh_module"]
    assert figures.new_modules == 1


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
    assert meter.end().gpu_peak == 512 * MIB


def test_gpu_peak_of_a_test_that_initialised_cuda_itself(monkeypatch):
    cuda = FakeCuda(initialized=False)
    fake_torch(monkeypatch, cuda)
    meter = peaks.PeakMeter()
    meter.start()
    assert cuda.resets == 0, "an uninitialised CUDA is never touched"
    cuda.initialized = True
    cuda.peak = 64 * MIB
    assert meter.end().gpu_peak == 64 * MIB


def test_no_gpu_peak_without_torch_or_when_the_reset_failed(monkeypatch):
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    meter = peaks.PeakMeter()
    meter.start()
    assert meter.end().gpu_peak is None
    cuda = FakeCuda(initialized=True)

    def broken():
        raise RuntimeError("CUDA error")

    cuda.reset_peak_memory_stats = broken
    fake_torch(monkeypatch, cuda)
    meter.start()
    cuda.peak = 5
    assert meter.end().gpu_peak is None, "initialised before the test and not reset: the peak may be an earlier test's"


def test_the_process_peak_survives_the_per_test_resets():
    meter = peaks.PeakMeter()
    meter.start()
    before = read_rss_bytes()
    block = filled(250 * MIB)
    del block
    meter.end()
    meter.start()  # resets VmHWM: the 250 MiB peak is gone from the kernel's counter
    meter.end()
    assert meter.process_peak() - before >= 245 * MIB


def test_no_process_peak_without_vmhwm(monkeypatch):
    monkeypatch.setattr(peaks, "_open", lambda path, flags: None)
    assert peaks.PeakMeter().process_peak() is None


# A child started with vfork (Python's subprocess) inherits, in getrusage's ru_maxrss, the peak
# of its parent's memory: the kernel sets it at exec from the memory exec replaced. A meter that
# took ru_maxrss for the test's peak would report the parent's 300 MiB for a test that used none.
VFORK_CHILD = """
import json, sys
sys.path.insert(0, {python_dir!r})
from run_chunks_events.peaks import PeakMeter
meter = PeakMeter()
figures = []
for _ in range(3):
    meter.start()
    figures.append(meter.end())
import resource
print(json.dumps({{"peaks": [f.peak for f in figures], "rss": [f.rss for f in figures],
    "clean": meter.maxrss_clean, "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}}))
"""


def test_a_parents_peak_inherited_through_vfork_is_not_taken_for_the_tests(tmp_path):
    import json
    import os

    python_dir = os.path.dirname(os.path.dirname(peaks.__file__))
    block = filled(300 * MIB)
    result = subprocess.run([sys.executable, "-c", VFORK_CHILD.format(python_dir=python_dir)], check=True, capture_output=True, text=True)
    del block
    child = json.loads(result.stdout)
    assert child["maxrss"] >= 300 * MIB, "the kernel gave this child its parent's peak: the case under test did not arise"
    assert child["clean"] is False, "ru_maxrss is above the child's RSS: it must not be used"
    for peak, rss in zip(child["peaks"], child["rss"]):
        assert peak < 100 * MIB, peak / MIB
        assert peak >= rss


def test_the_peak_is_never_below_the_rss_read_at_either_end_of_the_test():
    meter = peaks.PeakMeter()
    for _ in range(50):
        start_rss = meter.start()
        block = filled(2 * MIB)
        figures = meter.end()
        del block
        assert figures.peak >= max(start_rss, figures.rss)
    assert meter.maxrss_clean, "in a process of its own, ru_maxrss serves once proven clean"
