"""`needs` as configured and as the model shows a waiting suite: pure logic, no process.

The waits themselves, on Docker and Compose, are tests/test_needs.py's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write_project
from zenboard.config import load_config
from zenboard.engine import Engine, EventBuffer
from zenboard.errors import ConfigError, InputError
from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteStatus


def _suite(tmp_path: Path, body: str) -> Path:
    return write_project(
        tmp_path,
        {"pyproject.toml": f'[[tool.zenboard.suites]]\nname = "db"\n{body}\n'},
    )


def test_needs_take_service_names_and_port_variables(tmp_path: Path) -> None:
    config = load_config(
        _suite(tmp_path, 'needs = ["postgres", "redis.cache", "port:BACKEND_PORT"]')
    )
    [suite] = config.suites
    assert suite.needs == ("postgres", "redis.cache", "port:BACKEND_PORT")
    assert suite.needs_timeout == 120.0


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('needs = "postgres"', "needs"),
        ('needs = ["port:backend_port"]', "needs"),
        ('needs = ["port:"]', "needs"),
        ('needs = ["-postgres"]', "needs"),
        ('needs = ["pg sql"]', "needs"),
        ("needs_timeout = 0", "needs_timeout"),
        ('needs_timeout = "soon"', "needs_timeout"),
    ],
)
def test_bad_needs_are_one_line_naming_the_key(tmp_path: Path, body: str, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(_suite(tmp_path, body))
    assert raised.value.key == f"tool.zenboard.suites[0] (db).{key}"


def test_a_needed_port_variable_that_is_not_set_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BACKEND_PORT", raising=False)
    config = load_config(_suite(tmp_path, 'needs = ["port:BACKEND_PORT"]\nworkers = 0'))
    engine = Engine(config, EventBuffer(), tmp_path / "reports")
    with pytest.raises(InputError) as raised:
        engine.check(config.suites)
    assert str(raised.value) == (
        "suite db needs port:BACKEND_PORT, but BACKEND_PORT is not set (a port number is "
        "expected in .env.task, the suite's env or the environment)"
    )
    Engine(config, EventBuffer(), tmp_path / "reports", {"BACKEND_PORT": "21512"}).check(
        config.suites
    )


def test_a_waiting_suite_is_part_of_the_run_until_it_starts_or_errors() -> None:
    state = RunState.for_suites(["db", "unit"])
    apply(state, ev.SuiteWaiting("db", "postgres: starting", 3.2))
    db = state.suites["db"]
    assert db.status is SuiteStatus.WAITING
    assert (db.waiting_for, db.waited) == ("postgres: starting", 3.2)
    assert state.running and state.status is SuiteStatus.RUNNING
    assert not db.status.finished
    apply(state, ev.SuiteLaunched("db", ("pytest",), 42, 100.0))
    assert db.status is SuiteStatus.RUNNING and db.waiting_for == ""

    apply(state, ev.SuiteWaiting("unit", "port:BACKEND_PORT (21512): refused", 120.0))
    apply(state, ev.SuiteLaunched("unit", (), 0, 200.0))
    apply(state, ev.SuiteExited("unit", 1, 200.0, error="waited 120 s for what it needs: ..."))
    assert state.suites["unit"].status is SuiteStatus.ERROR
    assert state.exit_code() == 1
