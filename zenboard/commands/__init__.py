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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zenboard.config import Timeouts

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


def seconds_arg(text: str) -> float:
    """A number of seconds more than 0 (`--timeout`, `--suite-timeout`)."""
    from zenboard.config import seconds_problem

    try:
        value = float(text)
    except ValueError:
        value = None
    problem = seconds_problem(value if value is not None else text)
    if problem:
        raise argparse.ArgumentTypeError(problem.replace("got 'inf'", f"got {text!r}"))
    assert value is not None
    return value


def add_timeout_arguments(parser: argparse.ArgumentParser) -> None:
    """`--timeout` and `--suite-timeout`: they override every selected suite's config."""
    parser.add_argument(
        "--timeout",
        type=seconds_arg,
        metavar="SECONDS",
        help="stop a test that runs longer (default: each suite's `timeout`, else none)",
    )
    parser.add_argument(
        "--suite-timeout",
        type=seconds_arg,
        metavar="SECONDS",
        help="cancel a suite run that takes longer (default: each suite's `suite_timeout`)",
    )


def timeouts_of(args: argparse.Namespace) -> Timeouts:
    from zenboard.config import Timeouts

    return Timeouts(getattr(args, "timeout", None), getattr(args, "suite_timeout", None))
