"""Helpers for tests that build small real projects and run zenboard on them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zenboard.config import load_config
from zenboard.headless.run import HeadlessRun, RunOptions
from zenboard.model.state import RunState

ZENBOARD = [sys.executable, "-m", "zenboard"]


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
