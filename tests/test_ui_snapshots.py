"""Snapshots (pytest-textual-snapshot) of the dashboard's main states.

The model is fed a fixed, synthetic event sequence and the app gets a frozen clock, so every
picture is the same on every machine: no real processes, no timings, no temp paths on screen.
Update after a deliberate change with
`.venv-pytest8/bin/python -m pytest tests/test_ui_snapshots.py --snapshot-update` (the plugin needs
pytest 8: `bash scripts/setup-venv.sh .venv-pytest8 snapshots` makes that venv), having looked at
the report first.
"""

from __future__ import annotations

import importlib.util
import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers import wait_until
from zenboard.config import load_config
from zenboard.model import events as ev
from zenboard.ui.app import ZenboardApp
from zenboard.ui.session import Session
from zenboard.ui.sources.history import HistorySource, HistoryView, StaticHistory
from zenboard.ui.sources.infra import ContainerRow, InfraSnapshot, PortRow, StaticInfra

# pytest-textual-snapshot pins syrupy 4.8, which needs pytest 8: the plugin is in .venv-pytest8, not
# in the pytest 9 .venv. scripts/test.sh runs this file there with ZENBOARD_REQUIRE_SNAPSHOTS=1, so
# a missing plugin fails that pass instead of skipping.
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pytest_textual_snapshot") is None
    and not os.environ.get("ZENBOARD_REQUIRE_SNAPSHOTS"),
    reason="pytest-textual-snapshot is not installed (it needs pytest 8): "
    "scripts/test.sh runs these in .venv-pytest8",
)

T0 = 1_700_000_000.0
NOW = T0 + 12.3

PYPROJECT = """
[tool.zenboard]
[[tool.zenboard.suites]]
name = "unit-fast"
args = ["-m", "unit"]
workers = 4

[[tool.zenboard.suites]]
name = "integration"
args = ["-m", "api"]
workers = 2
dist = "loadscope"

[[tool.zenboard.suites]]
name = "processing"
args = ["-m", "processing"]
workers = 0

[[tool.zenboard.suites]]
name = "e2e"
kind = "playwright"
workers = 2
"""

PORTS = (
    PortRow("postgres", 15432, "task"),
    PortRow("redis", 16379, "task"),
    PortRow("backend", 18000, "conflict"),
)
CONTAINERS = (
    ContainerRow("postgres", "running", "healthy", restarts=0, ports_ok=True),
    ContainerRow("redis", "running", "unhealthy", failing_streak=3, restarts=1, ports_ok=True),
    ContainerRow("backend", "running", "starting", ports_ok=False),
)
WITH_DOCKER = InfraSnapshot(task="task-42", ports=PORTS, containers=CONTAINERS, has_tasks=True)
NO_DOCKER = InfraSnapshot(
    task="task-42",
    ports=PORTS,
    has_tasks=True,
    docker_available=False,
    docker_reason="cannot connect to unix:///var/run/docker.sock",
)


def failure_record(nodeid: str, message: str, out: str = "") -> dict[str, Any]:
    name = nodeid.rpartition("::")[2]
    path = nodeid.partition("::")[0]
    longrepr = (
        f"    def {name}():\n        items = cart.items()\n>       assert len(items) == 3\n"
        f"E       {message}\n\n{path}:14: AssertionError"
    )
    return {
        "nodeid": nodeid,
        "outcome": "failed",
        "setup": {"outcome": "passed", "duration": 0.001},
        "call": {
            "outcome": "failed",
            "duration": 0.021,
            "longrepr": longrepr,
            "stdout": out,
            "crash": {"path": path, "lineno": 14, "message": message},
        },
        "teardown": {"outcome": "passed", "duration": 0.001},
    }


def suite_events(suite: str, worker: str, nodeids: list[str], fail: set[str]) -> list[ev.Event]:
    found: list[ev.Event] = []
    for nodeid in nodeids:
        found.append(ev.TestStarted(suite, nodeid, worker))
        if nodeid in fail:
            record = failure_record(
                nodeid, "AssertionError: expected 3 items, got 2", "adding item 1\n"
            )
            found.append(ev.TestFinished(suite, nodeid, worker, "failed", 0.021, record))
        else:
            found.append(ev.TestFinished(suite, nodeid, worker, "passed", 0.01, {"nodeid": nodeid}))
    return found


def running_events() -> list[ev.Event]:
    found: list[ev.Event] = [
        ev.SuiteLaunched("unit-fast", ("pytest", "-m", "unit", "-n", "4"), 100, T0),
        ev.RunStarted("unit-fast", 4),
        ev.SuiteLaunched("integration", ("pytest", "-m", "api", "-n", "2"), 101, T0 + 0.2),
        ev.RunStarted("integration", 2),
        ev.SuiteLaunched("processing", ("pytest", "-m", "processing"), 102, T0 + 0.1),
        ev.RunStarted("processing", 0),
        ev.WorkerCollected("processing", "main", 6),
        *suite_events(
            "processing", "main", [f"tests/test_jobs.py::test_job[{i}]" for i in range(6)], set()
        ),
        ev.RunFinished("processing", 0, 3.0),
        ev.SuiteExited("processing", 0, T0 + 3.1),
    ]
    for worker in ("gw0", "gw1", "gw2", "gw3"):
        found.append(ev.WorkerCollected("unit-fast", worker, 40))
    for index, worker in enumerate(("gw0", "gw1", "gw2", "gw3")):
        done = 9 - index * 2
        nodeids = [f"tests/unit/test_cart_{worker}.py::test_item[{i}]" for i in range(done)]
        fail = {nodeids[2]} if worker in ("gw1", "gw3") else set()
        found += suite_events("unit-fast", worker, nodeids, fail)
        found.append(
            ev.TestStarted(
                "unit-fast",
                f"tests/unit/test_cart_{worker}.py::test_item[{done}]",
                worker,
                pending=10,
            )
        )
    found += [
        ev.WorkerDown(
            "unit-fast", "gw2", True, "tests/unit/test_cart_gw2.py::test_item[5]", "crashed"
        ),
        ev.WorkerReplaced("unit-fast", "gw2", "gw4"),
        ev.TestStarted("unit-fast", "tests/unit/test_more.py::test_other", "gw4", pending=4),
    ]
    for worker in ("gw0", "gw1"):
        found.append(ev.WorkerCollected("integration", worker, 12))
        found += suite_events(
            "integration",
            worker,
            [f"tests/api/test_orders.py::test_{worker}_{i}" for i in range(3)],
            set(),
        )
    found += [
        ev.OutputLine("unit-fast", line)
        for line in (
            "============================= test session starts ==============================",
            "created: 4/4 workers",
            "4 workers [40 items]",
            "..F....F..",
        )
    ]
    return found


def finished_events() -> list[ev.Event]:
    """The running scenario run to its end: every started test reports (the crashed one through
    xdist's synthetic `???` failure), as a real run does; a test without a report would be an
    unreported error."""
    crashed = "tests/unit/test_cart_gw2.py::test_item[5]"
    crash_record = {
        "nodeid": crashed,
        "outcome": "failed",
        "setup": {"outcome": "passed", "duration": 0.001},
        "???": {
            "outcome": "failed",
            "duration": 0.0,
            "longrepr": "worker 'gw2' crashed while running",
        },
    }
    in_flight = [  # the test each lane was running (running_events: lane i started test 9 - 2i)
        ev.TestFinished("unit-fast", nodeid, worker, "passed", 0.01, {"nodeid": nodeid})
        for worker, nodeid in (
            (w, f"tests/unit/test_cart_{w}.py::test_item[{9 - i * 2}]")
            for i, w in enumerate(("gw0", "gw1", "gw2", "gw3"))
            if w != "gw2"
        )
    ]
    return [
        *running_events(),
        *in_flight,
        ev.TestFinished("unit-fast", crashed, "gw2", "failed", 0.0, crash_record),
        ev.TestFinished(
            "unit-fast",
            "tests/unit/test_more.py::test_other",
            "gw4",
            "passed",
            0.01,
            {"nodeid": "tests/unit/test_more.py::test_other"},
        ),
        ev.RunFinished("unit-fast", 1, 12.0),
        ev.SuiteExited("unit-fast", 1, T0 + 12.1),
        ev.RunFinished("integration", 0, 11.0),
        ev.SuiteExited("integration", 0, T0 + 11.2),
    ]


@pytest.fixture
def make(tmp_path: Path) -> Callable[..., ZenboardApp]:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT), encoding="utf-8")

    def build(
        events: list[ev.Event] = (),  # type: ignore[assignment]
        infra: InfraSnapshot = WITH_DOCKER,
        history: HistorySource | None = None,
    ) -> ZenboardApp:
        config = load_config(root)
        session = Session(
            config, report_dir=tmp_path / "reports", clock=lambda: NOW, task="task-42"
        )
        session.fold(list(events))
        return ZenboardApp(session, run_at_start=False, infra=StaticInfra(infra), history=history)

    return build


def test_idle(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    assert snap_compare(make(), terminal_size=(160, 45))


def test_running(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    assert snap_compare(make(running_events()), terminal_size=(160, 45))


def test_failures(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    assert snap_compare(make(finished_events()), press=["tab", "down"], terminal_size=(160, 45))


def test_details(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    assert snap_compare(make(finished_events()), press=["tab", "enter"], terminal_size=(160, 45))


def test_docker_unavailable(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    assert snap_compare(make(running_events(), infra=NO_DOCKER), terminal_size=(160, 45))


def test_narrow_terminal(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    """80x24: compact cards (three or more fit), the test list, the ports and containers."""
    assert snap_compare(make(running_events()), terminal_size=(80, 24))


def test_narrow_terminal_without_tasks(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    """80x24 in a project without tasks: no ports or containers row, every card fits."""
    assert snap_compare(make(finished_events(), infra=InfraSnapshot()), terminal_size=(80, 24))


def test_wide_terminal(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    """220x60: side by side, every lane, no blank rows."""
    assert snap_compare(make(running_events()), terminal_size=(220, 60))


def resize_to(width: int, height: int) -> Callable[[Pilot[Any]], Any]:
    async def resize(pilot: Pilot[Any]) -> None:
        await pilot.resize_terminal(width, height)
        for _ in range(3):
            await pilot.pause(0.05)

    return resize


def test_resized_to_80x24(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    """Started at 160x45 and resized: the same picture as `test_narrow_terminal`."""
    assert snap_compare(
        make(running_events()), run_before=resize_to(80, 24), terminal_size=(160, 45)
    )


def test_resized_to_220x60(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    """Started at 80x24 and resized: the same picture as `test_wide_terminal`."""
    assert snap_compare(
        make(running_events()), run_before=resize_to(220, 60), terminal_size=(80, 24)
    )


def test_help(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    assert snap_compare(make(), press=["?"], terminal_size=(100, 34))


FLAKY = ("unit-fast", "tests/unit/test_cart_gw1.py::test_item[2]")
HISTORY = HistoryView(
    flaky={FLAKY: "PPPFPPFPPP"},
    trends={
        "unit-fast": [10.2, 10.8, 10.4, 11.0, 10.6, 10.9, 10.5, 11.3, 10.7, 12.1],
        "integration": [14.0, 12.5, 12.9, 12.2, 11.8, 11.0],
        "processing": [3.1],
    },
    runs=10,
)
"""A fixed history: one flaky failure, three suites with trends (rising, falling, one run), e2e
none (its card shows no trend)."""


def history_ready(app: ZenboardApp) -> Callable[[Pilot[Any]], Any]:
    async def wait(pilot: Pilot[Any]) -> None:  # read on a thread worker at start
        await wait_until(pilot, lambda: app.history_view is HISTORY, "the history read at start")

    return wait


def test_history_badge_and_trends(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    app = make(finished_events(), history=StaticHistory(HISTORY))
    assert snap_compare(app, run_before=history_ready(app), terminal_size=(160, 45))


def test_history_flaky_details(snap_compare: Any, make: Callable[..., ZenboardApp]) -> None:
    app = make(finished_events(), history=StaticHistory(HISTORY))
    assert snap_compare(
        app, run_before=history_ready(app), press=["tab", "enter"], terminal_size=(160, 45)
    )
