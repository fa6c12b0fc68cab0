"""The engine: concurrent suites, reruns of failed tests and of one test by nodeid."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers import pid_alive, suites_toml, wait_for, write_project
from zenboard.config import SuiteConfig, load_config
from zenboard.engine import Engine, EventBuffer
from zenboard.engine.commands.pytest import rerun_workers
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteStatus


def _settle(engine: Engine, buffer: EventBuffer, state: RunState, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        buffer.wait(0.1)
        for event in buffer.drain():
            apply(state, event)
        if engine.all_done() and not engine.running():
            for event in buffer.drain():
                apply(state, event)
            return
    raise AssertionError("suites did not finish")


@pytest.mark.slow
def test_two_suites_run_concurrently_then_rerun_failed_and_one_test(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                'name = "back"\ncwd = "backend"\nworkers = 2',
                'name = "other"\ncwd = "other"\nworkers = 0',
            ),
            "backend/pytest.ini": "[pytest]\n",
            "backend/pkg/test_a.py": """
            import os, pytest
            @pytest.mark.parametrize("i", range(6))
            def test_flip(i):
                assert not (i in (1, 4) and os.environ.get("BREAK") == "1")
            def test_p():
                pass
        """,
            "other/test_b.py": "def test_b():\n    pass\n",
        },
    )
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer, tmp_path / "reports", extra_env={"BREAK": "1"})
    state = RunState.for_suites(["back", "other"])
    engine.start_all(config.suites)
    _settle(engine, buffer, state)
    back = state.suites["back"]
    assert back.status is SuiteStatus.FAILED
    assert state.suites["other"].status is SuiteStatus.PASSED
    failed = tuple(t.nodeid for t in back.failures())
    assert failed == ("pkg/test_a.py::test_flip[1]", "pkg/test_a.py::test_flip[4]") or sorted(
        failed
    ) == ["pkg/test_a.py::test_flip[1]", "pkg/test_a.py::test_flip[4]"]
    assert Path(back.rootdir) == project / "backend"

    # rerun only the failed tests, with the fault fixed
    engine.extra_env = {"BREAK": "0"}
    engine.start(config.suite("back"), nodeids=failed, rootdir=back.rootdir)
    _settle(engine, buffer, state)
    assert back.status is SuiteStatus.PASSED
    assert back.runs == 2
    assert back.counts["passed"] == 7  # results of the other tests are kept
    assert sorted(back.finished_this_run) == sorted(failed)

    # rerun one test by nodeid
    engine.start(config.suite("back"), nodeids=("pkg/test_a.py::test_p",), rootdir=back.rootdir)
    _settle(engine, buffer, state)
    assert back.finished_this_run == {"pkg/test_a.py::test_p"}
    assert back.status is SuiteStatus.PASSED
    assert back.counts["passed"] == 7


@pytest.mark.slow
def test_many_nodeids_go_through_an_argsfile(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "big"\nworkers = 2'),
            "test_big.py": "import pytest\n\n@pytest.mark.parametrize('i', range(400))\ndef test_i(i):\n    pass\n",
        },
    )
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer, tmp_path / "reports")
    state = RunState.for_suites(["big"])
    wanted = tuple(f"test_big.py::test_i[{i}]" for i in range(0, 400, 2))
    run = engine.start(config.suite("big"), nodeids=wanted, rootdir=str(project))
    assert any(arg.startswith("@") for arg in run.command.argv)
    _settle(engine, buffer, state)
    assert set(state.suites["big"].tests) == set(wanted)


@pytest.mark.slow
def test_a_suite_started_from_a_short_lived_thread_survives_it(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG fires when the forking *thread* exits: the engine must fork elsewhere."""
    import threading

    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "t"\nworkers = 0'),
            "test_t.py": "import time\n\ndef test_t():\n    time.sleep(1.0)\n",
        },
    )
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer, tmp_path / "reports")
    state = RunState.for_suites(["t"])
    starter = threading.Thread(target=lambda: engine.start(config.suite("t")))
    starter.start()
    starter.join(60)
    assert not starter.is_alive(), "engine.start did not return within 60 s"
    _settle(engine, buffer, state)
    assert state.suites["t"].status is SuiteStatus.PASSED, state.suites["t"].error


@pytest.mark.slow
def test_a_suite_dies_with_zenboard_even_when_zenboard_is_killed(tmp_path: Path) -> None:
    """SIGKILL leaves zenboard no chance to clean up: PR_SET_PDEATHSIG must take pytest down."""
    import os
    import signal
    import subprocess
    import sys

    marker = tmp_path / "pytest.pid"
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "t"\nworkers = 0'),
            "test_t.py": (
                "import os, time\n\n"
                "def test_t():\n"
                f"    open({str(marker)!r}, 'w').write(str(os.getpid()))\n"
                "    time.sleep(60)\n"
            ),
        },
    )
    zenboard = subprocess.Popen(
        [sys.executable, "-m", "zenboard", "run", "--ci"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: marker.exists() and marker.read_text(), "the test to write its pid")
        pytest_pid = int(marker.read_text())
        assert pid_alive(pytest_pid)
        os.kill(zenboard.pid, signal.SIGKILL)
        zenboard.wait(10)
        wait_for(lambda: not pid_alive(pytest_pid), "pytest to end with its SIGKILLed zenboard", 10)
    finally:
        if zenboard.poll() is None:
            zenboard.kill()


@pytest.mark.parametrize(
    ("workers", "nodeids", "expected"),
    [
        (4, (), 4),  # a whole run keeps the suite's workers
        (4, ("t.py::a",), 0),  # a handful: no xdist
        (4, tuple(f"t.py::t{i}" for i in range(8)), 0),
        (4, tuple(f"t.py::t{i}" for i in range(9)), 4),
        (16, tuple(f"t.py::t{i}" for i in range(12)), 12),  # never more workers than tests
        (0, tuple(f"t.py::t{i}" for i in range(50)), 0),
        (4, ("tests/test_a.py", "t.py::a"), 4),  # a path may hold any number of tests
    ],
)
def test_reruns_get_workers_for_their_size(
    workers: int, nodeids: tuple[str, ...], expected: int
) -> None:
    assert rerun_workers(SuiteConfig("unit", workers=workers), nodeids) == expected
