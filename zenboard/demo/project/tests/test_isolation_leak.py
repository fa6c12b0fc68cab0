"""demo: isolation leak. Two tests that pass alone and fail when they run at the same time.

Both export grades to the same file, `.zenboard/gradebook-export.csv` in the project (the bug:
a fixed path instead of the test's own `tmp_path`). Alone, each clears the file, appends its rows and reads back
exactly those rows. On two xdist workers at once, each reads the other's rows too, and both
fail. That is an isolation leak: it depends on the mode (sequential or parallel), not on luck,
which is how `zenboard compare` tells it from a flaky test. They run in their own suite
(`isolation`, two workers) so that they always land on different workers.

To make the overlap reliable rather than a matter of timing, the two tests meet at two
rendezvous (files under `.zenboard/demo-leak/<run id>/`) when the run has two or more workers:
after clearing the file, and after appending. They wait only when a partner can be running:
under xdist with two or more workers, and with the other test in the same run.
The fix, walked through in zenboard's docs/verify-and-shards.md: export to `tmp_path`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_EXPORT = ROOT / ".zenboard" / "gradebook-export.csv"
"""The leak: one path for every test of every worker (in the copy: demos do not meet, and a demo
leaves nothing in the temp dir)."""
RENDEZVOUS_WAIT = 5.0
PAIR = ("maths", "physics")


def export_grades(path: Path, rows: list[str]) -> None:
    """The code under test: append a class's grades to an export file."""
    with path.open("a", encoding="utf-8") as f:
        f.writelines(row + "\n" for row in rows)


def rendezvous(run_id: str, step: str, me: str, partner_collected: bool) -> None:
    """Wait (bounded) for the partner test to reach `step`, when a partner can be running."""
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0")) < 2 or not partner_collected:
        return
    folder = ROOT / ".zenboard" / "demo-leak" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{step}.{me}").touch()
    partner = next(name for name in PAIR if name != me)
    deadline = time.monotonic() + RENDEZVOUS_WAIT
    while not (folder / f"{step}.{partner}").exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def check_export(request: pytest.FixtureRequest, run_id: str, subject: str) -> None:
    partner = next(name for name in PAIR if name != subject)
    collected = any(f"isolation_leak_{partner}_" in item.nodeid for item in request.session.items)
    rows = [f"{subject},student{i},{10 + i}" for i in range(3)]
    SHARED_EXPORT.parent.mkdir(exist_ok=True)
    SHARED_EXPORT.write_text("", encoding="utf-8")
    rendezvous(run_id, "cleared", subject, collected)
    export_grades(SHARED_EXPORT, rows)
    rendezvous(run_id, "appended", subject, collected)
    assert SHARED_EXPORT.read_text(encoding="utf-8").splitlines() == rows


def test_isolation_leak_maths_export(request: pytest.FixtureRequest, testrun_uid: str) -> None:
    """demo: isolation leak (with the physics export): passes alone, fails beside it."""
    check_export(request, testrun_uid, "maths")


def test_isolation_leak_physics_export(request: pytest.FixtureRequest, testrun_uid: str) -> None:
    """demo: isolation leak (with the maths export): passes alone, fails beside it."""
    check_export(request, testrun_uid, "physics")


@pytest.fixture(autouse=True)
def _no_simulated_cost() -> None:
    """These tests are fast on purpose: the leak, not the cost, is what they show."""
