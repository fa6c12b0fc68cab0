"""A failure's short traceback for a CI log: where it failed, the failing line, the `E` lines.

A CI log is often read alone, without the report files: each failure needs enough to act on
(the assertion and its location), and no more, or a hundred failures bury everything else.
The full `longrepr` stays in the JSON report and the JUnit file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

MAX_LINES = 12
"""Lines of one failure's short traceback, its location included."""
LINE_CHARS = 240
_PHASES = ("setup", "call", "teardown", "???")


def _failed_stage(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for phase in _PHASES:
        stage = record.get(phase)
        if isinstance(stage, dict) and stage.get("outcome") == "failed":
            return stage
    return None


def _in_project(path: str, root: str) -> str | None:
    """`path` as shown in the log (relative to `root`) when it is inside the project, else None.

    Relative paths (a traceback entry's, relative to where pytest ran) count as inside."""
    if not os.path.isabs(path):
        return None if path.startswith("..") else path
    if not root:
        return None
    relative = os.path.relpath(path, root)
    return None if relative.startswith("..") else relative


def _location(stage: Mapping[str, Any], root: str) -> str:
    """Where it failed: the crash's file and line; for a crash outside the project (in a library
    the test called), the innermost line of the project's own first, which is the one to fix."""
    crash = stage.get("crash")
    if not isinstance(crash, dict) or not crash.get("path"):
        return ""
    path = str(crash["path"])
    lineno = crash.get("lineno")
    shown = _in_project(path, root)
    where = f"{shown or path}:{lineno}" if isinstance(lineno, int) else shown or path
    if shown is not None or not root:
        return where
    entries = stage.get("traceback")
    for entry in reversed(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or not isinstance(entry.get("lineno"), int):
            continue
        own = _in_project(str(entry.get("path") or ""), root)
        if own:
            return f"{own}:{entry['lineno']} (raised in {where})"
    return where


def _is_error_line(line: str) -> bool:
    return line == "E" or line.startswith("E ")


def _last_entry(lines: list[str]) -> list[str]:
    """The innermost entry's `E` lines (the exception and its explanation), after the failing
    source line (`>`) when that entry shows one; else the last lines there are."""
    ends = [i for i, line in enumerate(lines) if _is_error_line(line)]
    if not ends:
        return [line for line in lines if line.strip()][-(MAX_LINES - 1) :]
    first = last = ends[-1]
    while first > 0 and _is_error_line(lines[first - 1]):
        first -= 1
    kept = lines[first : last + 1]
    for line in reversed(lines[:first]):
        if line.startswith(">"):
            return [line, *kept]
        if not line.strip():
            break  # the entry's top: its source shows no failing line
    return kept


def short_traceback(record: Mapping[str, Any], root: str = "") -> list[str]:
    """At most MAX_LINES lines: the crash location, then the failing line and its `E` lines."""
    stage = _failed_stage(record)
    if stage is None:
        return []
    longrepr = str(stage.get("longrepr") or "").rstrip()
    lines = longrepr.splitlines()
    out = [f"at {location}" for location in [_location(stage, root)] if location]
    out += _last_entry(lines)
    if len(out) > MAX_LINES:
        out = [*out[: MAX_LINES - 1], f"... ({len(out) - MAX_LINES + 1} more lines in the report)"]
    return [line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1] + "…" for line in out]
