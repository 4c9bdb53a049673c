"""Where the bundled executable is, and why it cannot run when it cannot."""

import errno
import os
import platform
import stat

# Exit codes a shell gives for the same failures: 127 "command not found", 126 "found but
# cannot be executed"; a script that runs run-chunks can tell them from run-chunks' own codes.
MISSING_EXIT_CODE = 127
NOT_RUNNABLE_EXIT_CODE = 126


def bundled_executable():
    """The single executable the wheel installs next to this package's modules."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_resources", "bin", "run-chunks")


def find_problem(path):
    """Why ``path`` cannot be executed, as (exit code, message); None when it looks runnable."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return (
            MISSING_EXIT_CODE,
            "run-chunks: its executable is missing: {}. The installation is incomplete (a file was removed, "
            "or the package was copied without it); reinstall it with `pip install --force-reinstall run-chunks`.".format(path),
        )
    except OSError as error:
        return (NOT_RUNNABLE_EXIT_CODE, "run-chunks: cannot read its executable {}: {}.".format(path, error.strerror))
    if not stat.S_ISREG(mode):
        return (
            NOT_RUNNABLE_EXIT_CODE,
            "run-chunks: its executable {} is not a regular file; reinstall with `pip install --force-reinstall run-chunks`.".format(path),
        )
    if not os.access(path, os.X_OK):
        return (
            NOT_RUNNABLE_EXIT_CODE,
            "run-chunks: its executable {} is not executable (mode {:04o}). pip sets the mode the wheel records; "
            "an installer or copy step dropped it. Run `chmod +x {}`, or reinstall with "
            "`pip install --force-reinstall run-chunks`.".format(path, stat.S_IMODE(mode), path),
        )
    return None


def describe_exec_error(path, error):
    """A message for an exec that failed although the file looked runnable."""
    advice = ""
    if error.errno == errno.ENOEXEC:  # Built for another CPU or system than this one.
        advice = (
            " The wheel holds an executable for another platform than this {} {} machine; pip picks a wheel by its "
            "platform tag, so this one was installed by hand or with --platform. Install the wheel built for this "
            "platform.".format(platform.system(), platform.machine())
        )
    return "run-chunks: cannot run its executable {}: {}.{}".format(path, error.strerror, advice)
