"""Playwright JSON reports of shards (`--shard K/N`) joined into the report of one run.

Playwright's JSON reporter writes `{"config", "suites", "errors", "stats"}`: a suite per test
file, nested `describe` suites, and specs holding one test per project. A shard's report holds
only its own tests, so the merge joins the shards' suites (a file split across shards becomes
one suite again, its specs and nested suites ordered by line), sums `stats` (`expected`,
`unexpected`, `flaky`, `skipped`), takes the earliest `startTime` and, as `duration`, the span
from it to the end of the last shard (shards that ran side by side take as long as the longest;
shards that ran one after another, the time they all took), concatenates `errors`, and keeps the
first shard's `config` with `shard` null, as a run without `--shard` has it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from zenboard.errors import refuse as _bad

STAT_COUNTS = ("expected", "unexpected", "flaky", "skipped")


def is_playwright_report(data: Any) -> bool:
    """Playwright's JSON shape (`suites`, no pytest-json-report `tests`)."""
    return isinstance(data, dict) and "suites" in data and "tests" not in data


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def check_playwright_report(path: Path, data: Any) -> dict[str, Any]:
    """`data` read from `path` is a Playwright JSON report merge can use; else one line and
    exit 2 (the suites' and specs' titles, files and lists checked at every depth)."""
    if not isinstance(data, dict):
        _bad(path, "top level", "an object (a Playwright JSON report)", data)
    for key in ("config", "stats"):
        if key in data and not isinstance(data[key], dict):
            _bad(path, key, "an object", data[key])
    if "errors" in data and not isinstance(data["errors"], list):
        _bad(path, "errors", "a list", data["errors"])
    stats = data.get("stats", {})
    for key in STAT_COUNTS:
        if key in stats and not _count(stats[key]):
            _bad(path, f"stats.{key}", "a count", stats[key])
    if "duration" in stats and not _number(stats["duration"]):
        _bad(path, "stats.duration", "a number of milliseconds", stats["duration"])
    if "startTime" in stats and _start(stats["startTime"]) is None:
        _bad(path, "stats.startTime", "an ISO 8601 time", stats["startTime"])
    _check_suites(path, "suites", data.get("suites"))
    return data


def _check_suites(path: Path, where: str, suites: object) -> None:
    stack = [(where, suites)]
    while stack:
        at, items = stack.pop()
        if not isinstance(items, list):
            _bad(path, at, "a list of suites", items)
        assert isinstance(items, list)
        for i, suite in enumerate(items):
            here = f"{at}[{i}]"
            if not isinstance(suite, dict) or not isinstance(suite.get("title"), str):
                _bad(path, here, "a suite (an object with a string title)", suite)
            specs = suite.get("specs", [])
            if not isinstance(specs, list):
                _bad(path, f"{here}.specs", "a list of specs", specs)
            for j, spec in enumerate(specs):
                if not isinstance(spec, dict) or not isinstance(spec.get("title"), str):
                    _bad(path, f"{here}.specs[{j}]", "a spec (an object with a string title)", spec)
                if not isinstance(spec.get("tests", []), list):
                    _bad(path, f"{here}.specs[{j}].tests", "a list of tests", spec.get("tests"))
            if "suites" in suite:
                stack.append((f"{here}.suites", suite["suites"]))


def _start(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _place(item: dict[str, Any]) -> tuple[int, int]:
    line, column = item.get("line"), item.get("column")
    return (line if type(line) is int else 1 << 30, column if type(column) is int else 0)


def _spec_key(spec: dict[str, Any]) -> tuple[object, ...]:
    return (
        (spec.get("id"),)
        if isinstance(spec.get("id"), str)
        else (
            spec.get("title"),
            spec.get("file"),
            spec.get("line"),
            spec.get("column"),
        )
    )


def _join(into: list[dict[str, Any]], suites: list[dict[str, Any]]) -> None:
    """Add `suites` to `into`: a suite of the same title and file is one suite (its specs'
    tests and nested suites joined), any other is appended."""
    found = {(s.get("title"), s.get("file")): s for s in into}
    for suite in suites:
        target = found.get((suite.get("title"), suite.get("file")))
        if target is None:
            added = copy.deepcopy(suite)
            into.append(added)
            found[(suite.get("title"), suite.get("file"))] = added
            continue
        specs = target.setdefault("specs", [])
        known = {_spec_key(s): s for s in specs}
        for spec in suite.get("specs", []):
            same = known.get(_spec_key(spec))
            if same is None:
                specs.append(copy.deepcopy(spec))
                known[_spec_key(spec)] = specs[-1]
            else:  # one spec's tests of several projects split across shards
                same.setdefault("tests", []).extend(copy.deepcopy(spec.get("tests", [])))
                same["ok"] = bool(same.get("ok", True)) and bool(spec.get("ok", True))
        if suite.get("suites"):
            _join(target.setdefault("suites", []), suite["suites"])


def _order(suites: list[dict[str, Any]]) -> None:
    """Specs and nested suites by their place in the file, as one run lists them."""
    for suite in suites:
        suite.get("specs", []).sort(key=_place)
        nested = suite.get("suites")
        if nested:
            nested.sort(key=_place)
            _order(nested)


def _stats(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Summed counts; the earliest start, and the span from it to the last shard's end."""
    stats = [r.get("stats", {}) for r in reports]
    spans = []
    for s in stats:
        start = _start(s.get("startTime"))
        if start is not None:
            spans.append((start, s["startTime"], start.timestamp() * 1000 + s.get("duration", 0)))
    merged: dict[str, Any] = {}
    if spans:
        first, text, _ = min(spans, key=lambda span: span[0])
        merged["startTime"] = text
        merged["duration"] = max(span[2] for span in spans) - first.timestamp() * 1000
    else:
        merged["duration"] = max((float(s.get("duration", 0)) for s in stats), default=0.0)
    for key in ("expected", "skipped", "unexpected", "flaky"):  # Playwright's own order
        merged[key] = sum(s.get(key, 0) for s in stats)
    return merged


def merge_playwright_reports(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Checked Playwright JSON reports of one suite's shards as the report of one run."""
    suites: list[dict[str, Any]] = []
    for report in reports:
        _join(suites, report.get("suites", []))
    suites.sort(key=lambda s: (str(s.get("file", "")), str(s.get("title", ""))))
    _order(suites)
    config = copy.deepcopy(reports[0].get("config", {}))
    if "shard" in config:
        config["shard"] = None
    return {
        "config": config,
        "suites": suites,
        "errors": [e for r in reports for e in r.get("errors", [])],
        "stats": _stats(reports),
    }
