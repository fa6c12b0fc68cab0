"""Regenerate `screenshots/`: the real dashboard running the bundled demo, and its report.html.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--size 160x45]

It copies the demo to a temporary directory (with the e2e suite's npm packages) and makes the
copy its own task with its Compose services up, as `zenboard demo` does (without Docker the
panels say why). It gives the copy a history: `zenboard run --ci` a few times (`--history-runs`,
default 3), more (up to 8) until the demo's flaky test has both passed and failed, so the cards
show duration trends and that test its flaky badge. Then it opens the app headless (Textual's
Pilot) with real suite runs, and saves what the app itself draws (`App.save_screenshot`) at four
moments: running (a third of the tests done), failures (all suites ended and the launch
recorded, the test list focused), details (enter on the first failure) and history (the list
filtered to the flaky test, with its badge). Timings on screen are whatever the runs took.

Last it opens the report.html those runs left in real Chromium (Playwright from Node, as the
tests do) and saves `report.png`. `--report-only` makes just that picture, from one headless run
of a fresh demo copy without its Compose services (quick: no Docker needed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zenboard.commands.demo import _give_back_ports, _services_up, _take_down, copy_demo, demo_task
from zenboard.config import load_config
from zenboard.onboarding.npm_setup import prepare_demo_e2e
from zenboard.records.history import History
from zenboard.tasks.identity import ENV_VAR
from zenboard.ui.app import ZenboardApp
from zenboard.ui.launcher import make_app

REPO = Path(__file__).resolve().parent.parent
DEADLINE = 300.0
MAX_HISTORY_RUNS = 8


def progress(app: ZenboardApp) -> float:
    suites = list(app.session.state.suites.values())
    total = sum(s.total or 0 for s in suites)
    return sum(s.done for s in suites) / total if total else 0.0


def settled(app: ZenboardApp) -> bool:
    session = app.session
    return (
        session.engine.all_done() and not session.state.running and session.commander.wait_idle(0)
    )


def flaky_known(project: Path) -> bool:
    with History(project) as db:
        return any("flaky" in nodeid for _suite, nodeid in db.flaky_tests())


def seed_history(project: Path, runs: int, env: dict[str, str]) -> int:
    """Real headless runs, until the demo's flaky test has a mixed history; returns how many."""
    done = 0
    while done < runs or (done < MAX_HISTORY_RUNS and not flaky_known(project)):
        subprocess.run(
            [sys.executable, "-m", "zenboard", "run", "--ci"],
            cwd=project,
            stdout=subprocess.DEVNULL,
            check=False,
            env=env,
        )
        done += 1
        print(f"history: run {done} recorded")
    return done


async def shoot(out: Path, size: tuple[int, int], history_runs: int) -> None:
    project = copy_demo(Path(tempfile.mkdtemp(prefix="zenboard-shots-")) / "gradebook")
    for line in prepare_demo_e2e(project):  # as `zenboard demo` does: npm packages for e2e
        print(line)
    task = demo_task(project)
    try:
        _services_up(load_config(project), task, print)
        env = {**os.environ, ENV_VAR: task}
        seeded = seed_history(project, history_runs, env)
        await _shoot_app(project, task, out, size, seeded)
        shoot_report(project, out)
    finally:
        _take_down(project, task, print)
        _give_back_ports(project, print)


async def _shoot_app(
    project: Path, task: str, out: Path, size: tuple[int, int], seeded: int
) -> None:
    app = make_app(project, run_at_start=True, task=task, up=True)
    out.mkdir(parents=True, exist_ok=True)
    async with app.run_test(size=size) as pilot:
        deadline = time.monotonic() + DEADLINE
        while progress(app) < 0.33 and not settled(app):
            if time.monotonic() > deadline:
                raise SystemExit("the demo did not make progress")
            await pilot.pause(0.05)
        await pilot.pause(0.1)
        app.save_screenshot("running.svg", str(out))
        while not settled(app) or app.history_view.runs <= seeded:  # the launch recorded
            if time.monotonic() > deadline:
                raise SystemExit("the demo did not finish")
            await pilot.pause(0.1)
        await pilot.pause(0.3)
        await pilot.press("tab")
        await pilot.pause(0.1)
        app.save_screenshot("failures.svg", str(out))
        await pilot.press("enter")
        await pilot.pause(0.2)
        app.save_screenshot("details.svg", str(out))
        await pilot.press("escape", "slash", *"flaky", "enter")
        await pilot.pause(0.2)
        app.save_screenshot("history.svg", str(out))
        await pilot.press("q")
    names = ("running.svg", "failures.svg", "details.svg", "history.svg")
    print(f"wrote {', '.join(str(out / n) for n in names)}")


def shoot_report(project: Path, out: Path) -> None:
    """`report.png`: the report.html of the project's last run, as Chromium shows it."""
    sys.path.insert(0, str(REPO))  # the tests' Chromium driver
    from tests.report_browser import open_report

    page = project / ".zenboard" / "reports" / "latest" / "report.html"
    out.mkdir(parents=True, exist_ok=True)
    shown = open_report(page, screenshot=out / "report.png")
    if shown["errors"]:
        raise SystemExit(f"report.html showed errors: {shown['errors']}")
    print(f"wrote {out / 'report.png'}")


def report_only(out: Path) -> None:
    """One headless run of a fresh demo copy (no services), then `report.png`."""
    project = copy_demo(Path(tempfile.mkdtemp(prefix="zenboard-shots-")) / "gradebook")
    for line in prepare_demo_e2e(project):
        print(line)
    subprocess.run(
        [sys.executable, "-m", "zenboard", "run", "--ci"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    shoot_report(project, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots")
    parser.add_argument("--size", default="160x45", help="terminal size WIDTHxHEIGHT")
    parser.add_argument(
        "--history-runs", type=int, default=3, help="headless runs recorded before the dashboard's"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="only report.png, from one headless run"
    )
    args = parser.parse_args(argv)
    if args.report_only:
        report_only(args.out)
        return 0
    width, height = (int(n) for n in args.size.split("x"))
    asyncio.run(shoot(args.out, (width, height), args.history_runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
