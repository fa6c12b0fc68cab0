"""What `run --ci` leaves for CI, on real pytest and xdist runs of a project with its suite in a
subfolder: GitHub's job summary and annotations, the `--events` feed, and budgets as gates."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import run_cli, write_project
from zenboard.model.events import OUTCOMES

pytestmark = pytest.mark.slow  # every test here starts pytest subprocesses

DOCS = Path(__file__).resolve().parents[1] / "docs"

FAILING = """
    import pytest

    @pytest.mark.parametrize("n", range(12))
    def test_many(n):
        assert n < 0

    @pytest.mark.parametrize("text", ["<script>alert(1)</script>"])
    def test_markup(text):
        assert text == "```", "50% of it,\\nand: more"
"""
FAILING_LINE = 5
"""The line of `assert n < 0` in FAILING (after dedent)."""

CRASHING = """
    import os

    def test_crashes():
        os._exit(3)
"""

FLAKY = """
    from pathlib import Path

    COUNTER = Path(__file__).with_name("invocations.txt")

    def test_counter_flaky():
        n = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
        COUNTER.write_text(str(n))
        assert n != 1, "the first invocation fails on purpose"
"""

CONFIG = """
    [tool.zenboard]
    [[tool.zenboard.suites]]
    name = "unit"
    cwd = "backend"
    args = ["tests/unit"]
    workers = 2
    retries = 1
    [[tool.zenboard.suites]]
    name = "solo"
    cwd = "backend"
    args = ["tests/solo"]
    workers = 0
"""


def _project(root: Path) -> Path:
    return write_project(
        root,
        {
            "pyproject.toml": CONFIG,
            "backend/pytest.ini": "[pytest]\n",  # the suite's rootdir is backend/
            "backend/tests/unit/api/test_failing.py": FAILING,
            "backend/tests/unit/test_crash.py": CRASHING,
            "backend/tests/unit/test_flaky.py": FLAKY,
            "backend/tests/unit/test_fine.py": "def test_fine():\n    pass\n",
            "backend/tests/solo/test_solo_crash.py": CRASHING,
        },
    )


def _doc_example() -> str:
    """The consumer example in docs/event-stream.md, as users will copy it."""
    text = (DOCS / "event-stream.md").read_text()
    section = text.split("## The live feed", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_github_summary_annotations_and_the_event_feed_on_a_real_run(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("# an earlier step's summary\n")
    feed = tmp_path / "events.jsonl"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(step_summary),
        "GITHUB_WORKSPACE": str(project),
    }
    done = run_cli(
        ["run", "--ci", "--events", str(feed)], project / "backend" / "tests", timeout=120, env=env
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    suites = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())["suites"]
    counts = [s["counts"] for s in suites]
    failures = sum(c["failed"] + c["error"] for c in counts)
    assert failures == 15  # 12 + the markup test + the crashed one, and the solo crash

    # Annotations: the first 10, on the failing line, relative to the workspace; then the total.
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 10, output
    many = [e for e in errors if "test_many" in e]
    assert many and all(
        e.startswith(f"::error file=backend/tests/unit/api/test_failing.py,line={FAILING_LINE},")
        for e in many
    )
    assert "title=[unit] tests/unit/api/test_failing.py%3A%3Atest_many[" in many[0]
    # The solo suite's pytest died: a suite error, annotated first and counted in the notice.
    assert errors[0].startswith("::error title=[solo] error::pytest died (exit code 3)")
    notice = f"::notice title=zenboard::{failures} tests failed and 1 suite error; the first 10"
    assert notice in done.stdout
    markup = next((e for e in errors if "test_markup" in e), None)
    if markup is not None:  # under xdist the order varies: check it when it made the first 10
        assert "%0A" in markup and "50%25" in markup

    # The job summary: appended after the earlier step's, every section, no markup let through.
    summary = step_summary.read_text()
    assert summary.startswith("# an earlier step's summary\n## zenboard: exit code 1")
    for heading in ("### Crashed workers", f"### Failures ({failures})", "### Flaky (1)"):
        assert heading in summary
    assert "test\\_counter\\_flaky: passed on attempt 2" in summary
    assert "crashed while running tests/unit/test\\_crash\\.py::test\\_crashes" in summary
    assert f"at tests/unit/api/test_failing.py:{FAILING_LINE}" in summary  # a short traceback
    assert "<script>" not in summary.replace("```text", "").split("```")[0]  # not outside code
    assert "&lt;script&gt;" in summary

    # The feed: starts with the run, and folding it (the documented example) gives summary.json.
    lines = [json.loads(line) for line in feed.read_text().splitlines()]
    assert lines[0]["type"] == "run_started" and "suite" not in lines[0]
    assert lines[-1]["type"] == "run_finished" and lines[-1]["exit_code"] == 1
    assert {line["run"] for line in lines} == {lines[0]["run"]}
    unreported = [line for line in lines if line.get("unreported")]  # settled by zenboard
    assert [line["nodeid"] for line in unreported] == [
        "tests/solo/test_solo_crash.py::test_crashes"
    ]
    example = subprocess.run(
        [sys.executable, "-c", _doc_example(), str(feed)],
        capture_output=True,
        text=True,
        check=True,
    )
    folded = json.loads(example.stdout)
    assert folded == {
        s["name"]: {o: s["counts"][o] for o in OUTCOMES if s["counts"][o]} for s in suites
    }
    last = {(e["suite"], e["nodeid"]): e["outcome"] for e in lines if e["type"] == "test_finished"}
    assert last == {(s["name"], r["nodeid"]): r["outcome"] for s in suites for r in s["tests"]}


def test_a_summary_file_for_other_cis_and_a_feed_appended_to(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj", {"tests/test_fine.py": "def test_fine():\n    pass\n"}
    )
    feed = tmp_path / "events.jsonl"
    feed.write_text('{"earlier": true}\n')
    out = tmp_path / "summary.md"
    done = run_cli(
        ["run", "--ci", "--summary-md", str(out), "--events", str(feed)],
        project,
        timeout=60,
        env={"GITHUB_ACTIONS": ""},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "::" not in done.stdout  # not under GitHub Actions: no workflow commands
    assert out.read_text().startswith("## zenboard: passed\n")
    lines = feed.read_text().splitlines()
    assert lines[0] == '{"earlier": true}' and json.loads(lines[1])["type"] == "run_started"
    assert oct(feed.stat().st_mode & 0o777) == oct(0o644 & ~_umask())


def _umask() -> int:
    import os

    current = os.umask(0o022)
    os.umask(current)
    return current


def test_a_summary_that_cannot_be_written_is_one_line_and_never_exit_0(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.md"
    link = tmp_path / "summary.md"  # planted by the test while the run goes on: a late fault
    plant = f"import os\ndef test_fine():\n    os.symlink({str(target)!r}, {str(link)!r})\n"
    project = write_project(tmp_path / "proj", {"test_fine.py": plant})
    done = run_cli(["run", "--ci", "--summary-md", str(link)], project, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "summary: could not be written" in done.stdout and "Traceback" not in done.stderr
    assert not target.exists()


BUDGETED = """
    [tool.zenboard]
    budget = 0.01
    [[tool.zenboard.suites]]
    name = "unit"
    workers = 0
    budget = 0.01
"""


def test_a_full_run_over_its_budgets_exits_1_and_a_shard_is_not_measured(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {"pyproject.toml": BUDGETED, "tests/test_fine.py": "def test_fine():\n    pass\n"},
    )
    done = run_cli(["run", "--ci"], project / "tests", timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    said = [line for line in done.stdout.splitlines() if line.startswith("budget exceeded")]
    assert len(said) == 2, done.stdout
    assert re.fullmatch(r"budget exceeded: suite unit took \d+\.\d s, budget 0\.01 s", said[0])
    assert re.fullmatch(r"budget exceeded: the run took \d+\.\d s, budget 0\.01 s", said[1])

    shard = run_cli(["run", "--ci", "--shard", "1/1"], project, timeout=60)
    assert shard.returncode == 0, shard.stdout + shard.stderr
    assert "budget" not in shard.stdout
    assert Counter(json.loads((project / ".zenboard/reports/latest/summary.json").read_text())[
        "suites"][0]["counts"])["passed"] == 1  # fmt: skip
