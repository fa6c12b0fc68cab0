"""`zenboard merge` distrusts its inputs: other CI jobs' artifacts are read, never obeyed.

Every input is checked before anything is written; a bad one is one line naming the file and
what is wrong, exit 2, and no traceback. Suite names become file names only if they follow the
config's rules, the output dir may not overlap an input dir, and writes never follow a symlink
planted in the output dir nor leave temp files behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.errors import InputError
from zenboard.model.events import OUTCOMES
from zenboard.records.merge import merge

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

TESTS = """
def test_one():
    pass

def test_two():
    pass
"""


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report dir of a real run of a tiny project: summary.json, fast.json, fast.xml."""
    root = tmp_path_factory.mktemp("valid")
    project = write_project(
        root / "proj",
        {"pyproject.toml": suites_toml('name = "fast"\nworkers = 0'), "test_x.py": TESTS},
    )
    out = root / "report"
    done = run_cli(["run", "--ci", "--report-dir", str(out)], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {p.name for p in out.iterdir()} >= {"summary.json", "fast.json", "fast.xml"}
    return out


def copy_of(valid: Path, where: Path) -> Path:
    shutil.copytree(valid, where)
    return where


def tree(root: Path) -> dict[str, bytes | str]:
    """Every entry under `root`: file contents, symlink targets, dirs."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            found[name] = "-> " + os.readlink(path)
        elif path.is_dir():
            found[name] = "dir"
        else:
            found[name] = path.read_bytes()
    return found


def edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    data = json.loads(path.read_text())
    result = change(data)
    path.write_text(json.dumps(data if result is None else result))


def refused(args: list[str], cwd: Path) -> str:
    """Run `zenboard merge ARGS`: it must exit 2 with one line, write nothing, return stderr."""
    before = tree(cwd)
    done = run_cli(["merge", *args], cwd)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.endswith("\n"), done.stderr
    assert tree(cwd) == before, "a refused merge writes nothing, inside OUT or outside it"
    return done.stderr


def _set(*keys: str | int, value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        for key in keys[:-1]:
            data = data[key]
        data[keys[-1]] = value

    return change


def _drop(*keys: str | int) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        for key in keys[:-1]:
            data = data[key]
        del data[keys[-1]]

    return change


SUMMARY_CORRUPTIONS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "name-parent": (_set("suites", 0, "name", value="../evil"), "'../evil'"),
    "name-slash": (_set("suites", 0, "name", value="a/b"), "'a/b'"),
    "name-empty": (_set("suites", 0, "name", value=""), "empty"),
    "name-summary": (_set("suites", 0, "name", value="summary"), "'summary'"),
    "name-hidden": (_set("suites", 0, "name", value=".fast"), "'.fast'"),
    "name-long": (_set("suites", 0, "name", value="a" * 65), "64"),
    "name-control": (_set("suites", 0, "name", value="a\nb\x1b"), "name"),
    "name-not-str": (_set("suites", 0, "name", value=5), "suites[0].name"),
    "name-missing": (_drop("suites", 0, "name"), "suites[0].name"),
    "name-twice": (lambda d: d["suites"].append(dict(d["suites"][0], tests=[])), "twice"),
    "not-an-object": (lambda d: [d], "top level"),
    "suites-not-list": (_set("suites", value={"fast": {}}), "suites"),
    "suites-missing": (_drop("suites"), "suites"),
    "suite-not-object": (_set("suites", 0, value="fast"), "suites[0]"),
    "counts-str": (_set("suites", 0, "counts", "passed", value="2"), "counts.passed"),
    "counts-float": (_set("suites", 0, "counts", "failed", value=1.5), "counts.failed"),
    "counts-bool": (_set("suites", 0, "counts", "failed", value=True), "counts.failed"),
    "counts-list": (_set("suites", 0, "counts", value=[1, 2]), "counts"),
    "tests-not-list": (_set("suites", 0, "tests", value={"a": 1}), "tests"),
    "test-not-object": (_set("suites", 0, "tests", 0, value="test_x.py::test_one"), "tests[0]"),
    "nodeid-not-str": (_set("suites", 0, "tests", 1, "nodeid", value=["x"]), "tests[1].nodeid"),
    "workers-list": (_set("suites", 0, "workers", value=["main"]), "workers"),
    "errors-int": (_set("suites", 0, "errors", value=3), "errors"),
    "not-run-str": (_set("suites", 0, "not_run", value="abc"), "not_run"),
    "stream-str": (_set("suites", 0, "stream", "malformed", value="0"), "stream.malformed"),
    "exit-code-str": (_set("suites", 0, "exit_code", value="1"), "exit_code"),
    "duration-str": (_set("suites", 0, "duration", value="1s"), "duration"),
    "duration-huge": (_set("suites", 0, "duration", value=10**400), "duration"),
    "plan-list": (_set("plan", value=[]), "plan"),
    "commit-int": (_set("commit", value=7), "commit"),
    "version-unknown": (_set("version", value=99), "version"),
    "version-missing": (_drop("version"), "version"),
    "version-str": (_set("version", value="1"), "version"),
}


@pytest.mark.parametrize("case", sorted(SUMMARY_CORRUPTIONS))
def test_a_structurally_wrong_summary_is_one_line_naming_file_and_problem(
    valid: Path, tmp_path: Path, case: str
) -> None:
    change, expected = SUMMARY_CORRUPTIONS[case]
    bad = copy_of(valid, tmp_path / "bad")
    edit_json(bad / "summary.json", change)
    out = tmp_path / "out"
    line = refused([str(bad), "--report-dir", str(out)], tmp_path)
    assert str(bad / "summary.json") in line and expected in line
    assert not out.exists()
    assert not (tmp_path / "evil.json").exists() and not (tmp_path / "evil.xml").exists()


def test_an_absolute_suite_name_writes_nothing_outside_out(valid: Path, tmp_path: Path) -> None:
    bad = copy_of(valid, tmp_path / "bad")
    target = tmp_path / "outside" / "owned"
    target.parent.mkdir()
    edit_json(bad / "summary.json", _set("suites", 0, "name", value=str(target)))
    line = refused([str(bad), "--report-dir", str(tmp_path / "out")], tmp_path)
    assert "bad suite name" in line and str(bad / "summary.json") in line
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize(
    "text",
    ["", "{", "[1, 2", "\ufeff{}", "[" * 100_000 + "]" * 100_000, "null", "NaN"],
    ids=["empty", "truncated", "unclosed", "bom", "deep", "null", "nan"],
)
def test_a_summary_that_is_not_json_or_not_a_summary_is_refused(
    valid: Path, tmp_path: Path, text: str
) -> None:
    bad = copy_of(valid, tmp_path / "bad")
    (bad / "summary.json").write_text(text, encoding="utf-8")
    line = refused([str(bad), "--report-dir", str(tmp_path / "out")], tmp_path)
    assert str(bad / "summary.json") in line


def test_json_nested_deeper_than_any_report_is_refused(valid: Path, tmp_path: Path) -> None:
    bad = copy_of(valid, tmp_path / "bad")
    deep: Any = 0
    for _ in range(500):
        deep = [deep]
    edit_json(bad / "summary.json", _set("suites", 0, "workers", "main", value=deep))
    line = refused([str(bad), "--report-dir", str(tmp_path / "out")], tmp_path)
    assert "deep" in line


def test_undecodable_summary_is_refused(valid: Path, tmp_path: Path) -> None:
    bad = copy_of(valid, tmp_path / "bad")
    (bad / "summary.json").write_bytes(b'{"version": 1, "suites": [], "x": "\xff"}')
    assert str(bad / "summary.json") in refused([str(bad), "--report-dir", "out"], tmp_path)


JSON_REPORT_CORRUPTIONS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "not-object": (lambda d: [d], "top level"),
    "tests-not-list": (_set("tests", value={"x": 1}), "tests"),
    "test-not-object": (_set("tests", 0, value=1), "tests[0]"),
    "outcome-list": (_set("tests", 0, "outcome", value=["passed"]), "tests[0].outcome"),
    "outcome-missing": (_drop("tests", 1, "outcome"), "tests[1].outcome"),
    "collectors-str": (_set("collectors", value="x"), "collectors"),
    "collector-nodeid": (_set("collectors", 0, "nodeid", value={}), "collectors[0].nodeid"),
    "created-str": (_set("created", value="today"), "created"),
    "exitcode-float": (_set("exitcode", value=1.5), "exitcode"),
    "collected-str": (_set("summary", "collected", value="2"), "summary.collected"),
    "summary-list": (_set("summary", value=[]), "summary"),
    "warnings-int": (_set("warnings", value=1), "warnings"),
}


@pytest.mark.parametrize("case", sorted(JSON_REPORT_CORRUPTIONS))
def test_a_structurally_wrong_json_report_is_refused_before_anything_is_written(
    valid: Path, tmp_path: Path, case: str
) -> None:
    change, expected = JSON_REPORT_CORRUPTIONS[case]
    bad = copy_of(valid, tmp_path / "bad")
    edit_json(bad / "fast.json", change)
    out = tmp_path / "out"
    line = refused([str(bad), "--report-dir", str(out)], tmp_path)
    assert str(bad / "fast.json") in line and expected in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not xml at all", "not a readable JUnit XML"),
        ("<testsuites><testsuite>", "not a readable JUnit XML"),
        ("<html><body/></html>", "root element"),
        ('<testsuite><testcase name="a" time="soon"/></testsuite>', "time"),
        ('<testsuite><testcase name="a" time="nan"/></testsuite>', "time"),
        ('<?xml version="1.0" encoding="bogus-enc"?><testsuite/>', "JUnit"),
    ],
    ids=["text", "truncated", "html", "time-word", "time-nan", "encoding"],
)
def test_a_bad_junit_file_is_refused_before_anything_is_written(
    valid: Path, tmp_path: Path, text: str, expected: str
) -> None:
    bad = copy_of(valid, tmp_path / "bad")
    (bad / "fast.xml").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier")
    line = refused([str(bad), "--report-dir", str(out)], tmp_path)
    assert str(bad / "fast.xml") in line and expected in line
    assert [p.name for p in out.iterdir()] == ["keep.txt"], "fast.json was not written first"


def test_every_input_dir_is_checked_before_anything_is_written(valid: Path, tmp_path: Path) -> None:
    good = copy_of(valid, tmp_path / "good")
    bad = copy_of(valid, tmp_path / "bad")
    edit_json(bad / "summary.json", _set("suites", 0, "counts", "passed", value=None))
    out = tmp_path / "out"
    line = refused([str(good), str(bad), "--report-dir", str(out)], tmp_path)
    assert str(bad / "summary.json") in line and "counts.passed" in line
    assert not out.exists()


@pytest.mark.parametrize("where", ["same", "inside", "holds", "symlink", "file"])
def test_an_output_dir_overlapping_an_input_dir_is_refused(
    valid: Path, tmp_path: Path, where: str
) -> None:
    shard = copy_of(valid, tmp_path / "shard")
    out = {
        "same": shard,
        "inside": shard / "merged",
        "holds": tmp_path,
        "symlink": tmp_path / "link",
        "file": shard / "summary.json",
    }[where]
    if where == "symlink":
        out.symlink_to(shard)
    line = refused([str(shard), "--report-dir", str(out)], tmp_path)
    assert "--report-dir" in line
    assert not (shard / "merged").exists()


def test_writes_replace_symlinks_planted_in_out_and_leave_no_temp_files(
    valid: Path, tmp_path: Path
) -> None:
    shard = copy_of(valid, tmp_path / "shard")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    names = ["fast.json", "fast.xml", "report.html", "summary.json"]
    for name in names:
        (out / name).symlink_to(victim)
    done = run_cli(["merge", str(shard), "--report-dir", str(out)], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == names
    assert not any(p.is_symlink() for p in out.iterdir())
    summary = json.loads((out / "summary.json").read_text())
    assert [t["nodeid"] for t in summary["suites"][0]["tests"]] == [
        "test_x.py::test_one",
        "test_x.py::test_two",
    ]


def test_a_failed_write_is_one_line_and_leaves_no_temp_file(valid: Path, tmp_path: Path) -> None:
    shard = copy_of(valid, tmp_path / "shard")
    out = tmp_path / "out"
    (out / "fast.xml").mkdir(parents=True)  # os.replace cannot put a file over a directory
    done = run_cli(["merge", str(shard), "--report-dir", str(out)], tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert str(out / "fast.xml") in done.stderr
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert not (out / "summary.json").exists(), "a failed merge leaves no summary"


# Property: whatever a summary.json holds, merge succeeds or refuses it (InputError).

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["fast", "../evil", "/tmp/evil", "summary", "", "1/2", "passed"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a sub-value of a JSON value (the root is `()`)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*prefix, i))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


@pytest.fixture(scope="module")
def valid_summary(valid: Path) -> Any:
    return json.loads((valid / "summary.json").read_text())


@settings(
    max_examples=100,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_merge_never_fails_other_than_with_input_error(
    valid: Path, valid_summary: Any, data: st.DataObject
) -> None:
    summary = valid_summary
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        path = data.draw(st.sampled_from(_paths(summary)), label="path")
        summary = _replace(summary, path, data.draw(JSON_VALUES, label="value"))
    with tempfile.TemporaryDirectory() as scratch:
        shard = copy_of(valid, Path(scratch) / "shard")
        (shard / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        out = Path(scratch) / "out"
        refusal: InputError | None = None
        try:
            merged = merge([shard], out)
        except InputError as exc:
            refusal = exc
        if refusal is not None:
            assert "\n" not in str(refusal)
            assert not out.exists(), "nothing is written before every input is checked"
        else:
            written = json.loads((out / "summary.json").read_text())
            assert [s["name"] for s in written["suites"]] == [s["name"] for s in merged["suites"]]
        assert sorted(p.name for p in Path(scratch).iterdir()) in (["shard"], ["out", "shard"])


# A summary must hold together as zenboard writes it (reports.suite_summary from the model):
# every field merge reads has its type and allowed values, counts are the tally of the rows,
# and a green status has no failed row, no test without an outcome and a row per collected test.


def _all(*changes: Callable[[Any], Any]) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        for one in changes:
            one(data)

    return change


CONTENT_CORRUPTIONS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "status-unknown": (
        _set("suites", 0, "status", value="bogus"),
        "suites[0] (fast).status: expected one of 'error', 'failed', 'cancelled', 'passed', "
        "'no tests' (a finished suite), got 'bogus'",
    ),
    "status-control": (_set("suites", 0, "status", value="\x1b[2J"), "got '\\x1b[2J'"),
    "status-running": (_set("suites", 0, "status", value="running"), "got 'running'"),
    "status-list": (_set("suites", 0, "status", value=["passed"]), "(fast).status: expected"),
    "outcome-unknown": (
        _set("suites", 0, "tests", 0, "outcome", value="pwned"),
        "suites[0] (fast).tests[0].outcome: expected one of 'passed', 'failed'",
    ),
    "run-exit-code-str": (
        _set("exit_code", value="0"),
        "summary.json: exit_code: expected 0, 1 or 5 (a run's exit code), got '0'",
    ),
    "run-exit-code-missing": (_drop("exit_code"), "exit_code: expected 0, 1 or 5"),
    "run-exit-code-red": (
        _set("exit_code", value=1),
        "exit_code: expected 0 or 5 (no suite failed)",
    ),
    "run-exit-code-empty": (_set("exit_code", value=5), "exit_code: expected 0 or 1"),
    "suite-exit-code-huge": (
        _set("suites", 0, "exit_code", value=1000),
        "(fast).exit_code: expected a process exit code",
    ),
    "suite-exit-code-passed": (
        _set("suites", 0, "exit_code", value=3),
        "(fast).exit_code: expected 0 (the suite's status is 'passed'), got 3",
    ),
    "row-failed": (
        _set("suites", 0, "tests", 1, "outcome", value="failed"),
        "suites[0] (fast).counts.passed: expected 1 (the tests rows whose outcome is 'passed'), "
        "got 2",
    ),
    "row-failed-counted": (
        _all(
            _set("suites", 0, "tests", 1, "outcome", value="failed"),
            _set("suites", 0, "counts", "passed", value=1),
            _set("suites", 0, "counts", "failed", value=1),
        ),
        "suites[0] (fast).status: expected 'failed' or 'error' (tests[1] is failed), got 'passed'",
    ),
    "row-dropped": (_drop("suites", 0, "tests", 1), "suites[0] (fast).counts.passed: expected 1"),
    "row-dropped-counted": (
        _all(
            _drop("suites", 0, "tests", 1),
            _set("suites", 0, "counts", "passed", value=1),
        ),
        "suites[0] (fast).collected: expected at most 1 (a passed suite has a row for each test "
        "collected), got 2",
    ),
    "rows-none": (
        _all(
            _set("suites", 0, "tests", value=[]),
            _set("suites", 0, "counts", "passed", value=0),
            _set("suites", 0, "collected", value=None),
        ),
        "(fast).status: expected 'no tests' (the suite has no tests rows), got 'passed'",
    ),
    "counts-unknown-key": (
        _set("suites", 0, "counts", "pwned", value=0),
        "(fast).counts: expected no key but passed, failed, skipped, error, xfailed, xpassed, "
        "not_run, got 'pwned'",
    ),
    "counts-missing-key": (_drop("suites", 0, "counts", "xpassed"), "(fast).counts.xpassed"),
    "not-run-uncounted": (
        _set("suites", 0, "not_run", value=["test_x.py::test_three"]),
        "(fast).counts.not_run: expected 1 (the tests in not_run), got 0",
    ),
    "not-run-in-passed": (
        _all(
            _set("suites", 0, "not_run", value=["test_x.py::test_three"]),
            _set("suites", 0, "counts", "not_run", value=1),
        ),
        "(fast).status: expected 'failed' or 'error' (not_run lists tests that never ran)",
    ),
    "interrupted-in-passed": (
        _set("suites", 0, "interrupted", value=["test_x.py::test_three"]),
        "(fast).status: expected 'cancelled'",
    ),
    "unreported-uncounted": (
        _set("suites", 0, "unreported", value=1),
        "(fast).unreported: expected 0 (the rows marked unreported), got 1",
    ),
    "unreported-passed-row": (
        _all(
            _set("suites", 0, "tests", 0, "unreported", value=True),
            _set("suites", 0, "unreported", value=1),
        ),
        "(fast).tests[0].outcome: expected 'error' (a test without a result counts as an "
        "error), got 'passed'",
    ),
    "crashed-worker-in-passed": (
        _set("suites", 0, "workers", "main", "crashed", value=True),
        "(fast).status: expected 'failed' or 'error' (worker 'main' crashed), got 'passed'",
    ),
    "crashed-str": (
        _set("suites", 0, "workers", "main", "crashed", value="no"),
        "(fast).workers['main'].crashed: expected true or false, got 'no'",
    ),
    "errors-in-passed": (
        _set("suites", 0, "errors", value=[{"nodeid": "", "longrepr": "boom"}]),
        "(fast).status: expected 'failed' or 'error' (errors says why it could not complete)",
    ),
    "error-not-object": (_set("suites", 0, "errors", value=[3]), "(fast).errors[0]: expected"),
    "failed-without-cause": (
        _all(_set("suites", 0, "status", value="failed"), _set("exit_code", value=1)),
        "(fast).status: expected not 'failed' (no row failed, no worker crashed, every test has "
        "an outcome), got 'failed'",
    ),
    "red-with-exit-0": (
        _set("suites", 0, "status", value="cancelled"),
        "exit_code: expected 1 (suites[0] (fast) is cancelled), got 0",
    ),
    "row-worker-missing": (_drop("suites", 0, "tests", 0, "worker"), "(fast).tests[0].worker"),
    "row-duration-str": (
        _set("suites", 0, "tests", 1, "duration", value="1s"),
        "(fast).tests[1].duration",
    ),
    "collected-missing": (_drop("suites", 0, "collected"), "(fast).collected"),
}


@pytest.mark.parametrize("case", sorted(CONTENT_CORRUPTIONS))
def test_a_summary_that_does_not_hold_together_is_one_line_naming_file_suite_and_key(
    valid: Path, tmp_path: Path, case: str
) -> None:
    change, expected = CONTENT_CORRUPTIONS[case]
    bad = copy_of(valid, tmp_path / "bad")
    edit_json(bad / "summary.json", change)
    out = tmp_path / "out"
    line = refused([str(bad), "--report-dir", str(out)], tmp_path)
    assert line.startswith(f"zenboard: error: {bad / 'summary.json'}: ")
    assert expected in line, line
    assert "\x1b" not in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set("suites", 0, "tests", 0, "outcome", value="failed"), "(fast).counts.passed"),
        (_set("suites", 0, "status", value="bogus"), "(fast).status"),
        (_set("suites", 0, "status", value="\x1b[2J"), "(fast).status"),
    ],
    ids=["row-failed", "status-bogus", "status-control"],
)
def test_the_testers_summaries_are_refused_first_or_last_beside_a_good_one(
    valid: Path, tmp_path: Path, change: Callable[[Any], Any], expected: str
) -> None:
    """A row made failed with counts and status left saying passed merged green; an unknown
    status was a traceback when another shard had the suite too."""
    bad = copy_of(valid, tmp_path / "bad")
    edit_json(bad / "summary.json", change)
    good = copy_of(valid, tmp_path / "good")
    for dirs in ([bad], [good, bad], [bad, good]):
        line = refused([*map(str, dirs), "--report-dir", str(tmp_path / "out")], tmp_path)
        assert f"{bad / 'summary.json'}: suites[0] {expected}: expected" in line, line


# Genuine summaries: real shard runs (`zenboard run --ci --shard K/N`), and summaries written by
# zenboard's own writer from the model (reports.summary), for states a short test cannot reach
# reliably by a real run (a cancel mid-test, a worker crashing).

RED_PROJECT = {
    "pyproject.toml": suites_toml(
        'name = "fast"\nargs = ["test_x.py", "-m", "not api"]\nworkers = 0',
        'name = "par"\nargs = ["test_x.py", "-m", "api"]\nworkers = 2',
        'name = "broken"\nargs = ["broken"]\nworkers = 0',
    ),
    "test_x.py": """
        import pytest

        def test_one():
            pass

        def test_fails():
            assert 1 == 2

        @pytest.mark.skip
        def test_skipped():
            pass

        @pytest.mark.xfail
        def test_xfail():
            assert 0

        @pytest.mark.parametrize("i", range(5))
        def test_many(i):
            pass

        @pytest.mark.api
        @pytest.mark.parametrize("i", range(8))
        def test_api(i):
            pass
    """,
    "broken/test_broken.py": "import module_that_does_not_exist\n",
}


def _shard_runs(root: Path, files: dict[str, str], n: int) -> list[Path]:
    project = write_project(root / "proj", files)
    dirs = []
    for k in range(1, n + 1):
        out = root / f"shard{k}"
        done = run_cli(["run", "--ci", "--shard", f"{k}/{n}", "--report-dir", str(out)], project)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        dirs.append(out)
    return dirs


def _model_run(out: Path) -> Path:
    """A report dir whose summary.json zenboard's writer made from a run of the model: a suite
    cancelled with tests running and tests never started, one whose worker crashed mid-test."""
    from zenboard.model import events as ev
    from zenboard.model.reducer import apply
    from zenboard.model.state import RunState
    from zenboard.records.reports import summary, summary_text

    ids = tuple(f"test_y.py::test_{i}" for i in range(4))
    done = {"setup": {"outcome": "passed"}, "call": {"outcome": "passed"}, "teardown": {}}
    state = RunState.for_suites(["cut", "lost"])
    events: list[ev.Event] = []
    for suite in ("cut", "lost"):
        events += [
            ev.SuiteLaunched(suite, ("pytest",), 1, 100.0),
            ev.RunStarted(suite, 2),
            ev.WorkerReady(suite, "gw0"),
            ev.WorkerReady(suite, "gw1"),
            ev.WorkerCollected(suite, "gw0", 4),
            ev.TestsCollected(suite, ids),
            ev.TestStarted(suite, ids[0], "gw0"),
            ev.TestFinished(suite, ids[0], "gw0", "passed", 0.1, done),
            ev.TestStarted(suite, ids[1], "gw1"),
            ev.TestStarted(suite, ids[2], "gw0"),
        ]
    events += [
        ev.SuiteExited("cut", -15, 101.0, cancelled=True),
        ev.WorkerDown("lost", "gw1", crashed=True, test=ids[1]),
        ev.TestFinished("lost", ids[2], "gw0", "passed", 0.1, done),
        ev.TestStarted("lost", ids[3], "gw0"),
        ev.TestFinished("lost", ids[3], "gw0", "skipped", 0.0, done),
        ev.RunFinished("lost", 1, 1.0),
        ev.SuiteExited("lost", 1, 102.0),
    ]
    for event in events:
        apply(state, event)
    out.mkdir()
    text = summary_text(summary(state, now=103.0, meta={"commit": None, "shard": None}))
    (out / "summary.json").write_text(text, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def genuine(valid: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Sets of report dirs that merge as they are: name -> the dirs of one merge."""
    root = tmp_path_factory.mktemp("genuine")
    green = {"pyproject.toml": suites_toml('name = "fast"\nworkers = 0'), "test_x.py": TESTS}
    return {
        "valid": [valid],
        "green-shards": _shard_runs(root / "green", green, 2),
        "red-shards": _shard_runs(root / "red", RED_PROJECT, 2),
        "model": [_model_run(root / "model")],
    }


def _verdict(merged: dict[str, Any]) -> dict[str, Any]:
    """What a merge decides: its exit code, every row's outcome, the counts, tests without an
    outcome, and each suite's status."""
    suites = merged["suites"]
    counts: Counter[str] = Counter()
    for suite in suites:
        counts.update(suite["counts"])
    return {
        "exit_code": merged["exit_code"],
        "outcomes": Counter(t["outcome"] for s in suites for t in s["tests"]),
        "counts": counts,
        "unreported": sum(s["unreported"] for s in suites),
        "not_run": sum(len(s["not_run"]) for s in suites),
        "interrupted": sum(len(s["interrupted"]) for s in suites),
        "statuses": {s["name"]: s["status"] for s in suites},
    }


def test_genuine_summaries_merge_and_their_merge_merges_to_the_same(
    genuine: dict[str, list[Path]], tmp_path: Path
) -> None:
    codes = {}
    for name, dirs in genuine.items():
        first = merge(dirs, tmp_path / name)
        again = merge([tmp_path / name], tmp_path / f"{name}-again")
        assert _verdict(again) == _verdict(first)
        codes[name] = first["exit_code"]
        statuses = set(_verdict(first)["statuses"].values())
        if name == "red-shards":
            assert statuses == {"failed", "passed", "error"}, first
        if name == "model":
            assert statuses == {"cancelled", "failed"}, first
    assert codes == {"valid": 0, "green-shards": 0, "red-shards": 1, "model": 1}


def _suites(summary: Any) -> list[Any]:
    suites = summary.get("suites") if isinstance(summary, dict) else None
    return suites if isinstance(suites, list) else []


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _delete(value: Any, path: tuple[Any, ...]) -> Any:
    """`value` without the entry at `path` (a key of an object, an item of a list)."""
    if len(path) > 1:
        return _replace(value, path[:1], _delete(value[path[0]], path[1:]))
    copy = dict(value) if isinstance(value, dict) else list(value)
    del copy[path[0]]
    return copy


KEY_FIELDS = {
    *("version", "exit_code", "shard", "plan", "name", "status", "collected", "counts"),
    *("unreported", "not_run", "interrupted", "crashed", "outcome", "tests", "errors"),
    *OUTCOMES,
}
"""Fields a verdict depends on: mutated more often than the rest."""

NEAR_VALUES = st.sampled_from(
    [
        *("passed", "failed", "error", "cancelled", "no tests", "running", "idle"),
        *OUTCOMES,
        "pwned",
        "\x1b[2J",
        "",
        "0",
        -65,
        -15,
        -1,
        0,
        1,
        2,
        5,
        255,
        256,
        10**20,
        0.5,
        None,
        True,
        False,
        [],
        {},
        ["test_x.py::test_one"],
        [{"nodeid": "", "longrepr": "boom"}],
    ]
)
"""Values a hostile edit would try: the other statuses and outcomes, nearby exit codes."""


@settings(
    max_examples=300,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_one_changed_field_merges_as_the_genuine_summary_does_or_is_refused(
    genuine: dict[str, list[Path]], data: st.DataObject
) -> None:
    """Any one field of a genuine summary changed (or removed): the merge refuses it (one line,
    nothing written), or decides what the genuine summaries decide. Never a traceback, never
    exit 0 with a failed row or a test without an outcome.

    What the same rows could genuinely carry may still differ: a red suite's status turned into
    another red one (a cancel racing the end of a run), the tests a cancelled suite names as
    interrupted, a suite's name, exit code, seconds, ids or worker rows. A suite removed whole
    cannot be told from a shard in which none of its tests fell; the run's exit code keeps it
    from being a red one.
    """
    name = data.draw(st.sampled_from(sorted(genuine)), label="merge")
    dirs = genuine[name]
    k = data.draw(st.integers(0, len(dirs) - 1), label="dir")
    summary = json.loads((dirs[k] / "summary.json").read_text())
    paths = _paths(summary)
    keyed = [p for p in paths if p and p[-1] in KEY_FIELDS]
    path = data.draw(st.sampled_from(paths) | st.sampled_from(keyed), label="path")
    old = _get(summary, path)
    values = JSON_VALUES | NEAR_VALUES
    if isinstance(old, int) and not isinstance(old, bool):
        values |= st.integers(-2, 2).map(lambda d: old + d)
    if path and data.draw(st.booleans(), label="remove"):
        mutated = _delete(summary, path)
    else:
        mutated = _replace(summary, path, data.draw(values, label="value"))
    with tempfile.TemporaryDirectory() as scratch:
        copies = [copy_of(d, Path(scratch) / f"in{i}") for i, d in enumerate(dirs)]
        expected = _verdict(merge(copies, Path(scratch) / "expected"))
        (copies[k] / "summary.json").write_text(json.dumps(mutated), encoding="utf-8")
        out = Path(scratch) / "out"
        refusal: InputError | None = None
        try:
            merged = merge(copies, out)
        except InputError as exc:
            refusal = exc
        if refusal is not None:
            assert "\n" not in str(refusal) and str(Path(scratch)) in str(refusal)
            assert not out.exists(), "nothing is written before every input is checked"
            return
    got = _verdict(merged)
    rows = [t for s in merged["suites"] for t in s["tests"]]
    if got["exit_code"] == 0:
        assert not any(t["outcome"] in ("failed", "error") for t in rows), merged
        assert not (got["not_run"] or got["interrupted"] or got["unreported"]), merged
        assert set(got["statuses"].values()) <= {"passed", "no tests"}, merged
    assert got["exit_code"] == expected["exit_code"]
    if len(_suites(mutated)) < len(summary["suites"]):
        # Suites removed whole: only rows of suites that could be missing are gone (green ones).
        assert not (got["outcomes"] - expected["outcomes"])
        return
    keys = ["outcomes", "counts", "unreported", "not_run", "interrupted"]
    if path[2:3] == ("interrupted",) and summary["suites"][path[1]]["status"] == "cancelled":
        keys.remove("interrupted")  # nothing else in a cancelled suite says which tests ran
    for key in keys:
        assert got[key] == expected[key], (key, got, expected)
    if path[-1:] not in (("status",), ("name",)):
        assert got["statuses"] == expected["statuses"]
    elif path[-1] == "status" and got["statuses"] != expected["statuses"]:
        changed = {s for n, s in got["statuses"].items() if expected["statuses"].get(n) != s}
        assert changed <= {"failed", "error", "cancelled"}, (changed, expected)
