"""GroupMeter: each test's peak with its children's, from a memory cgroup of the test process's own.

On the real v1 hierarchy where this machine has one that is writable (run in a child process:
the meter moves the process that uses it), and against a fake v2 tree for v2's files.
"""

import json
import os
import subprocess
import sys

import pytest

from run_chunks_events import groups

MIB = 1024 * 1024
PYTHON_DIR = os.path.dirname(os.path.dirname(groups.__file__))


def own_v1_memory_cgroup():
    """This process's v1 memory cgroup folder, or None where there is none (or it is not writable)."""
    try:
        with open("/proc/self/cgroup") as lines:
            for line in lines:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if "memory" in controllers.split(","):
                    folder = "/sys/fs/cgroup/memory" + path
                    return folder if os.access(folder, os.W_OK) and os.path.exists(os.path.join(folder, "memory.usage_in_bytes")) else None
    except OSError:
        return None
    return None


# A test process: measures one "test" that starts a child holding 200 MiB and kills it without
# waiting for it (so getrusage never sees it), then one that does nothing.
MEASURED = """
import json, os, signal, subprocess, sys, time
sys.path.insert(0, {python_dir!r})
from run_chunks_events.groups import GroupMeter
meter = GroupMeter({spec!r})
meter.start()
child = subprocess.Popen([sys.executable, "-c", "import sys, time; b = b'\\\\x01' * (200 * 1024 * 1024); print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE)
child.stdout.readline()
child.kill()
busy = meter.end()
child.wait()
meter.start()
idle = meter.end()
print(json.dumps({{"busy": busy, "idle": idle, "unavailable": meter.unavailable, "dir": meter.dir}}))
"""


def run_measured(spec):
    result = subprocess.run([sys.executable, "-c", MEASURED.format(python_dir=PYTHON_DIR, spec=spec)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.skipif(own_v1_memory_cgroup() is None, reason="no writable cgroup v1 memory hierarchy here")
def test_v1_a_childs_peak_is_measured_even_when_it_was_never_waited_for():
    parent = os.path.join(own_v1_memory_cgroup(), "run-chunks-test-groups-{}".format(os.getpid()))
    os.mkdir(parent)
    try:
        figures = run_measured("1:" + parent)
        assert figures["unavailable"] is None
        assert figures["dir"] == os.path.join(parent, "pytest-{}".format(figures["dir"].rsplit("-", 1)[1]))
        peak, start = figures["busy"]
        assert peak - start >= 195 * MIB, (peak - start) / MIB
        peak, start = figures["idle"]
        assert peak - start < 20 * MIB, "each start resets the peak: {} MiB".format((peak - start) / MIB)
    finally:
        remove_cgroup_tree(parent)


def remove_cgroup_tree(folder):
    """rmdir, leaves first; the kernel may still be tearing the last process down (EBUSY) for a moment."""
    import time

    for entry in os.listdir(folder):
        if os.path.isdir(os.path.join(folder, entry)):
            remove_cgroup_tree(os.path.join(folder, entry))
    for _ in range(50):
        try:
            os.rmdir(folder)
            return
        except OSError:
            time.sleep(0.1)
    os.rmdir(folder)


def fake_v2_parent(tmp_path, monkeypatch, with_memory=True):
    """A v2 chunk cgroup as a folder; os.mkdir under it makes the files a kernel would (or none)."""
    parent = tmp_path / "chunk"
    parent.mkdir()
    real_mkdir = os.mkdir

    def mkdir(path, *args):
        real_mkdir(path, *args)
        if with_memory:
            for name, text in (("memory.peak", "1000\n"), ("memory.current", "500\n"), ("cgroup.procs", "")):
                with open(os.path.join(path, name), "w") as handle:
                    handle.write(text)

    monkeypatch.setattr(groups.os, "mkdir", mkdir)
    return parent


def test_v2_the_peak_and_the_start_charge_come_from_memory_peak_and_memory_current(tmp_path, monkeypatch):
    parent = fake_v2_parent(tmp_path, monkeypatch)
    meter = groups.GroupMeter("2:{}".format(parent))
    meter.start()
    own = parent / "pytest-{}".format(os.getpid())
    assert (own / "cgroup.procs").read_text() == str(os.getpid()), "the process moved itself in"
    assert (own / "memory.peak").read_text().startswith("reset"), "the peak was reset through its file"
    # The kernel's answer at the end of the test.
    (own / "memory.peak").write_text("734003200\n")
    assert meter.end() == (734003200, 500)
    assert meter.source == "cgroup v2 memory.peak"
    meter.close()


def test_v2_without_the_memory_controller_there_is_no_figure_and_the_reason_is_kept(tmp_path, monkeypatch):
    parent = fake_v2_parent(tmp_path, monkeypatch, with_memory=False)
    meter = groups.GroupMeter("2:{}".format(parent))
    meter.start()
    assert meter.end() == (None, None)
    assert "memory controller is not enabled" in meter.unavailable
    assert list(parent.iterdir()) == [], "its empty cgroup is removed again"


def test_a_malformed_spec_or_a_missing_parent_gives_a_reason_never_an_error(tmp_path):
    for spec, reason in (("garbage", "is not VERSION:/path"), ("2:{}".format(tmp_path / "missing"), "cannot make a cgroup of its own")):
        meter = groups.GroupMeter(spec)
        meter.start()
        assert meter.end() == (None, None)
        assert reason in meter.unavailable, meter.unavailable
