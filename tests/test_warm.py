"""Warm reruns (engine/warm.py): forked from a warm pytest, the same results as a cold start,
nothing left behind, a restart when what the server holds changes. Real pytest processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import pid_alive, suites_toml, wait_for, write_project
from tests.test_fidelity import MIXED_TESTS
from zenboard.commands.demo import copy_demo
from zenboard.config import load_config
from zenboard.engine import warm
from zenboard.engine.buffer import EventBuffer
from zenboard.engine.engine import Engine
from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier


class Runner:
    """An engine with warm reruns on, and the model its events build."""

    def __init__(self, project: Path, report_dir: Path) -> None:
        self.config = load_config(project)
        self.buffer = EventBuffer()
        self.engine = Engine(self.config, self.buffer, report_dir=report_dir)
        self.engine.enable_warm()
        self.state = RunState.for_suites([s.name for s in self.config.suites])
        self.launched: list[ev.SuiteLaunched] = []
        self.output: list[str] = []

    def run(self, suite: str, nodeids: tuple[str, ...] = (), rootdir: str = "") -> int:
        """Run `suite` (only `nodeids` if given) to its end; its exit code."""
        self.engine.start(self.config.suite(suite), nodeids, rootdir)
        while True:
            self.buffer.wait(0.05)
            for event in self.buffer.drain():
                apply(self.state, event)
                if isinstance(event, ev.SuiteLaunched):
                    self.launched.append(event)
                elif isinstance(event, ev.OutputLine):
                    self.output.append(event.text)
                elif isinstance(event, ev.SuiteExited):
                    assert event.error == "", event.error
                    return event.returncode

    def outcomes(self, suite: str, only: tuple[str, ...] = ()) -> dict[str, str]:
        """node id -> outcome (of `only`, if given: a rerun's launch forgot their old ones)."""
        tests = self.state.suites[suite].tests
        return {n: t.outcome for n, t in tests.items() if not only or n in only}

    def phases(self, suite: str, only: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """node id -> the outcome of each phase of its record (setup, call, teardown)."""
        return {
            n: tuple(str(t.record.get(p, {}).get("outcome")) for p in ("setup", "call", "teardown"))
            for n, t in self.state.suites[suite].tests.items()
            if n in only
        }

    def close(self) -> None:
        self.engine.cancel_all()
        self.engine.close()


def _warm_then_cold(runner: Runner, suite: str, nodeids: tuple[str, ...], rootdir: str) -> None:
    """Run `nodeids` warm, then cold (the warm servers closed), and compare per node id."""
    assert runner.engine.warm is not None
    runner.engine.prewarm([runner.config.suite(suite)])
    assert warm.wait_ready(runner.engine.warm, suite)
    code_warm = runner.run(suite, nodeids, rootdir)
    assert runner.launched[-1].start == "warm"
    warm_outcomes = runner.outcomes(suite, nodeids)
    warm_phases = runner.phases(suite, nodeids)
    runner.engine.warm.close()
    runner.engine.warm = None
    code_cold = runner.run(suite, nodeids, rootdir)
    assert runner.launched[-1].start == ""
    assert set(warm_outcomes) == set(nodeids)
    assert warm_outcomes == runner.outcomes(suite, nodeids)
    assert warm_phases == runner.phases(suite, nodeids)
    assert code_warm == code_cold


def test_warm_rerun_equals_cold_on_the_mixed_suite(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "pyproject.toml": suites_toml('name = "mixed"\nworkers = 0'),
            "test_mixed.py": MIXED_TESTS,
        },
    )
    runner = Runner(project, tmp_path / "reports")
    try:
        assert runner.run("mixed") == 1
        nodeids = tuple(runner.outcomes("mixed"))
        assert len(set(runner.outcomes("mixed").values())) == 6  # every outcome word
        _warm_then_cold(runner, "mixed", nodeids, runner.state.suites["mixed"].rootdir)
    finally:
        runner.close()


def test_warm_rerun_equals_cold_on_the_demo(tmp_path: Path) -> None:
    project = copy_demo(tmp_path / "demo")
    runner = Runner(project, tmp_path / "reports")
    try:
        runner.run("unit-fast")
        every = sorted(runner.outcomes("unit-fast"))
        picked = tuple(every[:: max(1, len(every) // 8)][:8])  # a handful: no xdist, so warm
        _warm_then_cold(runner, "unit-fast", picked, runner.state.suites["unit-fast"].rootdir)
    finally:
        runner.close()


SLEEPER = """
import subprocess, sys, time

def test_sleeps():
    with open("child.pid", "w") as f:
        f.write(str(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"]).pid))
    time.sleep(300)
"""


def _sleeper_project(root: Path) -> Path:
    return write_project(
        root,
        {"pyproject.toml": suites_toml('name = "s"\nworkers = 0'), "test_s.py": SLEEPER},
    )


def test_cancel_and_close_leave_no_process(tmp_path: Path) -> None:
    project = _sleeper_project(tmp_path / "p")
    runner = Runner(project, tmp_path / "reports")
    try:
        suite = runner.config.suite("s")
        runner.engine.prewarm([suite])
        assert runner.engine.warm is not None
        assert warm.wait_ready(runner.engine.warm, "s")
        run = runner.engine.start(suite, ("test_s.py::test_sleeps",))
        assert run is not None and run.start_kind == "warm"
        pid_file = project / "child.pid"
        wait_for(lambda: pid_file.is_file() and pid_file.read_text(), "the test's child")
        forked, grandchild = run.process.pid, int(pid_file.read_text())  # type: ignore[union-attr]
        server = runner.engine.warm._slots["s"].server.process.pid
        runner.engine.cancel("s")
        assert not pid_alive(forked) and not pid_alive(grandchild)
        assert pid_alive(server)  # the warm server stays for the next rerun
        pid_file.unlink()
        runner.engine.start(suite, ("test_s.py::test_sleeps",))
        wait_for(lambda: pid_file.is_file() and pid_file.read_text(), "the test's child again")
        again = int(pid_file.read_text())
    finally:
        runner.close()
    assert not pid_alive(server) and not pid_alive(again)


QUITTER = """
import sys, time
from pathlib import Path
from zenboard.config import load_config
from zenboard.engine.buffer import EventBuffer
from zenboard.engine.engine import Engine
from zenboard.engine.warm import wait_ready

project = Path(sys.argv[1])
config = load_config(project)
engine = Engine(config, EventBuffer(), report_dir=project / "reports")
engine.enable_warm()
engine.prewarm([config.suite("s")])
while not wait_ready(engine.warm, "s", 1.0):
    pass
run = engine.start(config.suite("s"), ("test_s.py::test_sleeps",))
print(run.start_kind, run.process.pid, engine.warm._slots["s"].server.process.pid, flush=True)
time.sleep(300)
"""


def test_warm_processes_die_with_zenboard(tmp_path: Path) -> None:
    project = _sleeper_project(tmp_path / "p")
    script = tmp_path / "quitter.py"
    script.write_text(QUITTER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    zen = subprocess.Popen(
        [sys.executable, str(script), str(project)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert zen.stdout is not None
        kind, forked, server = zen.stdout.readline().split()
        assert kind == "warm"
        pid_file = project / "child.pid"
        wait_for(lambda: pid_file.is_file() and pid_file.read_text(), "the test's child")
        grandchild = int(pid_file.read_text())
    finally:
        zen.send_signal(signal.SIGKILL)  # no cleanup at all: PR_SET_PDEATHSIG must do it
        zen.wait()
    for pid in (int(server), int(forked)):
        wait_for(lambda pid=pid: not pid_alive(pid), f"process {pid} to die with zenboard")
    # The test's own child is the test's: as for a cold run, only a cancel reaches it.
    os.kill(grandchild, signal.SIGKILL)


def test_a_config_or_env_change_restarts_the_server(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "pyproject.toml": suites_toml('name = "q"\nworkers = 0'),
            "test_q.py": "import os\n\ndef test_q():\n    assert os.environ.get('FLAVOUR', 'x')\n",
        },
    )
    runner = Runner(project, tmp_path / "reports")
    try:
        pool = runner.engine.warm
        assert pool is not None
        assert runner.run("q", ("test_q.py::test_q",)) == 0  # starts the server, runs cold
        assert runner.launched[-1].start == "cold start: the warm server is still starting"
        assert pool.started == 1 and warm.wait_ready(pool, "q")
        first = pool._slots["q"].server.process.pid
        assert runner.run("q", ("test_q.py::test_q",)) == 0
        assert runner.launched[-1].start == "warm"
        assert pool.started == 1  # nothing changed: the same server
        pyproject = project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + "\n# a comment\n")
        assert runner.run("q", ("test_q.py::test_q",)) == 0
        assert pool.started == 2
        wait_for(lambda: not pid_alive(first), "the old server to stop")
        assert warm.wait_ready(pool, "q")
        assert runner.run("q", ("test_q.py::test_q",)) == 0
        assert runner.launched[-1].start == "warm" and pool.started == 2
        (project / ".env.task").write_text("FLAVOUR=mint\n")
        assert runner.run("q", ("test_q.py::test_q",)) == 0
        assert pool.started == 3
    finally:
        runner.close()


def test_a_suite_with_its_own_python_starts_cold_and_says_so(tmp_path: Path) -> None:
    python = Path(sys.executable).with_name("python3")  # the same venv, by another name
    assert python.exists() and str(python) != sys.executable
    project = write_project(
        tmp_path / "p",
        {
            "pyproject.toml": suites_toml(f'name = "own"\nworkers = 0\npython = "{python}"'),
            "test_o.py": "def test_o():\n    pass\n",
        },
    )
    runner = Runner(project, tmp_path / "reports")
    try:
        assert runner.run("own", ("test_o.py::test_o",)) == 0
        assert runner.launched[-1].start == "cold start: the suite has its own python"
        assert "zenboard: cold start: the suite has its own python" in runner.output
        assert runner.outcomes("own") == {"test_o.py::test_o": "passed"}
        assert runner.engine.warm is not None and runner.engine.warm.servers() == 0
    finally:
        runner.close()


def test_a_warm_rerun_exits_with_pytests_code(tmp_path: Path) -> None:
    """A warm rerun's exit code is its child's, which the server reports (not the server's)."""
    project = write_project(
        tmp_path / "p",
        {
            "pyproject.toml": suites_toml('name = "t"\nworkers = 0'),
            "test_t.py": textwrap.dedent(
                """
                import time
                def test_waits():
                    time.sleep(0.3)
                def test_fails():
                    assert False
                """
            ),
        },
    )
    runner = Runner(project, tmp_path / "reports")
    try:
        runner.engine.prewarm([runner.config.suite("t")])
        assert runner.engine.warm is not None and warm.wait_ready(runner.engine.warm, "t")
        code = runner.run("t", ("test_t.py::test_waits", "test_t.py::test_fails"))
        assert code == 1 and runner.launched[-1].start == "warm"
        assert runner.outcomes("t") == {
            "test_t.py::test_waits": "passed",
            "test_t.py::test_fails": "failed",
        }
    finally:
        runner.close()


LEARNER = """
import sys
from pathlib import Path

SEEN = {name: name in sys.modules for name in ("wave", "helper")}
import wave  # noqa: E402 (the standard library: the warm server learns it)
import helper  # noqa: E402 (the project's: never loaded before the fork)


def test_records_what_was_loaded_before_it():
    with open("seen.txt", "a") as f:
        f.write(f"{SEEN['wave']} {SEEN['helper']}\\n")
"""


def test_the_server_learns_installed_imports_never_the_projects(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "pyproject.toml": suites_toml('name = "l"\nworkers = 0'),
            "helper.py": "VALUE = 1\n",
            "test_l.py": LEARNER,
        },
    )
    runner = Runner(project, tmp_path / "reports")
    try:
        runner.engine.prewarm([runner.config.suite("l")])
        assert runner.engine.warm is not None and warm.wait_ready(runner.engine.warm, "l")
        for _ in range(2):
            assert runner.run("l", ("test_l.py::test_records_what_was_loaded_before_it",)) == 0
            assert runner.launched[-1].start == "warm"
    finally:
        runner.close()
    first, second = (project / "seen.txt").read_text().splitlines()
    assert first == "False False"  # a new server knows only pytest and the plugins
    assert second == "True False"  # it learnt `wave` from the first child, never `helper`
