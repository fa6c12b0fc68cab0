"""`zenboard init`'s configuration as TOML text, and its place in an existing pyproject.toml.

There is no TOML writer in the standard library, and a round trip through one would drop the
user's comments and layout anyway: the table is rendered as text and appended to the file as it
is, byte for byte. `--force` first cuts the old `[tool.zenboard...]` tables out by their headers.
Every result is proven before it is written: it must parse, hold exactly the new table, and hold
everything else the file held, unchanged (`check_merged`); else nothing is written.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from zenboard.errors import InputError
from zenboard.onboarding.init_plan import Plan, PlannedSuite, tests_word
from zenboard.words import plural

_HEADER = re.compile(r"^\s*\[\[?([^\[\]]*)\]\]?\s*(?:#.*)?$")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _array(items: Sequence[str]) -> str:
    return "[" + ", ".join(toml_string(i) for i in items) + "]"


def render(plan: Plan, services: Mapping[str, int], prefix: str) -> str:
    """The configuration's text; `prefix` is "tool.zenboard." (pyproject.toml) or "" (a
    zenboard.toml). Each suite carries its test count and its workers' reason as a comment."""
    intro = [
        f"# Written by `zenboard init` for {plural(plan.cores, 'core')}. "
        "Every test is in exactly one suite;",
        "# `zenboard audit` checks that again after you change markers or suites.",
    ]
    lines = [f"[{prefix[:-1]}]", *intro] if prefix else intro
    for suite in plan.suites:
        lines += ["", f"[[{prefix}suites]]", *_suite_lines(suite)]
    if services:
        body = ", ".join(f"{name} = {port}" for name, port in services.items())
        lines += ["", f"[{prefix}ports]", f"services = {{ {body} }}"]
    return "\n".join(lines) + "\n"


def _suite_lines(suite: PlannedSuite) -> list[str]:
    count = "Playwright" if suite.kind == "playwright" else tests_word(len(suite.tests))
    lines = [f"# {count}; workers: {suite.why}", f"name = {toml_string(suite.name)}"]
    if suite.kind != "pytest":
        lines.append(f"kind = {toml_string(suite.kind)}")
    if suite.args:
        lines.append(f"args = {_array(suite.args)}")
    lines.append(f"workers = {suite.workers}")
    if suite.cwd != ".":
        lines.append(f"cwd = {toml_string(suite.cwd)}")
    return lines


def _key_path(header: str) -> list[str]:
    """A table header's dotted key as its parts (`tool."zenboard" . suites` -> 3 parts)."""
    parts: list[str] = []
    rest = header.strip()
    while rest:
        if rest[0] in "\"'":
            end = rest.find(rest[0], 1)
            if end < 0:
                return []
            parts.append(rest[1:end])
            rest = rest[end + 1 :].strip()
        else:
            match = _BARE_KEY.match(rest)
            if match is None:
                return []
            parts.append(match.group())
            rest = rest[match.end() :].strip()
        if rest.startswith("."):
            rest = rest[1:].strip()
        elif rest:
            return []
    return parts


def strip_zenboard(text: str) -> str:
    """`text` without its `[tool.zenboard]` tables: every line from such a header to the next
    header of another table. (check_merged proves the cut kept everything else.)"""
    kept: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        match = _HEADER.match(line)
        if match is not None:
            inside = _key_path(match.group(1))[:2] == ["tool", "zenboard"]
        if not inside:
            kept.append(line)
    return "".join(kept)


def append_table(existing: str, rendered: str) -> str:
    """`rendered` after `existing`, which stays as it was (a blank line between the two)."""
    if not existing.strip():
        return rendered
    return existing.rstrip("\n") + "\n\n" + rendered


def _without_zenboard(data: dict[str, Any]) -> dict[str, Any]:
    tool = data.get("tool")
    if not isinstance(tool, dict) or "zenboard" not in tool:
        return data
    rest = {k: v for k, v in tool.items() if k != "zenboard"}
    return {**{k: v for k, v in data.items() if k != "tool"}, **({"tool": rest} if rest else {})}


def check_merged(name: str, before: str, after: str, rendered: str) -> None:
    """Refuse (exit 2) a result that would not parse, or that changes anything the file held
    besides `[tool.zenboard]`, or whose `[tool.zenboard]` is not exactly `rendered`.

    Args:
        name: The file's name, for the error message.
        before: The file as it was.
        after: The file as it would be written.
        rendered: The `[tool.zenboard]` table meant to be in it.
    """
    try:
        old = tomllib.loads(before)
        new = tomllib.loads(after)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"{name}: zenboard init cannot add [tool.zenboard] to it safely ({exc}); "
            "add the table by hand (zenboard init --dry-run prints it)"
        ) from None
    wanted = tomllib.loads(rendered)["tool"]["zenboard"]
    if new.get("tool", {}).get("zenboard") != wanted or _without_zenboard(new) != (
        _without_zenboard(old)
    ):
        raise InputError(
            f"{name}: zenboard init cannot replace [tool.zenboard] in it without touching the "
            "rest (an inline or dotted-key table?); edit it by hand (--dry-run prints the table)"
        )
