"""Playwright JSON reports of shards merge into the report of one run (pure logic, fake reports).

Real shards of the demo's e2e suite, run through zenboard and merged, are in
tests/test_playwright_shards.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zenboard.errors import InputError
from zenboard.records.merge import merge_suite_reports
from zenboard.records.playwright_merge import (
    check_playwright_report,
    is_playwright_report,
    merge_playwright_reports,
)


def spec(title: str, line: int, status: str = "expected", project: str = "") -> dict[str, Any]:
    return {
        "title": title,
        "ok": status != "unexpected",
        "tags": [],
        "tests": [{"projectName": project, "status": status, "results": []}],
        "id": f"id-{title}",
        "file": "a.spec.js",
        "line": line,
        "column": 1,
    }


def report(
    suites: list[dict[str, Any]],
    start: str,
    duration: float,
    shard: int,
    errors: list[Any] | None = None,
    **stats: int,
) -> dict[str, Any]:
    counts = {"expected": 0, "skipped": 0, "unexpected": 0, "flaky": 0, **stats}
    return {
        "config": {"shard": {"current": shard, "total": 2}, "metadata": {"actualWorkers": 2}},
        "suites": suites,
        "errors": errors or [],
        "stats": {"startTime": start, "duration": duration, **counts},
    }


def file_suite(file: str, specs: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {"title": file, "file": file, "line": 0, "column": 0, "specs": specs, **more}


def titles(suites: list[dict[str, Any]]) -> list[str]:
    """Every spec's title, depth first, as a one-run report lists them."""
    found: list[str] = []
    for suite in suites:
        found += [s["title"] for s in suite.get("specs", [])]
        found += titles(suite.get("suites", []))
    return found


def test_every_shards_suites_and_summed_stats() -> None:
    """The bug: a merge kept shard 1's suites only (it looked for pytest-json-report's tests)."""
    first = report(
        [file_suite("a.spec.js", [spec("a1", 3), spec("a2", 9, "unexpected")])],
        "2026-01-01T10:00:05.000Z",
        4000,
        1,
        errors=[{"message": "a global error"}],
        expected=1,
        unexpected=1,
    )
    second = report(
        [file_suite("b.spec.js", [spec("b1", 3, "skipped")])],
        "2026-01-01T10:00:00.000Z",
        3000,
        2,
        skipped=1,
    )
    merged = merge_playwright_reports([first, second])
    assert titles(merged["suites"]) == ["a1", "a2", "b1"]
    assert merged["stats"] == {
        "startTime": "2026-01-01T10:00:00.000Z",
        "duration": 9000.0,  # from the earliest start to the end of the last shard
        "expected": 1,
        "skipped": 1,
        "unexpected": 1,
        "flaky": 0,
    }
    assert merged["config"]["shard"] is None
    assert merged["config"]["metadata"] == {"actualWorkers": 2}
    assert merged["errors"] == [{"message": "a global error"}]
    assert list(merged) == ["config", "suites", "errors", "stats"]
    assert first["config"]["shard"] == {"current": 1, "total": 2}  # inputs left as they were


def test_a_file_split_across_shards_is_one_suite_again_in_line_order() -> None:
    """fullyParallel shards split a file's tests (and a describe's) between machines."""
    one = report(
        [
            file_suite(
                "a.spec.js",
                [spec("third", 30)],
                suites=[
                    {"title": "group", "file": "a.spec.js", "line": 5, "specs": [spec("g2", 8)]}
                ],
            )
        ],
        "2026-01-01T10:00:00Z",
        1000,
        1,
    )
    two = report(
        [
            file_suite(
                "a.spec.js",
                [spec("first", 1)],
                suites=[
                    {"title": "group", "file": "a.spec.js", "line": 5, "specs": [spec("g1", 6)]}
                ],
            )
        ],
        "2026-01-01T10:00:00Z",
        1000,
        2,
    )
    merged = merge_playwright_reports([one, two])
    assert len(merged["suites"]) == 1
    assert titles(merged["suites"]) == ["first", "third", "g1", "g2"]
    assert len(merged["suites"][0]["suites"]) == 1


def test_one_specs_projects_split_across_shards_join_in_one_spec() -> None:
    one = report(
        [file_suite("a.spec.js", [spec("t", 1, project="chromium")])], "2026-01-01T10:00:00Z", 1, 1
    )
    two = report(
        [file_suite("a.spec.js", [spec("t", 1, "unexpected", project="firefox")])],
        "2026-01-01T10:00:00Z",
        1,
        2,
    )
    [suite] = merge_playwright_reports([one, two])["suites"]
    [joined] = suite["specs"]
    assert [t["projectName"] for t in joined["tests"]] == ["chromium", "firefox"]
    assert joined["ok"] is False


def test_the_kind_is_told_by_its_keys() -> None:
    assert is_playwright_report(report([], "2026-01-01T10:00:00Z", 1, 1))
    assert not is_playwright_report({"tests": [], "summary": {}})
    assert not is_playwright_report([])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(suites={}), "suites: expected a list of suites"),
        (lambda r: r["suites"].append({"specs": []}), r"suites\[0\]: expected a suite"),
        (
            lambda r: r["suites"].append(file_suite("x", [{"ok": True}])),
            r"specs\[0\]: expected a spec",
        ),
        (
            lambda r: r["suites"].append(file_suite("x", [], suites=[{"title": 3}])),
            r"suites\[0\].suites\[0\]: expected a suite",
        ),
        (lambda r: r["stats"].update(expected=-1), "stats.expected: expected a count"),
        (lambda r: r["stats"].update(startTime="yesterday"), "stats.startTime"),
        (lambda r: r.update(errors="boom"), "errors: expected a list"),
    ],
)
def test_a_malformed_playwright_report_is_one_line(change: Any, message: str) -> None:
    data = report([], "2026-01-01T10:00:00Z", 1, 1)
    change(data)
    with pytest.raises(InputError, match=message):
        check_playwright_report(Path("r/e2e.json"), data)


def test_shards_of_two_kinds_are_refused(tmp_path: Path) -> None:
    playwright = tmp_path / "one.json"
    playwright.write_text(json.dumps(report([], "2026-01-01T10:00:00Z", 1, 1)))
    pytest_json = tmp_path / "two.json"
    pytest_json.write_text(json.dumps({"tests": [], "summary": {"collected": 0}}))
    with pytest.raises(InputError, match="is a Playwright JSON report but"):
        merge_suite_reports([playwright, pytest_json])
