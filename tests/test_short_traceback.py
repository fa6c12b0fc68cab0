"""`run --ci` logs are useful alone: each failure comes with a short, bounded traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.headless.short_traceback import MAX_LINES, short_traceback

TESTS = """
import pytest

def helper(x):
    assert x == {"a": 1}, "dicts differ"

def test_nested():
    helper({"a": 2})

def test_plain():
    x = 1
    assert x == 2

@pytest.fixture
def broken():
    raise RuntimeError("db down")

def test_setup(broken):
    pass

def test_missing(nofixture):
    pass

def test_chained():
    try:
        {}["key"]
    except KeyError:
        raise ValueError("lookup failed")

def test_long():
    assert False, "\\n".join(f"line {i}" for i in range(40))

def test_ok():
    pass
"""


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = write_project(
        tmp_path_factory.mktemp("tb"),
        {
            "pyproject.toml": suites_toml('name = "unit"\nargs = ["tests"]\nworkers = 0'),
            "tests/test_fail.py": TESTS,
        },
    )
    done = run_cli(["run", "--ci"], root)
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout


def block(output: str, test: str) -> list[str]:
    """The indented lines under the failure line of `test`."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if f"::{test} " in line)
    kept = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        kept.append(line[4:])
    return kept


@pytest.mark.slow
def test_an_assertion_shows_its_location_line_and_explanation(output: str) -> None:
    assert block(output, "test_plain") == [
        "at tests/test_fail.py:11",
        ">       assert x == 2",
        "E       assert 1 == 2",
    ]


@pytest.mark.slow
def test_a_failure_in_a_helper_shows_the_innermost_frame(output: str) -> None:
    lines = block(output, "test_nested")
    assert lines[:3] == [
        "at tests/test_fail.py:4",
        '>       assert x == {"a": 1}, "dicts differ"',
        "E       AssertionError: dicts differ",
    ]
    # Under CI=true pytest shows whole diffs: then the block ends with the bounding line.
    explained = lines[2:-1] if lines[-1].startswith("... (") else lines[2:]
    assert all(line.startswith("E") for line in explained)


@pytest.mark.slow
def test_setup_errors_and_missing_fixtures(output: str) -> None:
    assert block(output, "test_setup") == [
        "at tests/test_fail.py:15",
        '>       raise RuntimeError("db down")',
        "E       RuntimeError: db down",
    ]
    assert "E       fixture 'nofixture' not found" in block(output, "test_missing")


@pytest.mark.slow
def test_a_chained_exception_shows_the_last_one(output: str) -> None:
    lines = block(output, "test_chained")
    assert lines[-1].startswith("E ") and lines[-1].endswith("ValueError: lookup failed")
    assert not any("KeyError" in line for line in lines)


@pytest.mark.slow
def test_a_long_explanation_is_bounded(output: str) -> None:
    lines = block(output, "test_long")
    assert len(lines) == MAX_LINES
    assert lines[-1].startswith("... (") and lines[-1].endswith("more lines in the report)")
    assert "::test_ok" not in output


def test_a_record_without_a_failure_has_no_traceback() -> None:
    assert short_traceback({"call": {"outcome": "passed"}}) == []
    record = {"call": {"outcome": "failed", "longrepr": "x" * 1000 + "\nE   boom"}}
    assert short_traceback(record) == ["E   boom"]
    long_line = {"call": {"outcome": "failed", "longrepr": "E   " + "y" * 1000}}
    assert len(short_traceback(long_line)[0]) == 240


def test_paths_outside_the_root_stay_absolute() -> None:
    record = {
        "call": {
            "outcome": "failed",
            "longrepr": "E   boom",
            "crash": {"path": "/usr/lib/python3/x.py", "lineno": 3, "message": "boom"},
        }
    }
    assert short_traceback(record, str(Path("/work/proj")))[0] == "at /usr/lib/python3/x.py:3"


def test_a_crash_in_a_library_is_located_at_the_projects_own_line_first() -> None:
    library = "/usr/lib/python3.11/json/decoder.py"
    record = {
        "call": {
            "outcome": "failed",
            "longrepr": "E   json.decoder.JSONDecodeError: Expecting value",
            "crash": {"path": library, "lineno": 353, "message": "JSONDecodeError"},
            "traceback": [
                {"path": "tests/test_api.py", "lineno": 12, "message": ""},
                {"path": "/work/proj/tests/helpers.py", "lineno": 4, "message": "in load"},
                {"path": "/usr/lib/python3.11/json/__init__.py", "lineno": 346, "message": ""},
                {"path": library, "lineno": 353, "message": "JSONDecodeError"},
            ],
        }
    }
    assert short_traceback(record, "/work/proj")[0] == (
        f"at tests/helpers.py:4 (raised in {library}:353)"
    )
    outside = {"path": "../elsewhere/x.py", "lineno": 1, "message": ""}
    record["call"]["traceback"] = [record["call"]["traceback"][0], outside]
    assert short_traceback(record, "/work/proj")[0] == (
        f"at tests/test_api.py:12 (raised in {library}:353)"
    )
