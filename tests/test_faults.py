"""Faults in the project under test are shown, never fatal, and nothing is lost or counted twice."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.helpers import pid_alive, run_cli, run_in_process, suites_toml, write_project
from zenboard.config import load_config
from zenboard.engine import Engine, EventBuffer
from zenboard.engine.process import descendants
from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteStatus

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

CRASHING_TESTS = """
import os
import pytest

@pytest.mark.parametrize("i", range(12))
def test_before(i):
    pass

def test_kills_its_worker():
    os._exit(3)

@pytest.mark.parametrize("i", range(12))
def test_after(i):
    pass
"""


def test_worker_crash_is_a_crashed_lane_and_the_rest_still_runs(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "crashy"\nworkers = 2'),
            "test_crash.py": CRASHING_TESTS,
        },
    )
    result = run_in_process(project)
    assert result.code == 1
    suite = result.state.suites["crashy"]
    crashed = suite.tests["test_crash.py::test_kills_its_worker"]
    assert crashed.outcome == "failed"
    lane = suite.workers[crashed.worker]
    assert lane.crashed
    assert lane.crashed_test == "test_crash.py::test_kills_its_worker"
    assert lane.replaced_by is not None
    assert suite.workers[lane.replaced_by].replaces == crashed.worker
    # every test has exactly one result, and the same as pytest-json-report's
    report = result.json_report("crashy")
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == {
        n: t.outcome for n, t in suite.tests.items()
    }
    assert len(suite.tests) == 25
    assert suite.counts["passed"] == 24
    assert sum(w.done for w in suite.workers.values()) == 25
    assert suite.duplicates == 0
    summary = result.summary()["suites"][0]
    assert summary["workers"][crashed.worker]["crashed"] is True


def test_collection_error_is_a_suite_error_not_a_hang(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "broken"\nworkers = 2'),
            "test_ok.py": "def test_ok():\n    pass\n",
            "test_broken.py": "import no_such_module_anywhere\n\ndef test_never():\n    pass\n",
        },
    )
    result = run_in_process(project)
    assert result.code == 1
    suite = result.state.suites["broken"]
    assert suite.status is SuiteStatus.ERROR
    assert [nodeid for nodeid, _ in suite.collect_errors] == ["test_broken.py"]
    assert "no_such_module_anywhere" in suite.collect_errors[0][1]
    assert "COLLECTION ERROR test_broken.py" in result.output


def test_unknown_marker_with_strict_markers_is_a_suite_error(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                'name = "strict"\nworkers = 2\nargs = ["--strict-markers"]'
            ),
            "test_marked.py": "import pytest\n\n@pytest.mark.not_registered\ndef test_marked():\n    pass\n",
        },
    )
    result = run_in_process(project)
    assert result.code == 1
    suite = result.state.suites["strict"]
    assert suite.status is SuiteStatus.ERROR
    assert any("not_registered" in text for _, text in suite.collect_errors)


def test_usage_error_is_a_suite_error_with_pytests_message(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                'name = "usage"\nworkers = 2\nargs = ["--no-such-pytest-option"]'
            ),
            "test_ok.py": "def test_ok():\n    pass\n",
        },
    )
    result = run_in_process(project)
    assert result.code == 1
    suite = result.state.suites["usage"]
    assert suite.status is SuiteStatus.ERROR
    assert "--no-such-pytest-option" in suite.error
    summary = result.summary()["suites"][0]
    assert summary["exit_code"] == 4


SLOW_TESTS = """
import subprocess, sys, time, pytest

@pytest.mark.parametrize("i", range(6))
def test_slow(i, tmp_path):
    # a grandchild process, as a test that starts a server would
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    time.sleep(60)
"""


def test_cancel_leaves_no_process_of_the_suite(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "slow"\nworkers = 2'),
            "test_slow.py": SLOW_TESTS,
        },
    )
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer, tmp_path / "reports")
    state = RunState.for_suites(["slow"])
    run = engine.start(config.suite("slow"))
    assert run.process is not None
    tree: list[int] = []
    deadline = time.monotonic() + 60
    # wait until both workers run a test that started its sleeper grandchild
    while time.monotonic() < deadline:
        for event in buffer.drain():
            apply(state, event)
        tree = descendants(run.process.pid)
        if (
            sum(1 for w in state.suites["slow"].workers.values() if w.current) == 2
            and len(tree) >= 4
        ):
            break
        time.sleep(0.1)
    assert len(tree) >= 4, "expected 2 workers, each with a sleeper child"
    engine.cancel("slow")
    for event in buffer.drain():
        apply(state, event)
    assert state.suites["slow"].status is SuiteStatus.CANCELLED
    survivors = [pid for pid in [run.process.pid, *tree] if pid_alive(pid)]
    assert survivors == []


def test_unserializable_log_extra_neither_crashes_a_worker_nor_loses_results(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "logs"\nworkers = 2'),
            "test_logs.py": '''
            import logging, socket, threading
            import pytest

            log = logging.getLogger("django.request")

            class Request:
                """Stands for Django's WSGIRequest: holds a socket and a lock."""
                def __init__(self):
                    self.sock = socket.socket()
                    self.lock = threading.Lock()

            @pytest.mark.parametrize("i", range(10))
            def test_logs_unserializable(i):
                log.error("Internal Server Error", extra={"request": Request(), "lock": threading.Lock()})
                log.warning("socket", extra={"sock": socket.socket()})
                assert i != 7
        ''',
        },
    )
    result = run_in_process(project)
    suite = result.state.suites["logs"]
    assert suite.crashed_workers == []
    assert len(suite.tests) == 10
    assert suite.counts["passed"] == 9 and suite.counts["failed"] == 1
    assert result.code == 1


def test_malformed_stream_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    """A test that writes garbage into zenboard's pipe cannot break the run."""
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "noisy"\nworkers = 0'),
            "conftest.py": """
            import os

            def pytest_configure(config):
                # runs before zenboard's plugin (trylast) removes the variable
                spec = os.environ.get("ZENBOARD_EVENTS", "")
                if spec.startswith("fd:"):
                    fd = int(spec.split(":")[1])
                    os.write(fd, b"this is not json\\n")
                    os.write(fd, b'{"v": 99, "type": "test_finished"}\\n')
                    os.write(fd, b'{"v": 1, "type": "test_finished", "nodeid": 3}\\n')
                    os.write(fd, b'{"v": 1, "type": "test_finished", "nodeid": "x", "worker": "main", "outcome": "exploded", "duration": 0}\\n')
                    os.write(fd, b'{"v": 1, "type": "no_such_event"}\\n')
                    os.write(fd, b"[" * (2 << 20) + b"\\n")
        """,
            "test_ok.py": "import pytest\n\n@pytest.mark.parametrize('i', range(5))\ndef test_ok(i):\n    pass\n",
        },
    )
    result = run_in_process(project)
    suite = result.state.suites["noisy"]
    assert result.code == 0
    assert suite.malformed == 5
    assert suite.oversized == 1
    assert suite.counts["passed"] == 5
    assert (
        json.loads((result.report_dir / "summary.json").read_text())["suites"][0]["stream"][
            "malformed"
        ]
        == 5
    )


def test_plugin_is_inert_when_zenboard_did_not_start_pytest(tmp_path: Path) -> None:
    """A stale or foreign ZENBOARD_EVENTS must not make pytest write anywhere."""
    import subprocess
    import sys

    project = write_project(tmp_path, {"test_ok.py": "def test_ok():\n    pass\n"})
    target = tmp_path / "target"
    with target.open("wb") as f:
        fd = f.fileno()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=project,
            pass_fds=(fd,),
            env={**__import__("os").environ, "ZENBOARD_EVENTS": f"fd:{fd}:1"},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    assert done.returncode == 0, done.stdout
    assert target.read_bytes() == b""
    assert isinstance(ev.decode("s", ev.encode("run_started", workers_planned=0)), ev.RunStarted)


def test_a_huge_failure_text_is_cut_in_the_stream_and_whole_in_the_report(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "big"\nworkers = 2'),
            "test_big.py": """
            def test_huge():
                raise ValueError("x" * 50_000)

            def test_small():
                assert 1 == 2
        """,
        },
    )
    result = run_in_process(project)
    tests = result.state.suites["big"].tests
    streamed = tests["test_big.py::test_huge"].record["call"]["longrepr"]
    assert 16_000 < len(streamed) < 17_000
    assert "more characters in the JSON report" in streamed
    assert "more characters" not in tests["test_big.py::test_small"].record["call"]["longrepr"]
    report = json.loads((result.report_dir / "big.json").read_text())
    whole = {t["nodeid"]: t["call"]["longrepr"] for t in report["tests"]}
    assert len(whole["test_big.py::test_huge"]) > 50_000
    assert (
        whole["test_big.py::test_small"]
        == tests["test_big.py::test_small"].record["call"]["longrepr"]
    )


DEEP_REPORT_CONFTEST = """
import sys

def pytest_unconfigure(config):
    # After pytest-json-report saved the file: the project's own code rewrites it.
    path = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--json-report-file="))
    with open(path, "w") as file:
        file.write("[" * 100_000 + "]" * 100_000)
"""


def test_a_report_file_nested_too_deep_is_a_suite_error_not_a_crash(tmp_path: Path) -> None:
    """The suite's JSON report is the project's file to write: one nested 100,000 deep (valid
    JSON Python cannot read) made the reader raise RecursionError. It is a damaged report."""
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "conftest.py": DEEP_REPORT_CONFTEST,
            "test_ok.py": "def test_ok():\n    pass\n",
        },
    )
    # A subprocess with a deadline: before, the reader died and the run never ended.
    done = run_cli(["run", "--ci"], project, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("[unit] ERROR")]
    assert "cut short, removed" in line, line
