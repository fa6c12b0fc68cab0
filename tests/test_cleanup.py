"""Cleanup finds what left the suite's process tree: a setsid daemon started by a double fork.

Everything zenboard starts carries a per-run marker in its environment; cancel kills every process
that carries it, besides the process group and the /proc descendants. These tests start a real
daemon from a real test, cancel the suite through the engine, and check that the daemon is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import pid_alive, suites_toml, wait_for, write_project
from zenboard.config import load_config
from zenboard.engine import Engine, EventBuffer, process
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteStatus

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

# The daemon detaches the classic way: fork, setsid, fork again, the middle process exits (so the
# daemon's parent is init or a subreaper, not the test), stdio to /dev/null, every other fd closed.
# It is neither in the suite's process group nor a descendant of the suite's controller.
DAEMON_TEST = """
import os, time

PIDFILE = {pidfile!r}

def _daemonize():
    middle = os.fork()
    if middle:
        os.waitpid(middle, 0)
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, 65536)
    tmp = PIDFILE + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os.rename(tmp, PIDFILE)
    time.sleep(300)
    os._exit(0)

def test_starts_a_daemon():
    _daemonize()
    time.sleep(300)
"""


def _daemon_project(root: Path, workers: int) -> tuple[Path, Path]:
    pidfile = root / "daemon.pid"
    project = write_project(
        root,
        {
            "pyproject.toml": suites_toml(f'name = "daemon"\nworkers = {workers}'),
            "test_daemon.py": DAEMON_TEST.format(pidfile=str(pidfile)),
        },
    )
    return project, pidfile


def _read_pid(pidfile: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(pidfile.read_text())
    return None


def _wait_for_pid(pidfile: Path) -> int:
    return wait_for(lambda: _read_pid(pidfile), f"the daemon to write {pidfile}")


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rfind(")") + 2 :].split()[1])


def _kill(pid: int | None) -> None:
    """Kill a daemon that zenboard failed to stop, so a failing test leaves no orphan behind."""
    if pid is not None and pid_alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("workers", [0, 2], ids=["no-xdist", "xdist-2-workers"])
def test_cancel_stops_a_setsid_daemon_started_by_a_double_fork(
    tmp_path: Path, workers: int
) -> None:
    project, pidfile = _daemon_project(tmp_path, workers)
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer, tmp_path / "reports")
    state = RunState.for_suites(["daemon"])
    daemon: int | None = None
    try:
        run = engine.start(config.suite("daemon"))
        assert run.process is not None
        daemon = _wait_for_pid(pidfile)
        assert pid_alive(daemon)
        # it really left the tree: another session, and not under the suite's controller
        assert os.getsid(daemon) != run.process.pid
        assert os.getpgid(daemon) != run.process.pid
        assert _parent(daemon) not in (run.process.pid, os.getpid())
        engine.cancel("daemon")
        for event in buffer.drain():
            apply(state, event)
        assert state.suites["daemon"].status is SuiteStatus.CANCELLED
        assert not pid_alive(run.process.pid)
        assert not pid_alive(daemon), f"the setsid daemon {daemon} survived the cancel"
    finally:
        engine.cancel_all()
        _kill(daemon)


SLEEPER = [sys.executable, "-c", "import time; time.sleep(300)"]


def test_the_marker_is_matched_as_a_whole_entry_and_spares_others(tmp_path: Path) -> None:
    """Only processes whose environment holds the run's exact `KEY=VALUE` entry are killed."""
    run = process.spawn(SLEEPER, tmp_path, dict(os.environ), ())
    mark = process.run_mark(run)
    assert mark is not None
    key, _, value = mark.partition("=")
    assert run.stdout is not None
    decoys: list[subprocess.Popen[bytes]] = []
    try:
        lookalikes = [
            {"OTHER": mark},  # the entry as another variable's value
            {key: value + "0"},  # the same key with a longer value
            {key + "0": value},  # a longer key with the same value
        ]
        for extra in lookalikes:
            env = {k: v for k, v in os.environ.items() if k != key}
            decoys.append(subprocess.Popen(SLEEPER, env={**env, **extra}, start_new_session=True))
        # and one that carries the entry, in a session of its own, not a child of the run
        marked = subprocess.Popen(SLEEPER, env={**os.environ, key: value}, start_new_session=True)
        decoys.append(marked)
        process.terminate_tree(run, grace=2.0)
        assert run.wait(5) is not None
        marked.wait(5)  # our child: reap it, so it is not left a zombie
        assert not pid_alive(marked.pid)
        assert [d.pid for d in decoys[:-1] if not pid_alive(d.pid)] == []
        assert pid_alive(os.getpid())
    finally:
        for p in [run, *decoys]:
            with contextlib.suppress(ProcessLookupError):
                p.kill()
            p.wait(5)
        run.stdout.close()
