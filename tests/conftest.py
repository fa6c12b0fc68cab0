"""Session-wide setup for zenboard's own tests.

The fast tier: a test that starts a process (zenboard or pytest in a subprocess, git, a shell,
a fork, Docker, the dashboard on a real run, or a module fixture that does) is marked `slow`,
by its module's `pytestmark` or on the test itself (Docker tests are `docker` too), so
`pytest -m "not slow and not docker"` runs only the pure-logic tests (README, Development).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Plugins that only zenboard's own tests use, kept out of the pytest subprocesses the tests start
# (they inherit PYTEST_ADDOPTS). pytest loads every installed plugin into every process,
# controllers and xdist workers alike, and the tests start hundreds of them: Hypothesis's plugin
# imports all of Hypothesis at each terminal summary, pytest-textual-snapshot imports Textual and
# syrupy, about 0.5 s of CPU per process each (Hypothesis's alone doubled the CPU time of
# tests/test_fidelity.py). This process has already loaded its plugins, so the tests that use them
# are unchanged; `-p no:NAME` is harmless where NAME is not installed.
_NO_PLUGINS = "-p no:hypothesispytest -p no:textual-snapshot -p no:syrupy"
_addopts = os.environ.get("PYTEST_ADDOPTS", "")
if _NO_PLUGINS not in _addopts:
    os.environ["PYTEST_ADDOPTS"] = f"{_addopts} {_NO_PLUGINS}".strip()

# zenboard's own CI may run under GitHub Actions: the runs the tests start must not append job
# summaries to its step summary nor print annotations into its log (tests set them themselves).
for _name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE"):
    os.environ.pop(_name, None)


@pytest.fixture
def isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the caller's task id or writes to the user's real port registry: the
    registry and other state go under tmp_path (XDG_STATE_HOME), inherited by subprocesses."""
    monkeypatch.delenv("ZENFLOW_TASK_ID", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
