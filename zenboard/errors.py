"""Errors that mean "the user gave zenboard bad input" (exit code 2, one line, no traceback).

Everything that is a fault of the project under test (a failing test, a crashed worker, a
collection error) is *not* an exception: it is state in the model and an exit code of 1.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input to zenboard: the message is the single line the user sees."""


class ConfigError(InputError):
    """A configuration file that cannot be used as written."""

    def __init__(self, path: object, key: str, expected: str) -> None:
        self.path = str(path)
        self.key = key
        self.expected = expected
        super().__init__(f"{self.path}: {key}: {expected}")
