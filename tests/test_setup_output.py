"""Set-up says what it does: scripts/progress.sh's lines, and `zenboard demo` before npm.

scripts/demo.sh and scripts/test.sh announce each step on a line of its own before it starts
("==> ..."), run pip and apt with their output in a log (one dot per package on a terminal,
plain under CI), and show the log's end when a step fails. `zenboard demo` announces its npm
install before npm starts, and opens the dashboard only after it.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zenboard.commands import demo

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

REPO = Path(__file__).resolve().parent.parent
PROGRESS = REPO / "scripts" / "progress.sh"
PACKAGES = "echo Collecting textual; echo noise; echo Collecting pytest; echo Collecting docker"
"""A command printing as pip does: three packages, one line of something else."""


def progress(script: str, env: dict[str, str], tty: bool = False) -> tuple[int, str, str]:
    """Run `script` in bash after sourcing progress.sh: (exit code, stdout, stderr)."""
    argv = ["bash", "-c", f"set -euo pipefail\nsource {PROGRESS}\n{script}"]
    if not tty:
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    try:
        child = subprocess.Popen(argv, env=env, stdout=follower, stderr=subprocess.PIPE)
        os.close(follower)
        chunks = []
        deadline = time.monotonic() + 60
        while True:
            ready, _, _ = select.select([leader], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                child.kill()
                raise AssertionError(f"the script held its terminal open over 60 s: {chunks}")
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        _, err = child.communicate(timeout=60)
    finally:
        os.close(leader)
    out = b"".join(chunks).decode().replace("\r\n", "\n")
    return child.returncode, out, err.decode()


def env_with(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_under_ci_a_step_is_its_line_then_a_done_line_and_no_dots() -> None:
    code, out, err = progress(
        f'step "pip install -e .[dev]"\nquietly "^Collecting " bash -c "{PACKAGES}"',
        env_with(CI="true"),
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "==> pip install -e .[dev]"
    assert re.fullmatch(r"    done in \d+ s", lines[1])
    assert len(lines) == 2  # pip's own lines stay in the log
    assert "." not in out.replace("[dev]", "").replace("-e .", "")


def test_on_a_terminal_each_package_is_a_dot() -> None:
    code, out, err = progress(
        f'step "pip install"\nquietly "^Collecting " bash -c "{PACKAGES}"',
        env_with(CI=None),
        tty=True,
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "==> pip install"
    assert lines[1] == "    ..."  # three packages; the other line makes no dot
    assert re.fullmatch(r"    done in \d+ s", lines[2])
    assert "noise" not in out


def test_a_terminal_under_ci_stays_plain() -> None:
    code, out, err = progress(
        f'quietly "^Collecting " bash -c "{PACKAGES}"', env_with(CI="true"), tty=True
    )
    assert code == 0, err
    (line,) = out.splitlines()
    assert re.fullmatch(r"    done in \d+ s", line)


def test_a_failing_step_shows_the_end_of_its_output_and_its_exit_code() -> None:
    code, out, err = progress(
        'step "apt-get install chromium"\n'
        'quietly "^Get:" bash -c "echo Get:1 chromium; echo E: no space left >&2; exit 100"',
        env_with(CI="true"),
    )
    assert code == 100
    assert out == "==> apt-get install chromium\n"
    assert "E: no space left" in err
    assert "failed (exit code 100)" in err


@pytest.fixture
def fake_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`node` and an `npm` that appends to $TRANSCRIPT when it starts and installs a stand-in
    @playwright/test, first on PATH. Returns the transcript file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "node").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "npm").write_text(
        "#!/bin/sh\n"
        'echo "npm $1 started" >>"$TRANSCRIPT"\n'
        "mkdir -p node_modules/@playwright/test && touch node_modules/@playwright/test/cli.js\n"
    )
    for tool in ("node", "npm"):
        (bin_dir / tool).chmod(0o755)
    transcript = tmp_path / "transcript.txt"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TRANSCRIPT", str(transcript))
    monkeypatch.setenv("CHROMIUM_PATH", sys.executable)  # any file that exists
    return transcript


def test_zenboard_demo_says_it_runs_npm_before_it_does_and_opens_the_dashboard_last(
    fake_node: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    options: list[dict[str, object]] = []
    taken_down: list[str] = []

    def launch_dashboard(project: Path, run_at_start: bool, **kwargs: object) -> int:
        sys.stdout.flush()
        opened.append(fake_node.read_text())
        options.append(kwargs)
        return 0

    monkeypatch.setattr("zenboard.commands.launch.launch_dashboard", launch_dashboard)
    # The demo's services are tests/test_demo_services.py's: here only that they go at the end.
    monkeypatch.setattr(demo, "_take_down", lambda target, task, say: taken_down.append(task))
    # The command's stdout and npm append to one file, in the order they happen.
    with fake_node.open("a", encoding="utf-8") as transcript:
        monkeypatch.setattr(sys, "stdout", transcript)
        args = argparse.Namespace(dir=tmp_path / "demo", headless=False, no_run=False)
        assert demo.run(args) == 0
    lines = fake_node.read_text().splitlines()
    npm_line = next(i for i, line in enumerate(lines) if line.startswith("==> npm ci in "))
    assert lines[0] == f"demo project: {tmp_path / 'demo'}"
    assert lines[npm_line].endswith(
        "for the demo's e2e suite (@playwright/test; seconds, up to a minute on a cold npm cache)"
    )
    assert lines[npm_line + 1] == "npm ci started"
    assert re.fullmatch(r"    done in \d+ s", lines[npm_line + 2])
    assert lines[npm_line + 3] == (
        "==> opening the dashboard (q quits); the demo's services start with it"
    )
    assert len(lines) == npm_line + 4
    assert opened == [fake_node.read_text()]  # the dashboard after every line
    task = demo.demo_task(tmp_path / "demo")
    assert options == [{"task": task, "up": True}]  # its own task, its services started
    assert taken_down == [task]


def test_a_demo_whose_npm_packages_are_there_runs_no_npm(fake_node: Path, tmp_path: Path) -> None:
    from zenboard.onboarding.npm_setup import prepare_demo_e2e

    project = demo.copy_demo(tmp_path / "demo")
    said: list[str] = []
    assert prepare_demo_e2e(project, said.append) == []
    assert said[0].startswith("==> npm ci in ")
    said.clear()
    assert prepare_demo_e2e(project, said.append) == []  # installed now: nothing to say or run
    assert said == []
    assert fake_node.read_text() == "npm ci started\n"
