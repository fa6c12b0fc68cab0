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
    "tasks",
    "up",
    "down",
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


def check_output_file(option: str, path: Path | None) -> None:
    """Refuse (InputError, exit 2) a report file (`--events`, `--summary-md`) that cannot be
    written, before anything runs: a directory or a symlink where the file goes, or a file
    where one of its directories goes. Missing directories are made when it is written, as
    `--report-dir`'s are."""
    import os

    from zenboard.errors import InputError

    if path is None:
        return
    if path.is_symlink():
        raise InputError(
            f"{option} {path}: is a symlink (zenboard writes reports only to files it makes)"
        )
    if path.is_dir():
        raise InputError(f"{option} {path}: is a directory (expected a file)")
    directory = Path(os.path.abspath(path)).parent
    while not os.path.lexists(directory):
        directory = directory.parent
    if not directory.is_dir():
        raise InputError(f"{option} {path}: {directory} exists and is not a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InputError(f"{option} {path}: cannot write in {directory} (permission denied)")


def retries_arg(text: str) -> int:
    """`--retries N`: a whole number from 0 to the bound a suite's `retries` key has."""
    from zenboard.config import MAX_RETRIES, valid_retries

    value = int(text) if text.strip().isdigit() else None
    if not valid_retries(value):
        raise argparse.ArgumentTypeError(f"a whole number from 0 to {MAX_RETRIES}, got {text!r}")
    assert value is not None
    return value


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


def add_retries_argument(parser: argparse.ArgumentParser) -> None:
    """`--retries N` for the commands that run suites (`run`, `launch`, `watch`)."""
    parser.add_argument(
        "--retries",
        type=retries_arg,
        metavar="N",
        help="retry a failed test up to N times; one that then passes is flaky (default: config)",
    )


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


def add_up_argument(parser: argparse.ArgumentParser) -> None:
    """`--up` for `run` and `launch`: the task's Compose services first."""
    parser.add_argument(
        "--up",
        action="store_true",
        help="start the task's Compose services first (docker compose up -d, as `zenboard up` "
        "without its wait: suites wait for what they `needs`); they keep running after",
    )


KEEP_RUNNING = "services: the task's services keep running: `zenboard down` stops them"
"""The last line of `run --up` and `launch --up`."""


def timeouts_of(args: argparse.Namespace) -> Timeouts:
    from zenboard.config import Timeouts

    return Timeouts(getattr(args, "timeout", None), getattr(args, "suite_timeout", None))
