"""Messages: one line for an error, the first or last line of a text, a cut, and the one warning channel."""

import sys


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def last_line(text):
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()
    return ""


def cut_end(text, limit):
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_error(error):
    """One line for an exception or xdist's error object (a string, or a remote traceback)."""
    if isinstance(error, BaseException):
        return "{}: {}".format(type(error).__name__, error)
    return last_line(str(error)) or repr(error)


def warn(text):
    # stderr rather than warnings.warn: under -W error a warning would become an error and change
    # the run's outcome. Between test phases pytest's capturing is suspended, so this reaches the
    # terminal (xdist workers share the controller's stderr).
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass
