"""Real Playwright shards of the demo's e2e suite, run through zenboard and merged whole.

`zenboard run e2e --shard K/2` runs Playwright's own `--shard=K/2` (real Node, real Chromium);
`zenboard merge` must give the `e2e.json` one unsharded run gives: every test once, the
shards' stats summed. (The merge's logic on fake reports: tests/test_playwright_merge.py.)
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli
from tests.playwright_env import link_modules, node_modules
from zenboard.commands.demo import copy_demo

pytestmark = pytest.mark.slow


def reported_tests(report: dict[str, Any]) -> Counter[tuple[str, str, str]]:
    """(file, title path, status) of every test in a Playwright JSON report, counted."""
    found: Counter[tuple[str, str, str]] = Counter()
    stack = [(suite, [suite["title"]]) for suite in report["suites"]]
    while stack:
        suite, path = stack.pop()
        for spec in suite.get("specs", []):
            for test in spec["tests"]:
                found[(spec["file"], " > ".join([*path[1:], spec["title"]]), test["status"])] += 1
        stack += [(child, [*path, child["title"]]) for child in suite.get("suites", [])]
    return found


def test_real_playwright_shards_merge_with_every_test(tmp_path: Path) -> None:
    project = copy_demo(tmp_path / "demo")
    link_modules(project / "frontend", node_modules())
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}

    whole = run_cli(
        ["run", "e2e", "--ci", "--report-dir", str(tmp_path / "whole")], project, env=env
    )
    assert whole.returncode == 1, whole.stdout + whole.stderr  # the demo's labelled failure
    expected = reported_tests(json.loads((tmp_path / "whole" / "e2e.json").read_text()))
    assert sum(expected.values()) == 6, expected

    shards = []
    for k in (1, 2):
        out = tmp_path / f"shard{k}"
        done = run_cli(
            ["run", "e2e", "--ci", "--shard", f"{k}/2", "--report-dir", str(out)], project, env=env
        )
        assert done.returncode in (0, 1), done.stdout + done.stderr
        shard = json.loads((out / "e2e.json").read_text())
        assert shard["config"]["shard"] == {"current": k, "total": 2}
        shards.append(shard)
    parts = [reported_tests(shard) for shard in shards]
    assert parts[0] and parts[1], "each shard ran some of the tests"
    assert not set(parts[0]) & set(parts[1])

    merged_dir = tmp_path / "merged"
    merged = run_cli(
        [
            "merge",
            str(tmp_path / "shard1"),
            str(tmp_path / "shard2"),
            "--report-dir",
            str(merged_dir),
        ],
        tmp_path,
    )
    assert merged.returncode == 1, merged.stdout + merged.stderr
    report = json.loads((merged_dir / "e2e.json").read_text())
    assert reported_tests(report) == expected  # every test once, with the outcome one run gave it
    stats = report["stats"]
    for key in ("expected", "unexpected", "flaky", "skipped"):
        assert stats[key] == sum(shard["stats"][key] for shard in shards), key
    assert (stats["expected"], stats["unexpected"]) == (5, 1)
    assert stats["startTime"] == min(shard["stats"]["startTime"] for shard in shards)
    assert stats["duration"] >= max(shard["stats"]["duration"] for shard in shards)
    assert report["config"]["shard"] is None
    summary = json.loads((merged_dir / "summary.json").read_text())
    [e2e] = summary["suites"]
    assert len(e2e["tests"]) == 6
    assert len({row["nodeid"] for row in e2e["tests"]}) == 6
