"""The dashboard's first frame does not wait for what it does not show.

What `zenboard launch` imports before its first frame is most of the time to that frame
(`bench/bench_first_frame.py`): the watch machinery, the details and help screens and the
container helpers are imported when first used, not at start; the screens `enter` and `?`
open are imported right after the first frame.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import suites_toml, write_project

DEFERRED = (
    "zenboard.watch.session",
    "zenboard.watch.settings",
    "zenboard.ui.screens.details",
    "zenboard.ui.screens.help",
    "zenboard.tasks.beside",
    "zenboard.tasks.docker_watch",
)


def test_the_dashboard_starts_without_what_its_first_frame_does_not_show() -> None:
    code = (
        "import sys\n"
        "import zenboard.cli, zenboard.commands.launch, zenboard.ui.launcher\n"
        f"late = [m for m in {DEFERRED!r} if m in sys.modules]\n"
        "assert not late, late\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr


PRELOAD = """
import asyncio, sys
from pathlib import Path
from zenboard.ui.launcher import make_app

SCREENS = ("zenboard.ui.screens.details", "zenboard.ui.screens.help")

async def main():
    app = make_app(Path(sys.argv[1]), run_at_start=False)
    async with app.run_test() as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if all(m in sys.modules for m in SCREENS):
                return
        raise AssertionError([m for m in SCREENS if m not in sys.modules])

asyncio.run(main())
"""


def test_enter_and_help_screens_are_imported_right_after_the_first_frame(
    tmp_path: Path,
) -> None:
    """So that the first `enter` or `?` does not pay for the imports the first frame skipped."""
    project = write_project(tmp_path, {"pyproject.toml": suites_toml('name = "one"')})
    done = subprocess.run(
        [sys.executable, "-c", PRELOAD, str(project)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
