"""The dashboard's first frame does not wait for what it does not show.

What `zenboard launch` imports before its first frame is most of the time to that frame
(`bench/bench_first_frame.py`): the watch machinery, the details and help screens and the
container helpers are imported when first used, not at start.
"""

from __future__ import annotations

import subprocess
import sys

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
