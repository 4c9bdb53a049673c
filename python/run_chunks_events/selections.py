"""Which of the other chunks select each collected test, judged inside one pytest session.

run-chunks hands this session (``RUN_CHUNKS_SELECTIONS_FILE``, a JSON file) the selection of
each other chunk: its ``-m`` marker expression, ``-k`` keyword expression and test paths. A
``rest`` chunk deselects every test one of them selects, so it runs exactly the orphans without
a separate collection of the whole suite first; ``run-chunks plan`` writes each test's chunks to
a membership file from one ``--collect-only`` of the suite instead of one per chunk.

The expressions are evaluated with pytest's own matchers, the ones its ``-m`` and ``-k`` use, so
a test lands where pytest itself would put it. Those live in ``_pytest.mark`` (no public API):
a pytest without them is refused with a clear error rather than guessed at.
"""

import json
import os

import pytest

from .node_ids import read_node_ids
from .text import describe_error

SELECTIONS_FILE_VARIABLE = "RUN_CHUNKS_SELECTIONS_FILE"


def load_matchers():
    """pytest's Expression, and functions giving an item's mark and keyword matchers."""
    try:
        from _pytest.mark import KeywordMatcher, MarkMatcher
        from _pytest.mark.expression import Expression
    except ImportError as error:
        raise pytest.UsageError(
            "run-chunks: this pytest ({}) lacks the -m/-k matchers a rest chunk and `run-chunks plan` "
            "evaluate ({}); upgrade to pytest >= 8.".format(pytest.__version__, describe_error(error))
        )
    if hasattr(MarkMatcher, "from_markers"):
        marks = lambda item: MarkMatcher.from_markers(item.iter_markers())  # noqa: E731
    else:
        marks = MarkMatcher.from_item
    return Expression, marks, KeywordMatcher.from_item


def compile_expression(expression_class, text, chunk, option):
    try:
        return expression_class.compile(text)
    except Exception as error:  # noqa: BLE001 - pytest's ParseError, worded for the user
        raise pytest.UsageError(
            "run-chunks: chunk {!r} has a {} expression pytest cannot parse ({!r}): {}".format(chunk, option, text, describe_error(error))
        )


def split_path_arg(arg):
    """An absolute test path as given to pytest ("/p/tests/test_a.py::TestC::test_x") → (path, parts)."""
    path, *parts = arg.split("::")
    return os.path.normpath(path), parts


def path_selects(path, parts, item_path, item_parts):
    """Whether a test path argument selects an item, as pytest resolves it: the file or a folder
    above it, then each ``::`` part in turn; a last part without ``[`` takes every parametrization."""
    if item_path != path and not item_path.startswith(path.rstrip(os.sep) + os.sep):
        return False
    if not parts:
        return True
    if item_path != path or len(item_parts) < len(parts):
        return False
    for index, part in enumerate(parts):
        own = item_parts[index]
        last = index == len(parts) - 1
        if own != part and not (last and "[" not in part and own.split("[")[0] == part):
            return False
    return True


class ChunkSelection:
    """One other chunk's selection: all that is given must hold (pytest ANDs -m, -k and paths)."""

    def __init__(self, spec, expression_class):
        self.name = spec["name"]
        markers = spec.get("markers")
        keyword = spec.get("keyword")
        self.markers = compile_expression(expression_class, markers, self.name, "-m") if markers else None
        self.keyword = compile_expression(expression_class, keyword, self.name, "-k") if keyword else None
        paths = spec.get("paths")
        self.paths = [split_path_arg(arg) for arg in paths] if paths else None

    def selects(self, item, marks, keywords):
        if self.paths is not None:
            item_path = os.path.normpath(str(item.path))
            item_parts = item.nodeid.split("::")[1:]
            if not any(path_selects(path, parts, item_path, item_parts) for path, parts in self.paths):
                return False
        if self.markers is not None and not self.markers.evaluate(marks(item)):
            return False
        return self.keyword is None or self.keyword.evaluate(keywords(item))


def read_spec(path):
    try:
        with open(path, encoding="utf-8") as handle:
            spec = json.load(handle)
        if not isinstance(spec, dict) or not isinstance(spec.get("chunks"), list):
            raise ValueError("no \"chunks\" list")
        return spec
    except (OSError, ValueError) as error:
        # Running without it would run tests other chunks run too: refuse (pytest exits 4).
        raise pytest.UsageError("run-chunks: cannot read {}={}: {}".format(SELECTIONS_FILE_VARIABLE, path, describe_error(error)))


class SelectionsPlugin:
    """Judges every collected test against the other chunks' selections (see the module's text).

    ``deselect``: drop the tests another chunk selects (a rest chunk). ``membership``: a file
    to write each test's chunks to, one JSON ``[nodeid, [chunk, ...]]`` per line. ``markers``: a
    file to write the registered marker names to (a JSON list). ``nodeIds``:
    a node-id file of tests taken by chunks collected on their own (those whose arguments
    change collection, so that this session cannot judge them); they count as taken.
    """

    def __init__(self, spec):
        # Only a -m or -k needs pytest's internals: a shard's or a path-only collection runs on any pytest.
        needs_matchers = any(chunk.get("markers") or chunk.get("keyword") for chunk in spec["chunks"])
        expression_class, self.marks, self.keywords = load_matchers() if needs_matchers else (None, None, None)
        self.chunks = [ChunkSelection(chunk, expression_class) for chunk in spec["chunks"]]
        self.taken = read_node_ids(SELECTIONS_FILE_VARIABLE + " nodeIds", spec["nodeIds"]) if spec.get("nodeIds") else set()
        self.deselect = spec.get("deselect") is True
        self.membership = spec.get("membership")
        self.markers = spec.get("markers")

    def owners(self, item):
        marks = None
        keywords = None
        names = []
        for chunk in self.chunks:
            # Each matcher is built once per item, and only if some chunk needs it.
            if marks is None and chunk.markers is not None:
                marks = self.marks(item)
            if keywords is None and chunk.keyword is not None:
                keywords = self.keywords(item)
            if chunk.selects(item, lambda _item: marks, lambda _item: keywords):
                names.append(chunk.name)
        return names

    # Last, after pytest's own -m/-k and every other plugin's deselection; the same filter in
    # every xdist worker over the same collection keeps their lists identical.
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if self.markers:
            write_marker_names(config, self.markers)
        owners = [(item, self.owners(item)) for item in items]
        if self.membership:
            with open(self.membership, "w", encoding="utf-8") as handle:
                for item, names in owners:
                    handle.write(json.dumps([item.nodeid, names]) + "\n")
        if not self.deselect:
            return
        kept = [item for item, names in owners if not names and item.nodeid not in self.taken]
        if len(kept) < len(items):
            kept_ids = set(map(id, kept))
            config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept_ids])
            items[:] = kept


def write_marker_names(config, path):
    """The markers this session registered, as `pytest --markers` lists them, but after collection:
    a conftest deep in the suite that registers one has been loaded by then."""
    names = sorted({line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")})
    with open(path, "w", encoding="utf-8") as handle:
        json.dump([name for name in names if name], handle)


def selections_plugin_from_env():
    path = os.environ.get(SELECTIONS_FILE_VARIABLE)
    return SelectionsPlugin(read_spec(path)) if path else None
