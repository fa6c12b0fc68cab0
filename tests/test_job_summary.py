"""The job summary's Markdown, GitHub's escaping and annotations, and budgets: pure logic.

The runs that produce them for real are in test_ci_outputs.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import write_project
from zenboard.config import load_config
from zenboard.errors import ConfigError
from zenboard.headless.ci_outputs import CiOutputs, write_ci_outputs
from zenboard.headless.github import (
    GitHubEnv,
    escape_data,
    escape_property,
    failure_annotations,
    location,
)
from zenboard.headless.job_summary import code_block, job_summary, md_text
from zenboard.model import events as ev
from zenboard.model.budgets import over_budget
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteState
from zenboard.model.state import TestResult as Result
from zenboard.ui.session import Session

# --- GitHub's escaping ---------------------------------------------------------------------------


def test_data_escapes_percent_and_line_ends_first_percent() -> None:
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_data("%0A") == "%250A"  # a literal escape stays literal


def test_properties_also_escape_colon_and_comma() -> None:
    assert escape_property("a.py::test[x,y]\n") == "a.py%3A%3Atest[x%2Cy]%0A"


def test_github_env_only_under_github_actions() -> None:
    assert GitHubEnv.from_env({"GITHUB_STEP_SUMMARY": "/tmp/s"}) is None
    env = GitHubEnv.from_env(
        {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "/s", "GITHUB_WORKSPACE": "/w"}
    )
    assert env == GitHubEnv(Path("/w"), Path("/s"))


# --- Markdown escaping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "a | b",
        "`code` and **bold** [link](http://x)",
        "line\nbreak\r\n| new row |",
    ],
)
def test_untrusted_text_becomes_no_markup(text: str) -> None:
    shown = md_text(text)
    assert "<" not in shown and ">" not in shown  # GitHub renders HTML in a summary
    assert "\n" not in shown and "\r" not in shown
    assert re.search(r"(?<!\\)[|`*\[\]]", shown) is None  # every Markdown character escaped


def test_a_code_block_cannot_be_closed_by_its_text() -> None:
    block = code_block(["x = '```'", "````", "</pre><script>"])
    fence = block.splitlines()[0].removesuffix("text")
    assert len(fence) == 5
    inner = block.splitlines()[1:-1]
    assert all(not line.startswith(fence) for line in inner)
    assert block.splitlines()[-1] == fence


# --- the summary ---------------------------------------------------------------------------------


def _failed_record(nodeid: str, text_lines: int) -> dict[str, Any]:
    longrepr = "\n".join(f"E   line {i} " + "x" * 200 for i in range(text_lines))
    crash = {"path": "/proj/tests/test_a.py", "lineno": 7, "message": "AssertionError: no"}
    return {"nodeid": nodeid, "outcome": "failed", "call": {"outcome": "failed",
            "crash": crash, "longrepr": longrepr}}  # fmt: skip


def _state(failures: int, passed: int = 3) -> RunState:
    state = RunState.for_suites(["unit"])
    apply(state, ev.SuiteLaunched("unit", ("pytest",), 1, 100.0))
    apply(state, ev.RunStarted("unit", 2, "/proj"))
    for i in range(passed):
        apply(state, ev.TestFinished("unit", f"tests/test_a.py::test_ok{i}", "gw0", "passed", 0.1))
    flaky = ev.TestFinished("unit", "tests/test_a.py::test_flaky", "gw0", "passed", 0.1, attempts=2)
    apply(state, flaky)
    for i in range(failures):
        nodeid = f"tests/test_a.py::test_bad{i}"
        apply(
            state, ev.TestFinished("unit", nodeid, "gw1", "failed", 0.2, _failed_record(nodeid, 40))
        )
    apply(state, ev.RunFinished("unit", 1, 10.0))
    apply(state, ev.SuiteExited("unit", 1, 110.0))
    return state


def test_the_summary_has_tables_and_failures_with_short_tracebacks() -> None:
    text = job_summary(_state(2), Path("/proj"), 120.0, 1)
    assert text.startswith("## zenboard: exit code 1")
    assert "| unit | failed | 6 | 4 | 2 |" in text
    assert "### Failures (2)" in text and "test\\_bad1" in text
    assert "at tests/test_a.py:7" in text  # the short traceback, relative to the rootdir
    assert "| unit | gw1 | 2 | 0 | 2 |" in text  # the worker table
    assert "test\\_flaky: passed on attempt 2" in text


def test_a_replacement_that_crashed_too_says_both_in_the_worker_table() -> None:
    state = _state(0)
    for event in (
        ev.WorkerDown("unit", "gw0", True, "tests/test_a.py::test_x"),
        ev.WorkerReplaced("unit", "gw0", "gw3"),
        ev.WorkerDown("unit", "gw3", True, "tests/test_a.py::test_x"),
        ev.WorkerReplaced("unit", "gw3", "gw4"),
    ):
        apply(state, event)
    text = job_summary(state, Path("/proj"), 120.0, 1)
    assert "| gw3 | 0 | 0 | 0 | replaces gw0; crashed while running tests/test\\_a" in text
    assert "| gw4 | 0 | 0 | 0 | replaces gw3 |" in text


def test_twenty_thousand_long_failures_stay_under_the_limit_and_say_what_was_cut() -> None:
    text = job_summary(_state(20_000), Path("/proj"), 120.0, 1)
    size = len(text.encode())
    assert 900_000 < size <= 1024 * 1024
    cut = re.search(r"_(\d+) more failures: see the reports\._", text)
    assert cut is not None
    shown = text.count("(failed on gw1)")
    assert shown + int(cut.group(1)) == 20_000
    assert "### Flaky (1)" in text and "### Slowest tests" in text  # later sections keep room


def test_a_smaller_limit_is_kept_too() -> None:
    text = job_summary(_state(500), Path("/proj"), 120.0, 1, limit=50_000)
    assert len(text.encode()) <= 50_000


MIB = 1024 * 1024


def _append_to(tmp_path: Path, already: int, note: str = "a note") -> tuple[Path, CiOutputs]:
    """`run --ci`'s outputs under GitHub Actions, into a step summary already `already` long."""
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_bytes(b"x" * already)
    github = GitHubEnv(workspace=tmp_path, step_summary=step_summary)
    return step_summary, write_ci_outputs(_state(3), tmp_path, 1, github, None, [note])


def test_a_nearly_full_step_summary_gets_one_line_and_stays_within_1_mib(tmp_path: Path) -> None:
    step_summary, done = _append_to(tmp_path, MIB - 100)
    added = step_summary.read_bytes()[MIB - 100 :].decode()
    assert step_summary.stat().st_size <= MIB
    assert added == (
        "**zenboard: exit code 1** (no room left here for its summary: see the run's log)\n"
    )
    assert done.faults == []


def test_a_full_step_summary_is_left_alone_and_the_fault_says_why(tmp_path: Path) -> None:
    step_summary, done = _append_to(tmp_path, MIB - 40)
    assert step_summary.stat().st_size == MIB - 40
    assert done.faults == [
        f"job summary: not written: $GITHUB_STEP_SUMMARY already holds {MIB - 40} bytes"
        " of GitHub's 1 MiB"
    ]


def test_room_for_the_tables_but_not_the_rest_keeps_the_whole_append_in(tmp_path: Path) -> None:
    step_summary, done = _append_to(tmp_path, MIB - 400, "a budget line " * 60)
    added = step_summary.read_bytes()[MIB - 400 :].decode()
    assert step_summary.stat().st_size <= MIB and done.faults == []
    assert added.startswith("## zenboard: exit code 1") and "| unit | failed |" in added
    assert "a budget line" not in added  # too long for what is left
    assert "### Failures" not in added  # the lists keep their reserve: none fits here


# --- annotations ---------------------------------------------------------------------------------


def _failed(nodeid: str, crash_path: str, traceback: list[dict[str, Any]] | None = None) -> Result:
    call: dict[str, Any] = {"outcome": "failed", "crash": {"path": crash_path, "lineno": 12}}
    if traceback is not None:
        call["traceback"] = traceback
    return Result(nodeid, "failed", "gw0", 0.1, {"call": call})


def test_location_is_relative_to_the_workspace(tmp_path: Path) -> None:
    rootdir = tmp_path / "backend"
    test = _failed("tests/test_a.py::t", "tests/test_a.py")  # relative to the rootdir
    assert location(test, str(rootdir), tmp_path) == ("backend/tests/test_a.py", 12)
    absolute = _failed("tests/test_a.py::t", str(rootdir / "tests" / "test_a.py"))
    assert location(absolute, str(rootdir), tmp_path) == ("backend/tests/test_a.py", 12)


def test_a_crash_in_a_library_points_at_the_projects_line(tmp_path: Path) -> None:
    library = str(tmp_path / ".venv/lib/python3.12/site-packages/lib.py")
    test = _failed("tests/test_a.py::t", library, [{"path": "tests/test_a.py", "lineno": 3}])
    assert location(test, str(tmp_path), tmp_path) == ("tests/test_a.py", 3)


def test_a_path_outside_the_workspace_is_not_annotated_as_a_file(tmp_path: Path) -> None:
    test = _failed("../elsewhere/test_a.py::t", "/usr/lib/python3/x.py")
    assert location(test, str(tmp_path), tmp_path / "ws") is None
    state = RunState.for_suites(["unit"])
    apply(state, ev.SuiteLaunched("unit", ("pytest",), 1, 1.0))
    apply(state, ev.TestFinished("unit", test.nodeid, "gw0", "failed", 0.1, test.record))
    (line,) = failure_annotations(state, tmp_path, tmp_path / "ws")
    assert line.startswith("::error title=[unit] ../elsewhere/test_a.py%3A%3At::")


# --- budgets -------------------------------------------------------------------------------------


def test_budgets_name_the_suite_its_time_and_its_budget() -> None:
    state = RunState.for_suites(["unit", "e2e"])
    apply(state, ev.SuiteLaunched("unit", ("pytest",), 1, 100.0))
    apply(state, ev.SuiteExited("unit", 0, 112.34))
    apply(state, ev.SuiteLaunched("e2e", ("node",), 2, 100.0))
    apply(state, ev.SuiteExited("e2e", 0, 105.0))
    budgets = {"unit": 10.0, "e2e": 10.0}
    assert over_budget(state, budgets, 200.0, 60.0, 12.5) == [
        "budget exceeded: suite unit took 12.3 s, budget 10 s"
    ]
    assert over_budget(state, {"unit": None}, 200.0, 12.0, 12.5) == [
        "budget exceeded: the run took 12.5 s, budget 12 s"
    ]


def test_budget_keys_load_and_bad_values_name_file_and_key(tmp_path: Path) -> None:
    good = write_project(
        tmp_path / "a",
        {
            "pyproject.toml": '[tool.zenboard]\nbudget = 60\n[[tool.zenboard.suites]]\nname = "u"\nbudget = 2.5\n'
        },
    )
    config = load_config(good)
    assert config.budget == 60.0 and config.suites[0].budget == 2.5
    assert load_config(write_project(tmp_path / "b", {})).budget is None
    for text, key in (
        ("[tool.zenboard]\nbudget = 0\n", "tool.zenboard.budget"),
        ('[tool.zenboard]\nbudget = "1m"\n', "tool.zenboard.budget"),
        ('[[tool.zenboard.suites]]\nname = "u"\nbudget = -1\n', "budget"),
    ):
        root = write_project(tmp_path / str(abs(hash(text))), {"pyproject.toml": text})
        with pytest.raises(ConfigError) as caught:
            load_config(root)
        assert key in caught.value.key and "pyproject.toml" in str(caught.value)


def _launch(
    session: Session, suite: str, start: float, end: float, nodeids: tuple[str, ...] = ()
) -> None:
    session.fold([ev.SuiteLaunched(suite, ("pytest",), 1, start, nodeids=nodeids)])
    passed = ev.TestFinished(suite, "t.py::a", "main", "passed", 0.1)
    session.fold([passed, ev.RunFinished(suite, 0, end - start), ev.SuiteExited(suite, 0, end)])


def test_the_dashboard_checks_budgets_after_a_full_launch_only(tmp_path: Path) -> None:
    toml = '[tool.zenboard]\nbudget = 30\n[[tool.zenboard.suites]]\nname = "unit"\nbudget = 10\n'
    session = Session(load_config(write_project(tmp_path, {"pyproject.toml": toml})))
    try:
        _launch(session, "unit", 100.0, 105.0)
        assert session.budget_notes == [] and session.exit_code() == 0
        _launch(session, "unit", 200.0, 212.0, nodeids=("t.py::a",))  # a rerun: not measured
        assert session.budget_notes == [] and session.exit_code() == 0
        _launch(session, "unit", 300.0, 340.0)
        assert session.budget_notes == [
            "budget exceeded: suite unit took 40.0 s, budget 10 s",
            "budget exceeded: the run took 40.0 s, budget 30 s",
        ]
        assert session.exit_code() == 1
    finally:
        session.shutdown()


def _raised(message: str) -> Result:
    call = {"outcome": "failed", "crash": {"path": "tests/test_a.py", "message": message}}
    return Result("tests/test_a.py::t", "failed", "gw0", 0.1, {"call": call})


def test_an_annotation_keeps_the_first_lines_of_the_message_escaped(tmp_path: Path) -> None:
    state = RunState.for_suites(["unit"])
    state.suites["unit"].tests["tests/test_a.py::t"] = _raised("RuntimeError: boom\r\n2 100%")
    (line,) = failure_annotations(state, tmp_path, tmp_path)
    assert line.endswith("::failed: RuntimeError: boom%0D%0A2 100%25")
    assert line.count("\n") == 0 and line.count("\r") == 0
    long = "\n".join(f"line {i}" for i in range(8))
    state.suites["unit"].tests["tests/test_a.py::t"] = _raised(long)
    (line,) = failure_annotations(state, tmp_path, tmp_path)
    assert line.endswith("::failed: line 0%0Aline 1%0Aline 2%0Aline 3%0Aline 4")
    state.suites["unit"].tests["tests/test_a.py::t"] = _raised("x" * 5000)
    (line,) = failure_annotations(state, tmp_path, tmp_path)
    assert line.endswith("::failed: " + "x" * 1000)


# --- suite errors --------------------------------------------------------------------------------

IMPORT_ERROR = """ImportError while importing test module '/proj/tests/test_imp.py'.
Traceback:
tests/test_imp.py:1: in <module>
    import nonexistent_module_zz
E   ModuleNotFoundError: No module named 'nonexistent_module_zz' <img src=x>"""


def _errored_state(failures: int = 0) -> RunState:
    """`unit` fails to collect a file, `args` stops pytest at its usage error, `empty` selects
    nothing; `unit` also has `failures` failed tests."""
    state = _state(failures)
    apply(state, ev.CollectFailed("unit", "tests/test_imp.py", IMPORT_ERROR))
    for name in ("args", "empty"):
        state.suites[name] = SuiteState(name)
        apply(state, ev.SuiteLaunched(name, ("pytest",), 1, 100.0))
    apply(state, ev.SuiteExited("args", 4, 101.0, error="pytest stopped: unrecognized --no-such"))
    apply(state, ev.RunStarted("empty", 1, "/proj"))
    apply(state, ev.RunFinished("empty", 5, 0.5))
    apply(state, ev.SuiteExited("empty", 5, 101.0))
    return state


def test_suite_errors_are_in_the_summary_fenced_and_escaped() -> None:
    state = _errored_state()
    assert state.suites["empty"].status == "no tests"
    text = job_summary(state, Path("/proj"), 120.0, 1)
    section = text.split("### Suite errors (3)\n", 1)[1].split("###", 1)[0]
    assert "**unit** collection error in tests/test\\_imp\\.py:" in section
    assert "```text\n" in section and "E   ModuleNotFoundError" in section
    outside = section.split("```")[0::2]
    assert "<img src=x>" in section and not any("<img" in part for part in outside)
    assert "**args** error:" in section and "unrecognized --no-such" in section
    assert "**empty** no tests:" in section and "selected no tests" in section
    small = job_summary(state, Path("/proj"), 120.0, 1, limit=1500)
    assert len(small.encode()) <= 1500


def test_suite_errors_are_annotated_first_and_counted_within_the_cap(tmp_path: Path) -> None:
    state = _errored_state(failures=12)
    (tmp_path / "tests").mkdir()
    state.suites["unit"].rootdir = str(tmp_path)
    lines = failure_annotations(state, tmp_path, tmp_path)
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 10
    assert errors[0] == (
        "::error file=tests/test_imp.py,title=[unit] collection error tests/test_imp.py::"
        "ModuleNotFoundError: No module named 'nonexistent_module_zz' <img src=x>"
    )
    assert errors[1] == "::error title=[args] error::pytest stopped: unrecognized --no-such"
    assert errors[2].startswith("::error title=[empty] no tests::selected no tests")
    assert lines[-1].startswith("::notice title=zenboard::12 tests failed and 3 suite errors;")


def test_a_cancelled_suite_counts_its_collected_tests_and_names_those_not_run() -> None:
    state = RunState.for_suites(["unit"])
    apply(state, ev.SuiteLaunched("unit", ("pytest",), 1, 100.0))
    apply(state, ev.RunStarted("unit", 1, "/proj"))
    ids = tuple(f"tests/test_a.py::test_{i}" for i in range(7))
    apply(state, ev.WorkerCollected("unit", "main", len(ids)))
    apply(state, ev.TestsCollected("unit", ids))
    apply(state, ev.TestStarted("unit", ids[0], "main", time=100.5))
    apply(state, ev.SuiteExited("unit", -15, 101.0, cancelled=True))
    text = job_summary(state, Path("/proj"), 120.0, 1)
    assert "| unit | cancelled | 7 |" in text
    section = text.split("### Not run\n", 1)[1]
    assert "6 tests not run, 1 interrupted" in section
    assert "  - tests/test\\_a\\.py::test\\_0\n" in section  # the interrupted one first
    assert "  - tests/test\\_a\\.py::test\\_4\n  - and 2 more" in section
