import json
import subprocess
import sys

import pytest

from signal_lib import rms, sine

pytestmark = pytest.mark.integration


def test_signal_survives_a_file_round_trip(tmp_path):
    signal = sine(5, 500, 500)
    path = tmp_path / "signal.json"
    path.write_text(json.dumps(signal))
    assert rms(json.loads(path.read_text())) == pytest.approx(rms(signal))


def test_analysis_in_a_subprocess_matches_in_process(tmp_path):
    code = "import json,sys; sys.path.insert(0, sys.argv[1]); from signal_lib import rms, sine; print(json.dumps(rms(sine(3, 300, 300))))"
    tests_dir = str(__import__("pathlib").Path(__file__).resolve().parents[1])
    output = subprocess.run([sys.executable, "-c", code, tests_dir], check=True, capture_output=True, text=True).stdout
    assert json.loads(output) == pytest.approx(rms(sine(3, 300, 300)))


@pytest.mark.parametrize("frequency", [2, 4, 8])
def test_pipeline_of_average_then_rms(frequency):
    from signal_lib import moving_average

    smoothed = moving_average(sine(frequency, 1000, 1000), 5)
    assert 0.6 < rms(smoothed) < 0.71
