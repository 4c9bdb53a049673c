"""A test's outcome, one-line message and failure text from its phase reports, and its location."""

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
