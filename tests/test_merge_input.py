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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.errors import InputError
from zenboard.integrations.merge import merge

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
    for name in ("fast.json", "fast.xml", "summary.json"):
        (out / name).symlink_to(victim)
    done = run_cli(["merge", str(shard), "--report-dir", str(out)], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["fast.json", "fast.xml", "summary.json"]
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
