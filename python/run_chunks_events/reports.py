"""A test's outcome, one-line message and failure text from its phase reports, and its location."""

import os

from .text import cut_end, first_line, last_line

# test-end's longrepr is for a report, not a log: a few KB says where and why, while a huge
# assertion diff would bloat the events file that run-chunks tails while the chunk runs.
LONGREPR_MAX_CHARS = 4000
# message is one line for a table cell.
MESSAGE_MAX_CHARS = 300
CUT_MARKER = "...(cut)...\n"


def summarize_reports(reports):
    """The test's outcome over its phases, and the reports that explain it (empty if passed).

    The severity order matches how pytest's JUnit XML counts a test (error, then failure, then
    skip): a failed setup or teardown is an error even when the call failed too. The outcomes keep
    pytest's own taxonomy, as its summary line counts them: an xfail arrives as a skipped report
    with ``wasxfail`` and is "xfailed"; a non-strict xpass as a passed call with ``wasxfail`` and
    is "xpassed"; a strict xpass as a failed call, and stays "failed" (pytest counts it failed).
    """
    failures = [report for report in reports if report.failed]
    if any(report.when != "call" for report in failures):
        # A failed call's text stays alongside, as pytest shows both.
        return "error", failures
    if failures:
        return "failed", failures
    skips = [report for report in reports if report.skipped]
    if skips:
        return ("xfailed" if hasattr(skips[0], "wasxfail") else "skipped"), skips[:1]
    xpasses = [report for report in reports if report.passed and hasattr(report, "wasxfail")]
    if xpasses:
        return "xpassed", xpasses[:1]
    return "passed", []


def short_message(reports):
    """One line saying why: the exception's line, the skip reason, or "xfail: reason"."""
    # For an error, the failed setup or teardown says why, not the call that may also have failed.
    report = next((report for report in reports if report.failed and report.when != "call"), reports[0])
    longrepr = report.longrepr
    message = None
    if hasattr(report, "wasxfail"):
        reason = str(report.wasxfail or "").strip()
        message = "xfail: " + reason if reason else "xfail"
    elif isinstance(longrepr, tuple) and len(longrepr) == 3:
        # A skip: (path, line, "Skipped: reason").
        message = str(longrepr[2])
        if message.startswith("Skipped: "):
            message = message[len("Skipped: "):]
    else:
        # reprcrash.message is the exception as pytest's summary line shows it ("ValueError: x",
        # or an assertion whose explanation follows on further lines).
        crash = getattr(longrepr, "reprcrash", None)
        text = getattr(crash, "message", None)
        if text:
            message = first_line(text)
        else:
            message = last_line(full_text([report]) or "")
    if report.when in ("setup", "teardown") and report.failed:
        message = "error in {}: {}".format(report.when, message)
    return cut_end(message or report.outcome, MESSAGE_MAX_CHARS)


def full_text(reports):
    """pytest's failure text of the reports, ending (where it is cut) with the exception."""
    parts = []
    for report in reports:
        longrepr = report.longrepr
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            # A skip's (path, line, "Skipped: reason"), written the way pytest's summary does.
            text = "{}:{}: {}".format(*longrepr)
        else:
            text = getattr(report, "longreprtext", "") or ""
        if text:
            parts.append(text if len(reports) == 1 else "[{}]\n{}".format(report.when, text))
    text = "\n\n".join(parts)
    if not text:
        return None
    if len(text) > LONGREPR_MAX_CHARS:
        # The end holds the innermost frame and the exception, so keep the end, from a line start.
        tail = text[len(text) - (LONGREPR_MAX_CHARS - len(CUT_MARKER)):]
        newline = tail.find("\n")
        text = CUT_MARKER + (tail[newline + 1:] if 0 <= newline < len(tail) - 1 else tail)
    return text


def location_of(location):
    """(file relative to the rootdir, 1-based line) from pytest's (file, 0-based line, name); None each where unknown."""
    try:
        file_name, line0, _ = location
        return (str(file_name) if file_name else None), (int(line0) + 1 if line0 is not None else None)
    except Exception:  # noqa: BLE001
        return None, None


# crash.message is the exception as pytest's summary shows it, assertion explanation included;
# an annotation shows 2,000 characters, and the rest is in longrepr.
CRASH_MESSAGE_MAX_CHARS = 2000


def relative_to_rootdir(path, rootdir, base_dir):
    """``path`` relative to the rootdir, as pytest writes a test's location file; None outside it.

    A relative ``path`` is read against ``base_dir``: pytest writes traceback paths relative to
    the invocation folder when they are shorter so.
    """
    if not path or not rootdir:
        return None
    try:
        absolute = os.path.normpath(os.path.join(base_dir or rootdir, str(path)))
        relative = os.path.relpath(absolute, rootdir)
    except (TypeError, ValueError):  # ValueError: another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep) or os.path.isabs(relative):
        return None
    return relative


def crash_report(reports):
    """The report whose exception the test failed on: a failed setup or teardown, else the failed call."""
    failed = [report for report in reports if report.failed]
    return next((report for report in failed if report.when != "call"), failed[0] if failed else None)


def crash_of(reports, test_file, rootdir, base_dir):
    """{path, line, message} of the exception a failed or errored test ended on; None without one.

    The location is the one a reader of the annotation wants:
    1. pytest's crash line (reprcrash: the innermost frame) when it is in the test's own file;
    2. else the innermost traceback entry in the test's own file, so that a failure inside numpy,
       or inside a helper module of the suite, points at the test's line that called it;
    3. else the crash line when it is under the rootdir (a fixture in conftest.py);
    4. else no path and no line (the crash is outside the rootdir and the test's file is not in
       the traceback): only the message.
    ``path`` is relative to the rootdir (as ``file`` is), ``line`` 1-based (pytest's reprcrash
    and reprfileloc lines are both 1-based already). Fields that are unknown are left out.
    """
    report = crash_report(reports)
    longrepr = getattr(report, "longrepr", None)
    reprcrash = getattr(longrepr, "reprcrash", None)
    message = getattr(reprcrash, "message", None)
    if reprcrash is None or not message:
        return None
    crash = {"message": cut_end(str(message), CRASH_MESSAGE_MAX_CHARS)}
    test_file = os.path.normpath(test_file) if test_file else None
    # reprcrash.path is the frame's co_filename: absolute, or relative to the cwd at import.
    crash_path = relative_to_rootdir(getattr(reprcrash, "path", None), rootdir, base_dir)
    crash_line = getattr(reprcrash, "lineno", None)
    location = None
    if crash_path is not None and crash_path == test_file:
        location = (crash_path, crash_line)
    else:
        location = innermost_entry_in(longrepr, test_file, rootdir, base_dir)
        if location is None and crash_path is not None:
            location = (crash_path, crash_line)
    if location is not None and isinstance(location[1], int) and location[1] >= 1:
        crash["path"], crash["line"] = location
    return crash


def innermost_entry_in(longrepr, test_file, rootdir, base_dir):
    """(path, line) of the last traceback entry in ``test_file``; None where there is none.

    A native (--tb=native) or --tb=line traceback has no entries with a location.
    """
    if test_file is None:
        return None
    entries = getattr(getattr(longrepr, "reprtraceback", None), "reprentries", None) or []
    for entry in reversed(entries):
        fileloc = getattr(entry, "reprfileloc", None)
        if fileloc is None:
            continue
        if relative_to_rootdir(getattr(fileloc, "path", None), rootdir, base_dir) == test_file:
            return test_file, getattr(fileloc, "lineno", None)
    return None
