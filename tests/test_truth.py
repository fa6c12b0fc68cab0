"""Never a false green: every collected test ends with exactly one true outcome, or the run fails.

Real pytest and pytest-xdist subprocesses on real test files, run through zenboard's command line
(or its headless view in this process): lost reports, crashes, forged stream lines, huge failure
texts, shards with path arguments, concurrent runs and cancels.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    ZENBOARD,
    run_cli,
    run_in_process,
    suites_toml,
    wait_for,
    write_project,
)
from zenboard.config import load_config
from zenboard.engine import Engine, EventBuffer
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteState

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

LATEST = Path(".zenboard/reports/latest")


def _summary(project: Path, report_dir: Path = LATEST) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / report_dir / "summary.json").read_text())
    return data


def _suite(summary: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in summary["suites"] if s["name"] == name)


def _rows(suite: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["nodeid"]: row for row in suite["tests"]}


def _run_selection(project: Path, suite: str, chosen: tuple[str, ...]) -> SuiteState:
    """Run `chosen` of `suite` through the engine (as a rerun or watch phase does)."""
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer)
    try:
        run = engine.start(config.suite(suite), chosen, str(project))
        assert run.done.wait(120)
        state = RunState.for_suites([suite])
        for event in buffer.drain():
            apply(state, event)
        return state.suites[suite]
    finally:
        engine.close()


def test_a_report_xdist_cannot_send_is_an_error_never_a_pass(tmp_path: Path) -> None:
    """pytest-xdist #887: a lone surrogate in a failure message cannot cross execnet; pytest's
    own JSON report then calls the test passed from its setup alone."""
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2'),
            "test_surrogate.py": """
            import pytest

            @pytest.mark.parametrize("i", range(6))
            def test_fine(i):
                pass

            def test_lone_surrogate():
                assert False, "undecodable \\udcff byte"
        """,
        },
    )
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    suite = _suite(_summary(project), "unit")
    row = _rows(suite)["test_surrogate.py::test_lone_surrogate"]
    assert row["outcome"] == "error"
    assert row["unreported"] is True
    assert row["worker"].startswith("gw")
    assert row["reason"].startswith("no result")
    assert suite["unreported"] == 1
    assert suite["counts"]["passed"] == 6
    assert suite["counts"]["error"] == 1
    lines = [line for line in done.stdout.splitlines() if "test_lone_surrogate" in line]
    assert len(lines) == 1 and "UNREPORTED" in lines[0], done.stdout


def test_a_segfault_without_xdist_names_its_test_and_lists_the_tests_never_run(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "test_crash.py": """
            import ctypes

            def test_before():
                pass

            def test_segfault():
                ctypes.string_at(0)

            def test_after_one():
                pass

            def test_after_two():
                pass
        """,
        },
    )
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    suite = _suite(_summary(project), "unit")
    rows = _rows(suite)
    assert rows["test_crash.py::test_before"]["outcome"] == "passed"
    crashed = rows["test_crash.py::test_segfault"]
    assert crashed["outcome"] == "error" and crashed["worker"] == "main"
    assert "SIGSEGV" in crashed["reason"]
    assert suite["not_run"] == ["test_crash.py::test_after_one", "test_crash.py::test_after_two"]
    assert suite["counts"]["not_run"] == 2
    assert suite["unreported"] == 1
    assert "test_after_one" not in rows
    assert "UNREPORTED test_crash.py::test_segfault (main)" in done.stdout


def test_a_two_megabyte_failure_appears_exactly_once_everywhere(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2'),
            "test_huge.py": """
            def test_huge_message():
                assert False, "y" * 2_000_000

            def test_fine():
                pass
        """,
        },
    )
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 1, done.stderr
    failed_lines = [line for line in done.stdout.splitlines() if "FAILED" in line]
    assert len(failed_lines) == 1 and "test_huge_message" in failed_lines[0]
    assert len(failed_lines[0]) < 1_000
    suite = _suite(_summary(project), "unit")
    assert _rows(suite)["test_huge.py::test_huge_message"]["outcome"] == "failed"
    assert suite["counts"]["failed"] == 1 and suite["counts"]["passed"] == 1
    assert suite["stream"]["oversized"] == 0 and suite["stream"]["corrected"] == 0
    junit = (project / LATEST / "unit.xml").read_text()
    assert junit.count("<failure") == 1
    assert 16_000 < len(junit) < 100_000
    report = json.loads((project / LATEST / "unit.json").read_text())
    whole = next(t for t in report["tests"] if t["nodeid"].endswith("test_huge_message"))
    assert len(whole["call"]["crash"]["message"]) > 2_000_000
    with sqlite3.connect(project / ".zenboard" / "history.db") as db:
        recorded = db.execute(
            "SELECT outcome FROM test_results WHERE nodeid = ?",
            ("test_huge.py::test_huge_message",),
        ).fetchall()
    assert recorded == [("failed",)]


def test_shards_with_a_path_argument_partition_the_suite(tmp_path: Path) -> None:
    """pytest 9 collects a path argument whole even when node ids inside it are given."""
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                'name = "unit"\nargs = ["tests/unit", "-m", "unit", "-k", "not skipme"]\nworkers = 2'
            ),
            "tests/unit/test_many.py": """
            import pytest

            pytestmark = pytest.mark.unit

            @pytest.mark.parametrize("i", range(15))
            def test_numbered(i):
                pass

            def test_skipme():
                pass
        """,
            "tests/unit/test_other.py": """
            import pytest

            @pytest.mark.unit
            def test_marked():
                pass

            def test_unmarked():
                pass
        """,
        },
    )
    seen: list[set[str]] = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard{k}"
        done = run_cli(["run", "--ci", "--shard", f"{k}/3", "--report-dir", str(out)], project)
        assert done.returncode == 0, done.stdout + done.stderr
        suite = _suite(json.loads((out / "summary.json").read_text()), "unit")
        seen.append(set(_rows(suite)))
        pytest_report = json.loads((out / "unit.json").read_text())
        assert {t["nodeid"] for t in pytest_report["tests"]} == seen[-1]
    everything = set().union(*seen)
    assert len(everything) == 16 == sum(len(s) for s in seen)
    assert not any("skipme" in n or "unmarked" in n for n in everything)
    merged = tmp_path / "merged"
    done = run_cli(
        ["merge", *(str(tmp_path / f"shard{k}") for k in (1, 2, 3)), "--report-dir", str(merged)],
        project,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(_rows(_suite(json.loads((merged / "summary.json").read_text()), "unit"))) == (
        everything
    )
    partial = run_cli(
        ["merge", str(tmp_path / "shard1"), str(tmp_path / "shard2"), "--report-dir", str(merged)],
        project,
    )
    assert partial.returncode == 2 and "shard 3/3 missing" in partial.stderr, partial.stderr
    # A machine whose durations file differs plans another split: merge refuses to join them.
    (project / ".zenboard" / "durations.json").write_text(
        json.dumps(
            {"version": 1, "suites": {"unit": {"tests/unit/test_other.py::test_marked": 9.0}}}
        )
    )
    other = tmp_path / "other3"
    done = run_cli(["run", "--ci", "--shard", "3/3", "--report-dir", str(other)], project)
    assert done.returncode == 0, done.stdout + done.stderr
    mixed = run_cli(
        [
            "merge",
            str(tmp_path / "shard1"),
            str(tmp_path / "shard2"),
            str(other),
            "--report-dir",
            str(tmp_path / "mixed"),
        ],
        project,
    )
    assert mixed.returncode == 2 and "planned from different" in mixed.stderr, mixed.stderr


def test_a_rerun_of_one_test_runs_only_that_test_despite_a_path_argument(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nargs = ["tests"]\nworkers = 0'),
            "tests/test_some.py": """
            def test_one():
                pass

            def test_two():
                pass
        """,
        },
    )
    suite = _run_selection(project, "unit", ("tests/test_some.py::test_two",))
    assert list(suite.tests) == ["tests/test_some.py::test_two"]


EVENT_PIPE = """
import json
import os


def _event_pipe():
    # The plugin removed ZENBOARD_EVENTS from os.environ, but /proc keeps the environment a
    # process started with: this one's without xdist, the controller's (the parent) with it.
    for pid in (os.getpid(), os.getppid()):
        for entry in open(f"/proc/{pid}/environ", "rb").read().split(b"\\0"):
            if entry.startswith(b"ZENBOARD_EVENTS="):
                return pid, f"/proc/{pid}/fd/{int(entry.split(b':')[1])}"
    raise AssertionError("no event pipe found")
"""
"""A helper for test files that forge lines into zenboard's event pipe, as a hostile test can."""

FORGER = (
    EVENT_PIPE
    + """

def test_a_forger():
    line = {
        "v": 1, "type": "test_finished", "nodeid": "test_forge.py::test_b_victim",
        "worker": "main", "outcome": "passed", "duration": 0.0, "record": {},
    }
    with open(_event_pipe()[1], "w") as pipe:
        pipe.write(json.dumps(line) + "\\n")


def test_b_victim():
    assert False, "this failure is real"
"""
)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_forged_passed_line_changes_no_outcome(tmp_path: Path, workers: int) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                f'name = "unit"\nworkers = {workers}\nargs = ["-p", "no:randomly"]'
                + ('\ndist = "loadfile"' if workers else "")
            ),
            "test_forge.py": FORGER,
        },
    )
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    suite = _suite(_summary(project), "unit")
    rows = _rows(suite)
    assert rows["test_forge.py::test_a_forger"]["outcome"] == "passed"
    assert rows["test_forge.py::test_b_victim"]["outcome"] == "failed"
    assert suite["counts"]["failed"] == 1 and suite["counts"]["passed"] == 1
    assert suite["stream"]["corrected"] == 1
    assert "stream damaged: 1 result corrected" in done.stdout
    assert (
        sum("FAILED test_forge.py::test_b_victim" in line for line in done.stdout.splitlines()) == 1
    )


def test_no_child_of_a_test_inherits_the_event_pipe(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "test_child.py": """
            import os
            import stat
            import subprocess
            import sys

            def test_child_holds_no_pipe():
                environ = open(f"/proc/{os.getpid()}/environ", "rb").read().split(b"\\0")
                spec = next(kv for kv in environ if kv.startswith(b"ZENBOARD_EVENTS="))
                fd = int(spec.split(b":")[1])
                assert stat.S_ISFIFO(os.fstat(fd).st_mode)
                assert not os.get_inheritable(fd)
                probe = f"import os; os.fstat({fd})"
                done = subprocess.run([sys.executable, "-c", probe], close_fds=False, timeout=60)
                assert done.returncode != 0
        """,
        },
    )
    result = run_in_process(project)
    assert result.code == 0, result.output
    assert result.state.suites["unit"].counts["passed"] == 1


SLOW_TESTS = """
import time

def test_quick():
    pass

def test_sleeps_a():
    time.sleep(120)

def test_sleeps_b():
    time.sleep(120)

def test_later_1():
    pass

def test_later_2():
    pass

def test_later_3():
    pass

def test_later_4():
    pass
"""


def test_a_cancel_names_the_tests_that_were_running(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2\ndist = "load"'),
            "test_slow.py": SLOW_TESTS,
            "conftest.py": """
            import os
            from pathlib import Path

            def pytest_runtest_call(item):
                if "sleeps" in item.name:
                    Path(os.environ["MARK_DIR"], item.name).touch()
        """,
        },
    )
    marks = tmp_path / "marks"
    marks.mkdir()
    proc = subprocess.Popen(
        [*ZENBOARD, "run", "--ci"],
        cwd=project,
        env={**os.environ, "MARK_DIR": str(marks)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: len(list(marks.iterdir())) == 2, "both sleeping tests to start")
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, output
    suite = _suite(_summary(project), "unit")
    assert sorted(suite["interrupted"]) == [
        "test_slow.py::test_sleeps_a",
        "test_slow.py::test_sleeps_b",
    ]
    assert suite["status"] == "cancelled"
    rows = _rows(suite)
    assert not any("sleeps" in n for n in rows)
    assert all(row["outcome"] == "passed" for row in rows.values())
    never = set(suite["not_run"])
    assert never | set(rows) | set(suite["interrupted"]) == {
        f"test_slow.py::{name}"
        for name in (
            "test_quick",
            "test_sleeps_a",
            "test_sleeps_b",
            "test_later_1",
            "test_later_2",
            "test_later_3",
            "test_later_4",
        )
    }
    assert suite["counts"]["not_run"] == len(never)
    assert "INTERRUPTED test_slow.py::test_sleeps_a" in output
    assert "INTERRUPTED test_slow.py::test_sleeps_b" in output
    junit = (project / LATEST / "unit.xml").read_text()
    assert junit.count('interrupted: running when the run was cancelled"') == 2
    assert junit.count('not run: the run ended before this test started"') == len(never)


def test_two_concurrent_runs_never_mix_their_reports(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                'name = "alpha"\nworkers = 0\nargs = ["test_alpha.py"]',
                'name = "beta"\nworkers = 2\nargs = ["test_beta.py"]',
            ),
            "test_alpha.py": """
            import time
            import pytest

            @pytest.mark.parametrize("i", range(20))
            def test_alpha(i):
                time.sleep(0.05)
        """,
            "test_beta.py": """
            import time
            import pytest

            @pytest.mark.parametrize("i", range(10))
            def test_beta(i):
                time.sleep(0.1)
                assert i != 3
        """,
        },
    )
    runs = [
        subprocess.Popen(
            [*ZENBOARD, "run", "--ci", *suites],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for suites in (["alpha"], ["beta"], ["alpha", "beta"], ["beta"])
    ]
    for run in runs:
        assert run.wait(timeout=240) in (0, 1)
    latest = project / LATEST
    summary = _summary(project)
    names = {s["name"] for s in summary["suites"]}
    for suite in summary["suites"]:
        report = json.loads((latest / f"{suite['name']}.json").read_text())
        assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == {
            row["nodeid"]: row["outcome"] for row in suite["tests"]
        }
        assert (latest / f"{suite['name']}.xml").is_file()
    for other in {"alpha", "beta"} - names:
        assert not (latest / f"{other}.json").exists()
        assert not (latest / f"{other}.xml").exists()
    assert not list(latest.glob(".run-*")), "staging directories left behind"


def test_a_cancelled_run_leaves_no_suite_file_of_the_run_before(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "test_slow.py": SLOW_TESTS,
            "conftest.py": """
            import os
            from pathlib import Path

            def pytest_runtest_call(item):
                if "sleeps" in item.name and os.environ.get("MARK_DIR"):
                    Path(os.environ["MARK_DIR"], item.name).touch()
                elif "sleeps" in item.name:
                    import pytest
                    pytest.skip("quick run")
        """,
        },
    )
    first = run_cli(["run", "--ci"], project)
    assert first.returncode == 0, first.stdout
    assert (project / LATEST / "unit.json").is_file()
    marks = tmp_path / "marks"
    marks.mkdir()
    proc = subprocess.Popen(
        [*ZENBOARD, "run", "--ci"],
        cwd=project,
        env={**os.environ, "MARK_DIR": str(marks)},
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: any(marks.iterdir()), "a sleeping test to start")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
    suite = _suite(_summary(project), "unit")
    assert suite["interrupted"] == ["test_slow.py::test_sleeps_a"]
    assert not (project / LATEST / "unit.json").exists(), "the earlier run's report stayed"


def test_a_forked_child_closes_the_event_pipe_but_never_a_reused_number() -> None:
    """The plugin's at-fork hook outlives its session: in a process that ran pytest in-process
    it must not close whatever file now has the old pipe's number (zenboard's next pipe)."""
    from zenboard.plugins.events import BatchedPipe

    def child_sees(fd: int) -> bool:
        pid = os.fork()
        if pid == 0:  # the child: report whether `fd` is still open, and leave at once
            try:
                os.fstat(fd)
                os._exit(0)
            except OSError:
                os._exit(1)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0

    read_fd, write_fd = os.pipe()
    pipe = BatchedPipe(write_fd)
    try:
        assert not child_sees(write_fd), "a forked child must not hold the live pipe"
    finally:
        pipe.close()
    os.close(write_fd)
    os.close(read_fd)
    reused_read, reused_write = os.pipe()  # the lowest free numbers: the old pipe's
    try:
        assert reused_write == write_fd or reused_read == write_fd
        assert child_sees(write_fd), "the hook closed a descriptor that is not its pipe"
    finally:
        os.close(reused_read)
        os.close(reused_write)


def test_a_finished_sessions_pipe_is_not_closed_in_a_forked_child() -> None:
    from zenboard.plugins.events import BatchedPipe

    read_fd, write_fd = os.pipe()
    pipe = BatchedPipe(write_fd)
    pipe.close()  # pytest_unconfigure: the session ended, the pipe is someone else's business
    try:
        pid = os.fork()
        if pid == 0:
            try:
                os.fstat(write_fd)
                os._exit(0)
            except OSError:
                os._exit(1)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    finally:
        os.close(read_fd)
        os.close(write_fd)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_selection_of_classes_and_files_from_a_subdirectory_is_exact(
    tmp_path: Path, workers: int
) -> None:
    """Reruns and watch phases select classes and whole files too, from a suite's own cwd."""
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                f'name = "sub"\ncwd = "sub"\nargs = ["."]\nworkers = {workers}'
            ),
            "sub/test_a.py": """
            class TestKept:
                def test_one(self):
                    pass

                def test_two(self):
                    pass

            class TestDropped:
                def test_three(self):
                    pass

            def test_loose():
                pass
        """,
            "sub/test_b.py": "def test_b_one():\n    pass\n\ndef test_b_two():\n    pass\n",
            "sub/test_c.py": "def test_c():\n    pass\n",
        },
    )
    chosen = ("sub/test_a.py::TestKept", str(project / "sub" / "test_b.py"))
    suite = _run_selection(project, "sub", chosen)
    assert sorted(suite.tests) == [
        "sub/test_a.py::TestKept::test_one",
        "sub/test_a.py::TestKept::test_two",
        "sub/test_b.py::test_b_one",
        "sub/test_b.py::test_b_two",
    ]
    assert suite.status == "passed"


def test_a_report_dir_that_cannot_be_written_is_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "test_ok.py": "def test_ok():\n    pass\n",
        },
    )
    not_a_dir = tmp_path / "taken"
    not_a_dir.write_text("a file where the reports should go\n")
    done = run_cli(["run", "--ci", "--report-dir", str(not_a_dir)], project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and str(not_a_dir) in done.stderr
    assert "[unit]" not in done.stdout  # nothing started


def test_a_report_dir_lost_during_the_run_is_one_line_and_never_exit_0(tmp_path: Path) -> None:
    """The report dir vanishes under a running suite (replaced by a file): the suite finishes
    (an error: pytest could not save its JSON report there), publishing is one line, and the
    exit code is 1."""
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "test_ok.py": f"""
            import shutil
            from pathlib import Path

            def test_takes_the_report_dir_away():
                reports = Path({str(tmp_path / "reports")!r})
                shutil.rmtree(reports)
                reports.write_text("not a directory any more")
        """,
        },
    )
    done = run_cli(["run", "--ci", "--report-dir", str(tmp_path / "reports")], project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "[unit] ERROR pytest's JSON report is missing" in done.stdout
    assert any(line.startswith("unit ") for line in done.stdout.splitlines())  # the final table
    assert (
        sum(line.startswith("reports: could not be written") for line in done.stdout.splitlines())
        == 1
    )


FORGE_AND_KILL = (
    EVENT_PIPE
    + """
import signal
import time

IDS = [f"test_forge_kill.py::{name}" for name in ("test_a_forger", "test_b_real_failure")]


def test_a_forger():
    controller, path = _event_pipe()
    lines = []
    for nodeid in IDS:
        record = {"nodeid": nodeid, "outcome": "passed", "setup": {"outcome": "passed"},
                  "call": {"outcome": "passed"}, "teardown": {"outcome": "passed"}}
        lines.append({"v": 1, "type": "test_finished", "nodeid": nodeid, "worker": "gw0",
                      "outcome": "passed", "duration": 0.0, "record": record})
    lines.append({"v": 1, "type": "run_finished", "exitstatus": 0, "duration": 0.1})
    with open(path, "w") as pipe:
        pipe.write("".join(json.dumps(line) + "\\n" for line in lines))
    time.sleep(0.5)  # let the batch reach zenboard, then end pytest before it can report
    if os.environ.get("FORGER_EXITS"):
        os._exit(0)
    os.kill(controller, signal.SIGKILL)


def test_b_real_failure():
    time.sleep(3)
    assert False, "the real failure"
"""
)


@pytest.mark.parametrize(("workers", "how"), [(2, "kill"), (0, "exit")])
def test_a_forged_green_stream_then_a_dead_pytest_is_never_green(
    tmp_path: Path, workers: int, how: str
) -> None:
    """A test forges passes and run_finished, then kills pytest (xdist) or ends it with exit
    code 0 (no xdist): the process's fate and the missing report file still say no."""
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                f'name = "unit"\nworkers = {workers}\nargs = ["-p", "no:randomly"]'
                + ('\ndist = "loadfile"' if workers else "")
            ),
            "test_forge_kill.py": FORGE_AND_KILL,
        },
    )
    env = {"FORGER_EXITS": "1"} if how == "exit" else {}
    done = run_cli(["run", "--ci"], project, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    suite = _suite(_summary(project), "unit")
    assert suite["status"] == "error"
    error = " ".join(e["longrepr"] for e in suite["errors"])
    assert ("SIGKILL" in error) if how == "kill" else ("JSON report is missing" in error)


def test_a_forged_pass_for_a_test_whose_report_xdist_lost_is_unreported(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                'name = "unit"\nworkers = 1\nargs = ["-p", "no:randomly"]'
            ),
            "test_lost.py": FORGER.replace(
                "test_forge.py::test_b_victim", "test_lost.py::test_b_victim"
            ).replace(
                'def test_b_victim():\n    assert False, "this failure is real"',
                "import pytest\n\n\n@pytest.fixture\ndef broken():\n"
                '    raise ValueError("db down \\udcff")\n\n\n'
                "def test_b_victim(broken):\n    pass",
            ),
        },
    )
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    suite = _suite(_summary(project), "unit")
    victim = _rows(suite)["test_lost.py::test_b_victim"]
    assert victim["outcome"] == "error" and victim["unreported"] is True, victim
    assert suite["stream"]["corrected"] == 1


def test_a_process_a_conftest_starts_at_import_does_not_hold_the_pipe(tmp_path: Path) -> None:
    pid_file = tmp_path / "daemon.pid"
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "conftest.py": f"""
            import os
            os.system("setsid sleep 60 > /dev/null 2>&1 < /dev/null & echo $! > {pid_file}")
        """,
            "test_ok.py": "def test_ok():\n    pass\n",
        },
    )
    try:
        result = run_in_process(project)
        assert result.code == 0, result.output
        pid = int(pid_file.read_text())
        held = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        assert not any(target.startswith("pipe:") for target in held), held
    finally:
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
