"""The bundled demo project, run for real: `zenboard demo --headless`, then `zenboard run --ci`.

One demo run (module fixture) feeds several checks: zenboard's summary agrees with the
pytest-json-report files written beside it, the labelled failing test fails (and is why the
demo exits 1), and the integration and processing suites really used one database file and one
media directory per xdist worker. The flaky demo test's outcome is never asserted.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli
from zenboard.model.events import OUTCOMES

pytestmark = pytest.mark.slow

DEMO_SUITES = ("unit-fast", "integration", "processing")
ALWAYS_FAILS = "tests/test_grading.py::test_demo_always_fails_to_show_a_failure"
FLAKY = "tests/test_identify_copies.py::test_demo_flaky_ocr_engine_sometimes_times_out"


@dataclass
class DemoRun:
    project: Path
    code: int
    output: str
    summary: dict[str, Any]
    json_reports: dict[str, dict[str, Any]]
    database_log: dict[str, list[tuple[str, str]]]
    """Database file name -> (nodeid, worker) rows its tests committed."""
    media_log: dict[str, list[tuple[str, str]]]
    """Media directory name -> (worker, nodeid) lines its tests appended."""

    def suite(self, name: str) -> dict[str, Any]:
        return next(s for s in self.summary["suites"] if s["name"] == name)


def read_database_logs(project: Path) -> dict[str, list[tuple[str, str]]]:
    logs = {}
    for path in sorted((project / ".zenboard" / "demo-db").glob("*.sqlite3")):
        conn = sqlite3.connect(path)
        try:
            logs[path.name] = [
                (n, w) for n, w in conn.execute("SELECT nodeid, worker FROM test_log")
            ]
        finally:
            conn.close()
    return logs


def read_media_logs(project: Path) -> dict[str, list[tuple[str, str]]]:
    logs = {}
    for log in sorted((project / ".zenboard" / "demo-media").glob("*/processed.log")):
        lines = log.read_text(encoding="utf-8").splitlines()
        logs[log.parent.name] = [(w, n) for w, _, n in (line.partition(" ") for line in lines)]
    return logs


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    project = tmp_path_factory.mktemp("demo") / "copy"
    done = run_cli(["demo", "--headless", "--dir", str(project)], cwd=project.parent)
    report_dir = project / ".zenboard" / "reports" / "latest"
    summary = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
    reports = {
        s["name"]: json.loads((report_dir / f"{s['name']}.json").read_text(encoding="utf-8"))
        for s in summary["suites"]
        if (report_dir / f"{s['name']}.json").is_file()
    }
    return DemoRun(
        project,
        done.returncode,
        done.stdout + done.stderr,
        summary,
        reports,
        read_database_logs(project),
        read_media_logs(project),
    )


def test_demo_copies_the_project_and_runs_every_suite(demo: DemoRun) -> None:
    assert (demo.project / ".zenboard-demo").is_file()
    assert f"demo project: {demo.project}" in demo.output
    names = [s["name"] for s in demo.summary["suites"]]
    assert set(DEMO_SUITES) <= set(names)
    for name in DEMO_SUITES:
        suite = demo.suite(name)
        assert suite["tests"], name
        assert suite["errors"] == [], name
    total = sum(len(demo.suite(n)["tests"]) for n in DEMO_SUITES)
    assert 130 <= total <= 180


def test_summary_agrees_with_pytest_json_report(demo: DemoRun) -> None:
    """Per pytest suite, zenboard's counts and outcomes are what pytest-json-report recorded."""
    pytest_reports = {n: r for n, r in demo.json_reports.items() if "summary" in r and "tests" in r}
    assert set(DEMO_SUITES) <= set(pytest_reports)
    for name, report in pytest_reports.items():
        suite = demo.suite(name)
        expected = {o: report["summary"].get(o, 0) for o in OUTCOMES}
        assert suite["counts"] == {**expected, "not_run": 0, "flaky": 0, "quarantined_failed": 0}, (
            suite["name"]
        )
        ours = {t["nodeid"]: t["outcome"] for t in suite["tests"]}
        theirs = {t["nodeid"]: t["outcome"] for t in report["tests"]}
        assert ours == theirs, suite["name"]
        assert len(suite["tests"]) == len(report["tests"])
        assert suite["exit_code"] == report["exitcode"]


def test_the_always_failing_test_fails_and_makes_the_demo_exit_1(demo: DemoRun) -> None:
    outcomes = {t["nodeid"]: t["outcome"] for n in DEMO_SUITES for t in demo.suite(n)["tests"]}
    assert outcomes[ALWAYS_FAILS] == "failed"
    assert FLAKY in outcomes
    others = {nodeid: o for nodeid, o in outcomes.items() if nodeid not in (ALWAYS_FAILS, FLAKY)}
    assert set(others.values()) == {"passed"}
    assert demo.suite("unit-fast")["exit_code"] == 1
    assert demo.suite("integration")["exit_code"] == 0
    assert demo.code == 1
    assert demo.summary["exit_code"] == 1
    assert f"FAILED {ALWAYS_FAILS}" in demo.output


DOCS = Path(__file__).resolve().parent.parent / "docs"
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def test_the_docs_count_the_demo_as_it_runs(demo: DemoRun) -> None:
    """getting-started.md and demo.md say how many suites and tests the demo has: the numbers
    of this run (they drifted once: "three pytest suites, about 150 tests")."""
    pytest_suites = [n for n, r in demo.json_reports.items() if "summary" in r and "tests" in r]
    pytest_tests = sum(len(demo.suite(n)["tests"]) for n in pytest_suites)
    suites = NUMBER_WORDS[len(pytest_suites)]
    started = " ".join((DOCS / "getting-started.md").read_text(encoding="utf-8").split())
    demo_md = " ".join((DOCS / "demo.md").read_text(encoding="utf-8").split())
    assert f"{suites} pytest suites of {pytest_tests} tests" in started
    assert f"{suites.capitalize()} suites of pytest tests ({pytest_tests})" in demo_md
    assert f"{pytest_tests} tests, each marked with the suite" in demo_md
    e2e = len(demo.suite("e2e")["tests"])
    if not e2e:
        pytest.skip("the e2e suite did not run here (no Node): its count is not checked")
    assert f"a Playwright suite of {e2e}" in started
    assert f"one of Playwright tests ({e2e}): {pytest_tests + e2e} tests in all" in demo_md


def test_integration_used_one_database_file_per_worker(demo: DemoRun) -> None:
    suite = demo.suite("integration")
    workers = {t["nodeid"]: t["worker"] for t in suite["tests"]}
    assert len(set(workers.values())) == 2
    logged: dict[str, str] = {}
    for file_name, rows in demo.database_log.items():
        assert rows, file_name
        file_workers = {worker for _, worker in rows}
        assert len(file_workers) == 1, f"{file_name} was used by {file_workers}"
        (worker,) = file_workers
        assert file_name.startswith("test_demo_")
        assert file_name.endswith(f"{worker}.sqlite3")
        logged.update(dict(rows))
    assert len(demo.database_log) == 2
    assert logged == workers


def test_processing_used_one_media_dir_per_worker(demo: DemoRun) -> None:
    suite = demo.suite("processing")
    workers = {t["nodeid"]: t["worker"] for t in suite["tests"]}
    assert len(demo.media_log) == 2
    for dir_name, lines in demo.media_log.items():
        assert lines, dir_name
        for worker, nodeid in lines:
            assert dir_name == f"media_{worker}" or dir_name.endswith(f"_{worker}")
            assert workers[nodeid] == worker


def test_run_ci_on_the_copy_starts_from_fresh_databases(demo: DemoRun, tmp_path: Path) -> None:
    """`zenboard run --ci --project` on the copy; the rerun's databases hold only its own tests."""
    done = run_cli(["run", "--ci", "--project", str(demo.project), "integration"], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(
        (demo.project / ".zenboard" / "reports" / "latest" / "summary.json").read_text()
    )
    (suite,) = summary["suites"]
    assert suite["name"] == "integration"
    assert suite["counts"]["passed"] == len(suite["tests"]) > 0
    rows = [row for log in read_database_logs(demo.project).values() for row in log]
    assert sorted(nodeid for nodeid, _ in rows) == sorted(t["nodeid"] for t in suite["tests"])
