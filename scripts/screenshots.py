"""Regenerate `screenshots/*.svg`: the real dashboard running the bundled demo project.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--size 160x45]

It copies the demo to a temporary directory (with the e2e suite's npm packages, as `zenboard
demo` does), opens the app headless (Textual's Pilot) with real
suite runs, and saves what the app itself draws (`App.save_screenshot`) at three moments:
running (a third of the tests done), failures (all suites ended, the test list focused) and
details (enter on the first failure). Timings on screen are whatever the run took.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from zenboard.commands.demo import copy_demo
from zenboard.integrations.npm_setup import prepare_demo_e2e
from zenboard.ui.app import ZenboardApp
from zenboard.ui.launcher import make_app

DEADLINE = 300.0


def progress(app: ZenboardApp) -> float:
    suites = list(app.session.state.suites.values())
    total = sum(s.total or 0 for s in suites)
    return sum(s.done for s in suites) / total if total else 0.0


def settled(app: ZenboardApp) -> bool:
    session = app.session
    return (
        session.engine.all_done() and not session.state.running and session.commander.wait_idle(0)
    )


async def shoot(out: Path, size: tuple[int, int]) -> None:
    project = copy_demo(Path(tempfile.mkdtemp(prefix="zenboard-shots-")) / "gradebook")
    for line in prepare_demo_e2e(project):  # as `zenboard demo` does: npm packages for e2e
        print(line)
    app = make_app(project, run_at_start=True)
    out.mkdir(parents=True, exist_ok=True)
    async with app.run_test(size=size) as pilot:
        deadline = time.monotonic() + DEADLINE
        while progress(app) < 0.33 and not settled(app):
            if time.monotonic() > deadline:
                raise SystemExit("the demo did not make progress")
            await pilot.pause(0.05)
        await pilot.pause(0.1)
        app.save_screenshot("running.svg", str(out))
        while not settled(app):
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
        await pilot.press("escape", "q")
    print(
        f"wrote {', '.join(str(out / n) for n in ('running.svg', 'failures.svg', 'details.svg'))}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "screenshots"
    )
    parser.add_argument("--size", default="160x45", help="terminal size WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    asyncio.run(shoot(args.out, (width, height)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
