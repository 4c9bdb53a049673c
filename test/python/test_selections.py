"""The rest chunk's deselection and plan's membership (selections.py), in real pytest sessions."""

import json
import os

from run_chunks_events.selections import path_selects, split_path_arg

PLUGIN_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "python"))

CONFTEST = """
def pytest_configure(config):
    for name in ("unit", "slow", "gpu", "flavour"):
        config.addinivalue_line("markers", name + ": test marker")
"""

UNIT = """
import pytest

@pytest.mark.unit
def test_unit_only():
    pass

@pytest.mark.unit
@pytest.mark.slow
def test_unit_and_slow():
    pass

@pytest.mark.flavour(kind="sweet")
def test_sweet():
    pass

def test_plain_alpha():
    pass

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    pass
"""

OTHER = """
class TestGroup:
    def test_in_class(self):
        pass

    def test_other_in_class(self):
        pass

def test_loose():
    pass
"""


def make_suite(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.mkdir("tests")
    pytester.path.joinpath("tests", "test_unit.py").write_text(UNIT)
    pytester.mkdir("more")
    pytester.path.joinpath("more", "test_other.py").write_text(OTHER)


def run(pytester, monkeypatch, chunks, *args, **spec):
    spec_file = pytester.path / "selections.json"
    spec_file.write_text(json.dumps({"chunks": chunks, **spec}))
    monkeypatch.setenv("RUN_CHUNKS_SELECTIONS_FILE", str(spec_file))
    monkeypatch.setenv("PYTHONPATH", PLUGIN_DIR)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    return pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider", "-rA", *args)


def ran(result):
    return sorted(line.split(" ", 1)[1].split("::", 1)[1] for line in result.outlines if line.startswith("PASSED "))


def test_the_rest_runs_what_no_marker_keyword_or_path_chunk_selects(pytester, monkeypatch):
    make_suite(pytester)
    chunks = [
        {"name": "unit", "markers": "unit and not slow"},
        {"name": "slow", "markers": "slow"},
        {"name": "sweet", "markers": 'flavour(kind="sweet")'},
        {"name": "alpha", "keyword": "alpha"},
        {"name": "group", "paths": [str(pytester.path / "more" / "test_other.py") + "::TestGroup::test_in_class"]},
    ]
    result = run(pytester, monkeypatch, chunks, deselect=True)
    assert ran(result) == ["TestGroup::test_other_in_class", "test_loose", "test_param[1]", "test_param[2]"]
    result.stdout.fnmatch_lines(["*4 passed, 5 deselected*"])


def test_a_path_chunk_takes_a_folder_and_a_bare_name_every_parametrization(pytester, monkeypatch):
    make_suite(pytester)
    chunks = [
        {"name": "more", "paths": [str(pytester.path / "more")]},
        {"name": "param", "paths": [str(pytester.path / "tests" / "test_unit.py") + "::test_param"]},
        {"name": "unit-in-more", "markers": "unit", "paths": [str(pytester.path / "more")]},
    ]
    result = run(pytester, monkeypatch, chunks, deselect=True)
    assert ran(result) == ["test_plain_alpha", "test_sweet", "test_unit_and_slow", "test_unit_only"]


def test_tests_collected_by_a_fallback_chunk_count_as_taken(pytester, monkeypatch):
    make_suite(pytester)
    ids = pytester.path / "taken.txt"
    ids.write_text(json.dumps("more/test_other.py::test_loose") + "\n")
    result = run(pytester, monkeypatch, [{"name": "unit", "markers": "unit"}], "more", deselect=True, nodeIds=str(ids))
    assert ran(result) == ["TestGroup::test_in_class", "TestGroup::test_other_in_class"]


def test_membership_names_every_chunk_of_every_test_without_deselecting(pytester, monkeypatch):
    make_suite(pytester)
    out = pytester.path / "membership.jsonl"
    chunks = [{"name": "unit", "markers": "unit"}, {"name": "slow", "markers": "slow"}, {"name": "alpha", "keyword": "alpha or loose"}]
    result = run(pytester, monkeypatch, chunks, "--collect-only", "-q", membership=str(out))
    assert result.ret == 0
    owners = dict(json.loads(line) for line in out.read_text().splitlines())
    assert len(owners) == 9
    assert owners["tests/test_unit.py::test_unit_and_slow"] == ["unit", "slow"]
    assert owners["tests/test_unit.py::test_plain_alpha"] == ["alpha"]
    assert owners["more/test_other.py::test_loose"] == ["alpha"]
    assert owners["tests/test_unit.py::test_sweet"] == []


def test_the_deselection_holds_under_xdist(pytester, monkeypatch):
    make_suite(pytester)
    result = run(pytester, monkeypatch, [{"name": "unit", "markers": "unit"}, {"name": "more", "paths": [str(pytester.path / "more")]}], "-n", "2", deselect=True)
    result.stdout.fnmatch_lines(["*4 passed*"])
    assert "TestGroup" not in result.stdout.str()


def test_a_bad_expression_or_file_stops_the_session_with_the_chunk_named(pytester, monkeypatch):
    make_suite(pytester)
    result = run(pytester, monkeypatch, [{"name": "broken", "markers": "unit and ("}], deselect=True)
    assert result.ret == 4
    assert "chunk 'broken' has a -m expression pytest cannot parse" in result.stderr.str()
    monkeypatch.setenv("RUN_CHUNKS_SELECTIONS_FILE", str(pytester.path / "missing.json"))
    result = pytester.runpytest_subprocess("-p", "run_chunks_events", "-p", "no:cacheprovider")
    assert result.ret == 4
    assert "cannot read RUN_CHUNKS_SELECTIONS_FILE" in result.stderr.str()


def test_path_matching_stops_at_name_boundaries():
    path, parts = split_path_arg("/p/tests/test_a.py::TestC::test_x")
    assert path_selects(path, parts, "/p/tests/test_a.py", ["TestC", "test_x[1]"])
    assert not path_selects(path, parts, "/p/tests/test_a.py", ["TestC", "test_xy"])
    assert not path_selects(path, parts, "/p/tests/test_a.py", ["TestC"])
    assert path_selects(*split_path_arg("/p/tests"), "/p/tests/sub/test_b.py", ["test_b"])
    assert not path_selects(*split_path_arg("/p/tests"), "/p/tests2/test_b.py", ["test_b"])
    assert not path_selects(*split_path_arg("/p/tests::x"), "/p/tests/test_b.py", ["x"])


def test_the_markers_file_lists_what_the_session_registered_conftests_included(pytester, monkeypatch):
    make_suite(pytester)
    pytester.path.joinpath("more", "conftest.py").write_text(
        'def pytest_configure(config):\n    config.addinivalue_line("markers", "deep(kind): registered deep in the suite")\n'
    )
    out = pytester.path / "markers.json"
    result = run(pytester, monkeypatch, [], "--collect-only", "-q", markers=str(out))
    assert result.ret == 0
    names = json.loads(out.read_text())
    assert {"unit", "slow", "deep", "parametrize", "skipif"} <= set(names)


def test_a_pytest_without_the_matchers_is_refused_plainly(monkeypatch):
    import pytest

    from run_chunks_events.selections import SelectionsPlugin

    monkeypatch.delattr("_pytest.mark.MarkMatcher")
    with pytest.raises(pytest.UsageError, match="lacks the -m/-k matchers .* upgrade to pytest >= 8"):
        SelectionsPlugin({"chunks": [{"name": "unit", "markers": "unit"}]})
    # Paths alone need no pytest internals.
    assert SelectionsPlugin({"chunks": [{"name": "some", "paths": ["/p/tests"]}]}).chunks[0].paths == [("/p/tests", [])]
