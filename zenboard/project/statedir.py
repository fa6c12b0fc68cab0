"""The state dirs zenboard keeps its own files in, and the check that they are the user's alone.

zenboard writes below two state dirs: the project's `.zenboard/` (history, durations, reports,
plans) and the port registry's dir (`<git common dir>/zenboard`, else
`$XDG_STATE_HOME/zenboard`). Whoever can write into one of them could plant a symlink there
between two of zenboard's steps, and every writer's no-symlink rule (`safefs`) would then rest
on a race. So a state dir owned by another user, or writable by anyone, is refused before a
command does anything (one line, exit 2): fix the dir and run again.
"""

from __future__ import annotations

import os
from pathlib import Path

from zenboard import safefs
from zenboard.errors import InputError
from zenboard.project.git import git_common_dir

STATE_DIR = ".zenboard"
"""The project's own state dir, below its root."""


def registry_dir(root: Path) -> Path:
    """Where the port registry of the repository containing `root` lives."""
    common = git_common_dir(root)
    if common is not None:
        return common / "zenboard"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "zenboard"


def check_state_dirs(root: Path) -> None:
    """Refuse (InputError) a state dir of the project at `root` that is not private to the user.

    A dir not made yet is fine: zenboard makes it itself, private. Called where a command loads
    the project's configuration, once, before anything is written.
    """
    dirs = ((root / STATE_DIR, "history and reports"), (registry_dir(root), "port registry"))
    for directory, holds in dirs:
        try:
            safefs.check_private_dir(directory)
        except OSError as exc:
            raise InputError(
                f"{safefs.describe(exc)} (the state dir of zenboard's {holds}: "
                "refused while another user can change it)"
            ) from None
