"""Collect a suite's test ids without running them (for shard plans and file ordering).

pytest runs in the suite's own interpreter, directory, arguments and environment, exactly as
the run will, with a tiny in-process plugin that writes the collected ids and pytest's rootdir
(nodeids are relative to it) to a file; parsing `--collect-only -q` output would lose the rootdir.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from zenboard import safefs
from zenboard.config import SuiteConfig
from zenboard.engine.commands.pytest import interpreter
from zenboard.planning.inventory import pytest_reason
from zenboard.wire import ENV_EVENTS

COLLECT_TIMEOUT = 300
_SCRIPT = r"""
import json, sys, pytest
out = sys.argv[1]
class Collector:
    def pytest_collection_finish(self, session):
        with open(out, "x", encoding="utf-8") as f:
            ids = [i.nodeid for i in session.items]
            json.dump({"rootdir": str(session.config.rootpath), "nodeids": ids}, f)
args = ["--collect-only", "-q", "-p", "no:cacheprovider", *sys.argv[2:]]
sys.exit(pytest.main(args, plugins=[Collector()]))
"""


@dataclass(frozen=True)
class Collected:
    nodeids: tuple[str, ...]
    rootdir: str
    error: str = ""
    """Why collection failed (empty when it worked)."""


def collect(suite: SuiteConfig, extra_env: dict[str, str] | None = None) -> Collected:
    """The suite's test ids in collection order, or an error naming what pytest said.

    The ids travel through a file in a private `mkdtemp` dir, made new for this call (the
    collector creates it exclusively); a full disk there is an error of this suite's plan.
    """
    try:
        return _collect(suite, extra_env)
    except (OSError, ValueError) as exc:
        why = safefs.describe(exc) if isinstance(exc, OSError) else f"unreadable ids ({exc})"
        return Collected((), "", f"collection of {suite.name} failed: {why}")


def _collect(suite: SuiteConfig, extra_env: dict[str, str] | None) -> Collected:
    env = {**os.environ, **(extra_env or {}), **suite.env}
    for key in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", ENV_EVENTS):
        env.pop(key, None)
    extra = ["-p", "xdist.plugin"] if env.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") else []
    with tempfile.TemporaryDirectory(prefix="zenboard-collect-") as scratch:
        out = Path(scratch) / "collected.json"
        argv = [interpreter(suite), "-c", _SCRIPT, str(out), *suite.args, *extra, "-n", "0"]
        try:
            done = subprocess.run(
                argv,
                cwd=suite.cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=COLLECT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Collected((), "", f"collection of {suite.name} did not run: {exc}")
        if done.returncode not in (0, 5) or not out.is_file():
            why = pytest_reason(done)  # pytest's error line, not a plugin's warning after it
            return Collected(
                (), "", f"collection of {suite.name} failed (exit {done.returncode}): {why}"
            )
        data = json.loads(out.read_text(encoding="utf-8"))
    return Collected(tuple(data["nodeids"]), str(data["rootdir"]))
