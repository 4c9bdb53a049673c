"""The node-id files (select, deselect, ``<events file>.collected``) and the selection they drive."""

import json

import pytest

from .text import describe_error


def read_node_ids(variable, path):
    """The node ids listed in a select or deselect file (one JSON string per line, blank lines ignored)."""
    try:
        with open(path, encoding="utf-8", newline="\n") as handle:
            lines = handle.read().split("\n")
    except (OSError, UnicodeDecodeError) as error:
        # Running the whole chunk instead would likely repeat the OOM kill the selection is meant
        # to step around, so refuse plainly (pytest exits 4, a usage error).
        raise pytest.UsageError(
            "run-chunks: cannot read {}={}: {}".format(variable, path, describe_error(error))
        )
    ids = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            nodeid = json.loads(line)
        except ValueError:
            nodeid = None
        if not isinstance(nodeid, str):
            raise pytest.UsageError(
                "run-chunks: {}={} line {} is not a node id written as a JSON string".format(variable, path, number)
            )
        ids.add(nodeid)
    return ids


def format_node_ids(nodeids):
    """One JSON string per line (ASCII only: \\n, \\t and non-ASCII characters are escaped)."""
    return "".join(json.dumps(nodeid) + "\n" for nodeid in nodeids)


class SelectPlugin:
    """Deselects the tests not in the select file (when given) and those in the deselect file.

    Listed node ids that match no collected test are ignored: the suite may have changed since.
    """

    def __init__(self, keep, drop):
        self.keep = keep
        self.drop = drop

    def wanted(self, item):
        return (self.keep is None or item.nodeid in self.keep) and item.nodeid not in self.drop

    # xdist checks that all workers collected the same list: each worker runs this same filter
    # over the same collection, keeping pytest's order, so their lists stay identical.
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        selected = [item for item in items if self.wanted(item)]
        deselected = [item for item in items if not self.wanted(item)]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = selected
