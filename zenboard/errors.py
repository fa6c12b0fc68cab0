"""Errors that mean "the user gave zenboard bad input" (exit code 2, one line, no traceback).

Everything that is a fault of the project under test (a failing test, a crashed worker, a
collection error) is *not* an exception: it is state in the model and an exit code of 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn


class InputError(Exception):
    """Bad input to zenboard: the message is the single line the user sees."""


class ConfigError(InputError):
    """A configuration file that cannot be used as written."""

    def __init__(self, path: object, key: str, expected: str) -> None:
        self.path = str(path)
        self.key = key
        self.expected = expected
        super().__init__(f"{self.path}: {key}: {expected}")


MISSING = object()
"""A field that is not there (said as `missing`)."""


def show(value: object) -> str:
    """A value for a one-line message: its repr (control characters escaped), cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def refuse(path: Path, where: str, expected: str, value: object = MISSING) -> NoReturn:
    """Refuse a field of another job's file (a shard's report): `<file>: <where>: expected
    <what>, got <value>`, the one line the user sees (exit 2)."""
    got = "missing" if value is MISSING else f"got {show(value)}"
    raise InputError(f"{path}: {where}: expected {expected}, {got}")
