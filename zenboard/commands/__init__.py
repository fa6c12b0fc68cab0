"""Sub-commands of `zenboard`: each module has NAME, HELP, WRITES, add_arguments(parser), run(args).

HELP is the line `zenboard --help` lists; WRITES says what the command writes and claims (or
that it writes nothing) and is the second paragraph of its own `--help`, since a command that
claims ports or writes files must say so before it is run. PROJECT (optional) says how much it
needs a project (see cli._project). Modules here import only what parsing needs at top level;
heavy imports happen inside `run`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

COMMANDS: tuple[str, ...] = (
    "run",
    "init",
    "audit",
    "demo",
    "launch",
    "ports",
    "status",
    "compose_template",
    "watch",
    "history",
    "verify",
    "compare",
    "merge",
    "durations",
)


def path_arg(text: str) -> Path:
    """A path on the command line: never empty (an unset CI variable would name the current
    directory, and reports would land among the project's files) and never holding NUL."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path (an unset variable?)")
    if "\0" in text:
        raise argparse.ArgumentTypeError("a path without NUL")
    return Path(text)
