"""The pip wheel's wrapper (python/run_chunks): it execs the bundled executable with the caller's
arguments, or says why it cannot. A fake executable (a shell script) stands in for run-chunks.
"""

import os
import subprocess
import sys

import run_chunks
from run_chunks import __version__
from run_chunks._executable import MISSING_EXIT_CODE, NOT_RUNNABLE_EXIT_CODE, bundled_executable
from run_chunks._launch import main

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(run_chunks.__file__)))

# Prints its pid, then each argument in brackets (an empty one shows as []), and exits 7.
FAKE_RUN_CHUNKS = '#!/bin/sh\necho "pid $$"\nfor arg in "$0" "$@"; do printf "[%s]\\n" "$arg"; done\nexit 7\n'


def write_executable(folder, content, mode=0o755):
    path = os.path.join(str(folder), "run-chunks")
    with open(path, "w") as file:
        file.write(content)
    os.chmod(path, mode)
    return path


def run_main(args, executable):
    """Runs main(args, executable) in a fresh Python, which prints its pid first."""
    code = "import os, sys\nprint('python', os.getpid(), flush=True)\nfrom run_chunks._launch import main\nsys.exit(main({!r}, executable={!r}))".format(args, executable)
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": PYTHON_DIR, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
    )


def test_the_arguments_reach_the_executable_unchanged_and_it_replaces_python(tmp_path):
    fake = write_executable(tmp_path, FAKE_RUN_CHUNKS)
    result = run_main(["a b", "", "--x=1", "ü", "--"], fake)
    lines = result.stdout.splitlines()
    # exec, not a child: the same pid, and the executable's own exit code.
    assert lines[0].split()[1] == lines[1].split()[1], result.stdout
    assert lines[2:] == ["[{}]".format(fake), "[a b]", "[]", "[--x=1]", "[ü]", "[--]"]
    assert result.returncode == 7


def test_a_missing_executable_says_so_and_how_to_reinstall(tmp_path, capsys):
    missing = os.path.join(str(tmp_path), "gone", "run-chunks")
    assert main(["--version"], executable=missing) == MISSING_EXIT_CODE
    message = capsys.readouterr().err
    assert "its executable is missing: {}".format(missing) in message
    assert "pip install --force-reinstall run-chunks" in message


def test_an_executable_without_its_mode_bits_says_chmod(tmp_path, capsys):
    fake = write_executable(tmp_path, FAKE_RUN_CHUNKS, mode=0o644)
    assert main([], executable=fake) == NOT_RUNNABLE_EXIT_CODE
    message = capsys.readouterr().err
    assert "is not executable (mode 0644)" in message
    assert "chmod +x {}".format(fake) in message


def test_an_executable_for_another_platform_is_named_as_such(tmp_path, capsys):
    # Executable bits but no format the kernel knows (no ELF header, no #!): execv fails ENOEXEC.
    fake = write_executable(tmp_path, "\x7fELG not a binary for this machine\n")
    assert main([], executable=fake) == NOT_RUNNABLE_EXIT_CODE
    message = capsys.readouterr().err
    assert "cannot run its executable {}".format(fake) in message
    assert "another platform" in message


def test_python_dash_m_passes_its_own_arguments_and_a_source_checkout_has_no_executable():
    result = subprocess.run(
        [sys.executable, "-m", "run_chunks", "--version"],
        env={**os.environ, "PYTHONPATH": PYTHON_DIR, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == MISSING_EXIT_CODE, result.stderr
    assert "its executable is missing: {}".format(bundled_executable()) in result.stderr


def test_the_version_is_a_string_the_build_replaces():
    assert isinstance(__version__, str) and __version__
