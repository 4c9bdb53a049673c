"""``main()``: replace this Python process with the bundled run-chunks executable."""

import os
import sys

from ._executable import NOT_RUNNABLE_EXIT_CODE, bundled_executable, describe_exec_error, find_problem


def main(argv=None, executable=None):
    """Execs run-chunks with ``argv`` (default: this process's arguments); returns only on failure.

    exec, not a child process: run-chunks then is the process the caller started, so its exit
    code, the signals sent to it (Ctrl-C, a CI job's SIGTERM) and its process group are the
    caller's own, with no Python process in between to forward them or to keep memory.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    path = executable or bundled_executable()
    problem = find_problem(path)
    if problem is not None:
        code, message = problem
        print(message, file=sys.stderr)
        return code
    # argv[0] is the executable's own path: what `ps` shows, and where run-chunks comes from.
    try:
        os.execv(path, [path] + args)
    except OSError as error:
        print(describe_exec_error(path, error), file=sys.stderr)
        return NOT_RUNNABLE_EXIT_CODE
