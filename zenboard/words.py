"""Counted nouns in what zenboard prints: `1 test`, `2 tests`, never `1 tests`.

Every count a person reads (run output, history, audit, compare, merge) goes through `plural`,
so a run of one test reads as English, the same way in every command.
"""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` and the form of `noun` it takes: `plural(1, "test")` is "1 test".

    `nouns` is the plural when adding an "s" is wrong (`plural(n, "copy", "copies")`).
    """
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
