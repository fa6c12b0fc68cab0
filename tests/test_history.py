"""The run history: schema migrations, recording real runs, two concurrent writers, the command."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import run_cli, run_in_process, suites_toml, write_project
from zenboard.records.history import History, RunRecord, SuiteRecord, TestRecord
from zenboard.records.history_db import schema as history_schema


def test_a_new_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    with History(tmp_path) as db:
        assert history_schema.version(db.conn) == history_schema.LATEST
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with History(tmp_path) as db:  # opening again applies nothing twice
        rows = db.conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        assert [r[0] for r in rows] == [n for n, _ in history_schema.MIGRATIONS]


def test_an_old_database_gets_only_the_missing_migrations(tmp_path: Path) -> None:
    path = tmp_path / ".zenboard" / "history.db"
    path.parent.mkdir()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for statement in history_schema.MIGRATIONS[0][1].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute("INSERT INTO runs (started, finished, kind, exit_code) VALUES (1, 2, 'run', 0)")
    conn.close()
    with History(tmp_path) as db:
        assert history_schema.version(db.conn) == history_schema.LATEST
        assert db.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
        indexes = {
            r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        assert "test_results_by_nodeid" in indexes


def _run(pattern_outcome: str, started: float) -> RunRecord:
    tests = (
        TestRecord("t.py::flaky", pattern_outcome, 0.1, "gw0"),
        TestRecord("t.py::slow", "passed", 2.0, "gw1"),
    )
    return RunRecord(
        started,
        started + 3,
        "run",
        0,
        "abc",
        None,
        None,
        (SuiteRecord("unit", "passed", 3.0, 2, False, tests),),
    )


def test_flakiest_and_slowest_tests(tmp_path: Path) -> None:
    with History(tmp_path) as db:
        for i, outcome in enumerate(["passed", "failed", "passed", "passed"]):
            db.record(_run(outcome, 1000.0 + i))
        flaky = db.flakiest_tests()
        assert [(f["nodeid"], f["pattern"], f["flips"]) for f in flaky] == [
            ("t.py::flaky", "PFPP", 2)
        ]
        assert db.slowest_tests(1)[0]["nodeid"] == "t.py::slow"
        assert [r["id"] for r in db.recent_runs(2)] == [4, 3]
        assert db.last_full_durations() == {"unit": {"t.py::flaky": 0.1, "t.py::slow": 2.0}}
        assert db.flaky_tests() == {("unit", "t.py::flaky")}
        assert db.suite_trends(3) == {"unit": [3.0, 3.0, 3.0]}


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from zenboard.records.history import History, RunRecord, SuiteRecord, TestRecord
    root, who, runs = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for i in range(runs):
        tests = tuple(TestRecord(f"t.py::{who}_{j}", "passed", 0.01, "gw0") for j in range(40))
        with History(root) as db:
            db.record(RunRecord(time.time(), time.time(), who, 0, None, None, None,
                                (SuiteRecord("unit", "passed", 0.1, 1, False, tests),)))
""")


@pytest.mark.slow
def test_two_concurrent_writers_leave_the_history_intact(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    writers = [
        subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), who, "25"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("alpha", "beta")
    ]
    for w in writers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
    with History(tmp_path) as db:
        assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kinds = dict(db.conn.execute("SELECT kind, COUNT(*) FROM runs GROUP BY kind").fetchall())
        assert kinds == {"alpha": 25, "beta": 25}
        per_run = db.conn.execute(
            "SELECT COUNT(*) FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id GROUP BY s.run_id"
        ).fetchall()
        assert len(per_run) == 50 and {n for (n,) in per_run} == {40}


@pytest.mark.slow
def test_every_run_is_recorded_with_outcomes_workers_commit_and_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "fast"\nargs = ["-m", "unit"]\nworkers = 2'),
            "test_things.py": """
            import pytest

            @pytest.mark.unit
            @pytest.mark.parametrize("i", range(4))
            def test_unit(i):
                assert i != 3
        """,
        },
    )
    subprocess.run(["git", "init", "-q"], cwd=project, check=True, timeout=60)
    subprocess.run(
        [
            "git",
            "-c",
            "user.email=a@b",
            "-c",
            "user.name=a",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
        cwd=project,
        check=True,
        timeout=60,
    )
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, timeout=60
    ).stdout.strip()
    monkeypatch.setenv("ZENFLOW_TASK_ID", "task-7")
    result = run_in_process(project)
    assert result.code == 1
    assert result.summary()["commit"] == head
    with History(project) as db:
        (run,) = db.recent_runs()
        assert (run["kind"], run["commit"], run["task"], run["tests"], run["failed"]) == (
            "run",
            head,
            "task-7",
            4,
            1,
        )
        rows = db.conn.execute(
            "SELECT nodeid, outcome, worker FROM test_results ORDER BY nodeid"
        ).fetchall()
        assert [(n, o) for n, o, _ in rows] == [
            (f"test_things.py::test_unit[{i}]", "failed" if i == 3 else "passed") for i in range(4)
        ]
        assert {w for _, _, w in rows} <= {"gw0", "gw1"}
    listed = run_cli(["history", "--json"], project)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["runs"][0]["tests"] == 4 and len(data["slowest"]) == 4 and data["flakiest"] == []
    (project / ".zenboard" / "durations.json").unlink()
    updated = run_cli(["durations", "--update"], project)
    assert updated.returncode == 0, updated.stderr
    saved = json.loads((project / ".zenboard" / "durations.json").read_text())
    assert sorted(saved["suites"]["fast"]) == [f"test_things.py::test_unit[{i}]" for i in range(4)]


@pytest.mark.slow
def test_durations_update_without_history_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    done = run_cli(["durations", "--update"], tmp_path)
    assert done.returncode == 2
    assert "no run history" in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.slow
def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`zenboard history | head -1`: the pipe closes under a long output."""
    from zenboard.records.history import History, RunRecord

    (tmp_path / "pyproject.toml").write_text("")
    with History(tmp_path) as db:
        for i in range(3000):
            db.record(RunRecord(float(i), float(i) + 1, "run", 0))
    done = subprocess.run(
        f"{sys.executable} -m zenboard history --limit 3000 | head -1",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout == f"recent runs of {tmp_path.name}\n", "the folder's name: no git here"
    assert done.stderr == "", done.stderr
