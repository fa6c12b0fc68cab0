"""Helpers shared by the tests: small real projects, running zenboard on them, bounded waits.

Every wait in the tests has a deadline and fails naming what it waited for: the deadlines are a
bound against hanging on a broken run, never a timing assertion (bench/ measures speed).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from zenboard.config import load_config
from zenboard.headless.run import HeadlessRun, RunOptions
from zenboard.model.state import RunState

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from zenboard.ui.app import ZenboardApp

ZENBOARD = [sys.executable, "-m", "zenboard"]
ROOT = Path(__file__).resolve().parent.parent
"""The repository's root."""
UI_DEADLINE = 90.0
"""How long a dashboard test waits for what it expects, in seconds."""

T = TypeVar("T")


PROJECT_MARKERS = (
    "pyproject.toml",
    "zenboard.toml",
    "pytest.ini",
    "pytest.toml",
    "tox.ini",
    "setup.cfg",
)


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (path -> dedented text) under `root` and return root.

    A project needs something that marks its root (zenboard finds the root upward, as pytest
    does): without one among `files`, an empty pyproject.toml is added (pytest takes it as the
    rootdir, and it holds no configuration).
    """
    if not any(name in files or (root / name).exists() for name in PROJECT_MARKERS):
        files = {"pyproject.toml": "", **files}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def suites_toml(*suites: str) -> str:
    """A pyproject.toml with `[[tool.zenboard.suites]]` tables given as inline bodies."""
    parts = ['[tool.pytest.ini_options]\nmarkers = ["unit", "api"]\n', "[tool.zenboard]\n"]
    for body in suites:
        parts.append("[[tool.zenboard.suites]]\n" + textwrap.dedent(body).strip() + "\n")
    return "\n".join(parts)


@dataclass
class RunResult:
    code: int
    state: RunState
    report_dir: Path
    output: str

    def summary(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "summary.json").read_text())

    def json_report(self, suite: str) -> dict[str, Any]:
        return json.loads((self.report_dir / f"{suite}.json").read_text())


def run_in_process(project: Path, suites: list[str] | None = None, ci: bool = True) -> RunResult:
    """Run zenboard's headless view in this process (the suites still run as real subprocesses)."""
    config = load_config(project)
    out = io.StringIO()
    report_dir = project / ".zenboard" / "reports" / "latest"
    options = RunOptions(report_dir=report_dir, ci=ci, out=out)
    run = HeadlessRun(config, config.select(suites or []), options)
    code = run.run()
    return RunResult(code, run.state, report_dir, out.getvalue())


def run_cli(
    args: list[str], cwd: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `zenboard` command line in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*ZENBOARD, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        check=False,
    )


def pid_alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[:1] != ["Z"]


# Bounded waits


def wait_for(
    condition: Callable[[], T], what: str, deadline: float = 60.0, interval: float = 0.05
) -> T:
    """Poll `condition` until it returns something true, and return that.

    After `deadline` seconds it fails naming `what` (say "the daemon to write its pid file").
    """
    end = time.monotonic() + deadline
    while not (value := condition()):
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what} after {deadline:g} s")
        time.sleep(interval)
    return value


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], what: str, deadline: float = UI_DEADLINE
) -> None:
    """Let the app run until `condition()` holds; after `deadline` seconds fail naming `what`."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what} after {deadline:g} s")
        await pilot.pause(0.05)


async def press_until(
    pilot: Pilot[Any], key: str, condition: Callable[[], bool], what: str, presses: int = 50
) -> None:
    """Press `key` until `condition()` holds (moving a selection to a row, say); fail naming
    `what` if `presses` presses do not get there."""
    for _ in range(presses):
        if condition():
            return
        await pilot.press(key)
    if not condition():
        raise AssertionError(f"{presses} presses of {key!r} did not reach {what}")


# The dashboard on a real run


DASHBOARD_PROJECT = {
    "pyproject.toml": """
        [tool.zenboard]
        [[tool.zenboard.suites]]
        name = "unit"
        args = ["tests/test_unit.py", "-p", "no:cacheprovider"]
        workers = 2

        [[tool.zenboard.suites]]
        name = "solo"
        args = ["tests/test_solo.py", "-p", "no:cacheprovider"]
        workers = 0
    """,
    "tests/test_unit.py": """
        import pytest

        @pytest.mark.parametrize("i", range(6))
        def test_ok(i):
            pass

        def test_bad():
            assert 1 == 2, "one is not two"

        def test_skipped():
            pytest.skip("not today")
    """,
    "tests/test_solo.py": """
        def test_alpha():
            pass

        def test_beta():
            print("beta speaks")
            assert "a" == "b"
    """,
}
"""Two suites for the dashboard: `unit` (2 workers; 6 pass, 1 fails, 1 skips), `solo` (no xdist;
one passes, one fails after printing)."""


def settled(app: ZenboardApp) -> bool:
    """Every command ran, every process ended and every event was folded into the model."""
    session = app.session
    return (
        session.commander.wait_idle(0)
        and session.engine.all_done()
        and not session.state.running
        and not session.buffer.wait(0)
    )


def card_text(app: ZenboardApp, suite: str) -> str:
    """The card's lines as drawn on screen."""
    from zenboard.ui.widgets.suite_card import SuiteCard  # here: headless tests need no Textual

    card = app.query_one(f"#suite-{suite}", SuiteCard)
    return "\n".join(card.render_line(y).text for y in range(len(card.lines())))


# Docker


def docker(*args: str, host: str | None = None, check: bool = True) -> str:
    """Run the docker command line (against `host` if given) and return its output."""
    cmd = ["docker", *(["-H", host] if host else []), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: {result.stderr.strip()}")
    return result.stdout.strip()


def docker_image() -> str:
    """A running engine and the local busybox image (scripts/docker-up.sh), by the image's name;
    skips only when it truly cannot start."""
    if os.geteuid() != 0 and shutil.which("dockerd") is None:
        pytest.skip("Docker is not installed and installing it needs root")
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "docker-up.sh")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        if os.geteuid() != 0:
            pytest.skip(f"no Docker engine and not root to start one: {reason}")
        pytest.fail(f"scripts/docker-up.sh failed: {result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def compose_ready() -> str:
    """An engine, its busybox image and Compose v2.24.4+ (scripts/compose-up.sh installs it into
    this venv when missing): the image's name. Skips only when Compose truly cannot be had."""
    from zenboard.errors import InputError
    from zenboard.tasks.compose.discovery import find_compose

    image = docker_image()
    try:
        find_compose()
    except InputError:
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "compose-up.sh"), sys.prefix],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.skip(f"no Docker Compose v2.24.4+ and scripts/compose-up.sh failed: {reason}")
        find_compose()
    return image


def remove_compose_project(project: str) -> None:
    """Everything Docker holds with the Compose project's label: containers, networks, volumes."""
    label = f"label=com.docker.compose.project={project}"
    ids = docker("ps", "-aq", "--filter", label, check=False).split()
    if ids:
        docker("rm", "-f", *ids, check=False)
    for kind in ("network", "volume"):
        names = docker(kind, "ls", "-q", "--filter", label, check=False).split()
        if names:
            docker(kind, "rm", *names, check=False)
