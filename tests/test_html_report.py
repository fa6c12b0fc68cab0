"""report.html in real Chromium: a real xdist run with a crashed and replaced worker, a failure
and a test id holding `<script>`, then the same project's shards merged."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from tests.report_browser import open_report
from zenboard.records.html_report import html_report

pytestmark = pytest.mark.slow  # real runs and a real browser

TESTS = """
import os
import time
import pytest

@pytest.mark.parametrize("i", range(6))
def test_before(i):
    time.sleep(0.02)

def test_injects():
    assert False, "<script>window.__pwned = 1</script> and </script><!-- too"

@pytest.mark.parametrize("p", ["</script><script>window.__pwned = 2</script>"])
def test_param(p):
    pass

def test_known_flaky():
    assert False, "quarantined on purpose"

def test_kills_its_worker():
    time.sleep(0.1)
    os._exit(3)

@pytest.mark.parametrize("i", range(6))
def test_after(i):
    time.sleep(0.02)
"""

CRASHING = "tests/test_page.py::test_kills_its_worker"
QUARANTINED = "tests/test_page.py::test_known_flaky"
INJECTED = "tests/test_page.py::test_param[</script><script>window.__pwned = 2</script>]"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("page") / "proj"
    return write_project(
        root,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2\nargs = ["tests"]')
            + f'[tool.zenboard.quarantine]\n"{QUARANTINED}" = "known flaky"\n',
            "tests/test_page.py": TESTS,
        },
    )


@pytest.fixture(scope="module")
def run(project: Path) -> dict[str, Any]:
    """One real run, from a subfolder of the project, read back from summary.json."""
    done = run_cli(["run", "--ci"], project / "tests")
    assert done.returncode == 1, done.stdout + done.stderr
    summary: dict[str, Any] = json.loads(
        (project / ".zenboard/reports/latest/summary.json").read_text()
    )
    return summary


def bar_ids(shown: dict[str, Any]) -> list[str]:
    """The test id of each timeline bar (its title starts with the id)."""
    return [title.split(" \u00b7 ")[0] for title in shown["bars"]]


def test_summary_rows_carry_their_start_and_the_crash_its_time(run: dict[str, Any]) -> None:
    suite = run["suites"][0]
    rows = {row["nodeid"]: row for row in suite["tests"]}
    assert len(rows) == 16
    assert all(isinstance(row["start"], float) for row in rows.values())
    dead = rows[CRASHING]["worker"]
    assert suite["workers"][dead]["crashed"] is True
    assert suite["workers"][dead]["crashed_at"] >= rows[CRASHING]["start"]
    first = min(row["start"] for row in rows.values())
    assert rows["tests/test_page.py::test_after[5]"]["start"] > first


def test_the_page_draws_every_test_and_the_crashed_lane_in_chromium(
    project: Path, run: dict[str, Any]
) -> None:
    shown = open_report(project / ".zenboard/reports/latest/report.html")
    assert shown["errors"] == []
    assert shown["pwned"] is None, "a test's text ran as a script"
    suite = run["suites"][0]
    assert sorted(bar_ids(shown)) == sorted(row["nodeid"] for row in suite["tests"])
    dead = next(w for w, row in suite["workers"].items() if row["crashed"])
    spare = suite["workers"][dead]["replaced_by"]
    lanes = [lane["worker"] for lane in shown["lanes"]]
    assert lanes.index(spare) == lanes.index(dead) + 1, "the replacement sits under its lane"
    crashed = shown["lanes"][lanes.index(dead)]
    assert crashed["crashed"] and crashed["crash_marks"] == 1
    assert f"replaces {dead}" in shown["lanes"][lanes.index(spare)]["label"]
    assert not any(lane["crash_marks"] for lane in shown["lanes"] if lane["worker"] != dead)
    # A quarantined failure is listed apart, tagged, and its bar is marked.
    assert not any(QUARANTINED in text for text in shown["failure_ids"])
    assert shown["quarantined_ids"] == [f"{QUARANTINED} \u00b7 failed \u00b7 unitquarantined"]
    assert bar_ids({"bars": shown["quarantined_bars"]}) == [QUARANTINED]
    assert "Failures (2)" in shown["body_text"] and "Quarantined (1)" in shown["body_text"]


def test_script_in_a_failure_or_a_test_id_shows_as_text(project: Path, run: dict[str, Any]) -> None:
    shown = open_report(project / ".zenboard/reports/latest/report.html", query="__pwned")
    assert shown["errors"] == [] and shown["pwned"] is None
    assert shown["scripts"] == 2, "only the page's own data and script elements"
    assert any(
        "<script>window.__pwned = 1</script> and </script><!-- too" in text
        for text in shown["failures"]
    )
    assert INJECTED in bar_ids(shown)
    assert INJECTED in shown["body_text"]
    assert shown["matched"]["hint"].startswith("1 of 16 tests match")
    assert shown["matched"]["lit"] == 1 and shown["matched"]["rows"] == 1


def test_merged_shards_get_a_lane_per_shard_and_worker(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2'),
            "tests/test_page.py": TESTS.replace("os._exit(3)", "pass"),
        },
    )
    dirs = []
    for k in (1, 2):
        out = tmp_path / f"shard{k}"
        done = run_cli(["run", "--ci", "--shard", f"{k}/2", "--report-dir", str(out)], project)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        dirs.append(str(out))
    merged = tmp_path / "merged"
    done = run_cli(["merge", *dirs, "--report-dir", str(merged)], project)
    assert done.returncode == 1, done.stdout + done.stderr
    shown = open_report(merged / "report.html")
    assert shown["errors"] == [] and shown["pwned"] is None
    rows = json.loads((merged / "summary.json").read_text())["suites"][0]["tests"]
    assert len(rows) == 16
    assert sorted(bar_ids(shown)) == sorted(row["nodeid"] for row in rows)
    assert {lane["shard"] for lane in shown["lanes"]} == {"1/2", "2/2"}
    for lane in shown["lanes"]:
        assert lane["label"].startswith(f"shard {lane['shard']} \u00b7 {lane['worker']}")
    assert any("<script>window.__pwned = 1</script>" in text for text in shown["failures"])


def test_a_report_html_that_cannot_be_written_is_one_line_and_fails_the_run(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "one"\nworkers = 0'),
            "test_ok.py": "def test_ok():\n    pass\n",
        },
    )
    report_dir = project / ".zenboard/reports/latest"
    report_dir.mkdir(parents=True)
    target = tmp_path / "elsewhere.html"
    target.write_text("not yours")
    os.symlink(target, report_dir / "report.html")
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "report.html" in done.stdout and "Traceback" not in done.stdout + done.stderr
    assert target.read_text() == "not yours"
    assert json.loads((report_dir / "summary.json").read_text())["exit_code"] == 0


def test_suite_errors_show_as_text_in_chromium(tmp_path: Path) -> None:
    """A suite's collection error and usage error, from summary.json's `errors`, with a
    `<script>` in the error text: shown as text, never run."""
    suite = {
        "name": "unit",
        "status": "error",
        "counts": {},
        "workers": {},
        "tests": [],
        "errors": [
            {"nodeid": "tests/test_imp.py", "longrepr": "E   <script>window.__pwned = 3</script>"},
            {"nodeid": "", "longrepr": "pytest stopped before the run started: --no-such-flag"},
        ],
    }
    page = tmp_path / "report.html"
    page.write_text(html_report([("", {"exit_code": 1, "suites": [suite]})]))
    shown = open_report(page)
    assert shown["errors"] == [] and shown["pwned"] is None
    assert shown["suite_errors"] == [
        "unit \u00b7 collection error \u00b7 tests/test_imp.pyE   <script>window.__pwned = 3</script>",
        "unit \u00b7 errorpytest stopped before the run started: --no-such-flag",
    ]


def test_a_one_millisecond_run_and_long_lane_labels_fit_the_page(tmp_path: Path) -> None:
    """The last tick's label is drawn inside the axis (no sideways scroll), and a merged lane's
    long label wraps rather than being cut; each label also carries it as its title."""
    rows = [
        {"nodeid": "t::a", "outcome": "passed", "worker": "gw2", "duration": 0.0005, "start": 1.0},
        {"nodeid": "t::b", "outcome": "passed", "worker": "gw0", "duration": 0.0005, "start": 1.0},
    ]
    workers = {
        "gw0": {"crashed": True, "replaced_by": "gw2"},
        "gw2": {"crashed": True, "replaces": "gw0", "replaced_by": "gw5"},
    }
    suite = {"name": "unit", "status": "passed", "counts": {}, "workers": workers, "tests": rows}
    summary = {"exit_code": 0, "suites": [suite]}
    rows[1]["start"] = 1.001  # the run spans 1.5 ms
    page = tmp_path / "report.html"
    page.write_text(html_report([("1/2", summary), ("2/2", summary)]))
    shown = open_report(page)
    assert shown["errors"] == [] and shown["overflow"] == 0
    last = shown["ticks"][-1]
    assert last["text"] == "1 ms" and not last["cut"] and last["right"] <= shown["width"]
    labels = shown["label_titles"]
    assert "shard 2/2 \u00b7 gw2 (replaces gw0) crashed" in [label["title"] for label in labels]
    assert not any(label["cut"] for label in labels)
