"""One line for a field of another job's report file that is not what zenboard can use.

Report files from other CI jobs are untrusted (`merge`, `run --failed`): every field read is
checked, and a bad one is refused as `<file>: <where>: expected <what>, got <value>` (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from zenboard.errors import InputError

MISSING = object()
"""A field that is not there (said as `missing`)."""


def show(value: object) -> str:
    """A value for a one-line message: its repr (control characters escaped), cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def bad(path: Path, where: str, expected: str, value: object = MISSING) -> NoReturn:
    got = "missing" if value is MISSING else f"got {show(value)}"
    raise InputError(f"{path}: {where}: expected {expected}, {got}")
