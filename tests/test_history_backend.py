"""Choosing the history's database: the URL's checks, its password never shown, the filters.

All in-process: the URL comes from the environment or the config and is refused in one line;
the SQLite file keeps working as the default and gains the machine and branch columns.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import write_project
from zenboard import config as config_module
from zenboard.cli import main
from zenboard.config import HISTORY_ENV, load_config
from zenboard.errors import ConfigError, InputError
from zenboard.records.history import History, RunFilter, RunRecord, SuiteRecord, TestRecord
from zenboard.records.history_db import schema as history_schema
from zenboard.textsafe import redact, url_secrets

SECRET = "Zq9-never-shown-7x"


@pytest.mark.parametrize(
    "text",
    [
        f"postgresql://team:{SECRET}@db.example:5432/history",
        f"postgres://team:{SECRET.replace('-', '%2D')}@db/history",
        f"failed: host=db user=team password={SECRET} dbname=history",
        f"failed: host=db user=team password='{SECRET}' dbname=history",
    ],
)
def test_redact_hides_the_password_of_a_url_or_a_conninfo(text: str) -> None:
    hidden = redact(text, *url_secrets(text))
    assert "***" in hidden
    assert SECRET not in hidden and SECRET.replace("-", "%2D") not in hidden
    assert "team" in hidden and "db" in hidden, "only the password is hidden"


def test_redact_hides_secrets_wherever_a_message_quotes_them() -> None:
    url = f"postgresql://team:{SECRET.replace('-', '%2D')}@db/history"
    said = f"server said: password {SECRET!r} is wrong for {url}"
    assert SECRET not in redact(said, *url_secrets(url))


def _project(tmp_path: Path, history: str | None = None) -> Path:
    table = f'[tool.zenboard]\nhistory = "{history}"\n' if history else ""
    return write_project(tmp_path / "proj", {"pyproject.toml": table})


def test_the_variable_wins_over_the_config_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, "postgresql://from-config/history")
    assert load_config(project).history == "postgresql://from-config/history"
    monkeypatch.setenv(HISTORY_ENV, "postgres://from-env/history")
    assert load_config(project).history == "postgres://from-env/history"
    monkeypatch.delenv(HISTORY_ENV)
    assert load_config(_project(tmp_path / "plain")).history is None


def test_a_url_of_another_scheme_is_one_line_naming_the_key_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, f"mysql://team:{SECRET}@db/history")
    with pytest.raises(ConfigError) as refused:
        load_config(project)
    assert refused.value.key == "tool.zenboard.history"
    assert "expected a postgresql://" in str(refused.value) and SECRET not in str(refused.value)
    monkeypatch.setenv(HISTORY_ENV, f"sqlite://team:{SECRET}@x/history")
    assert main(["history", "--project", str(project)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"zenboard: error: {HISTORY_ENV}: expected a postgresql://")
    assert err.count("\n") == 1 and SECRET not in out + err


def test_a_url_without_psycopg_says_to_install_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        config_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "psycopg" else real(name, *a),
    )
    monkeypatch.setenv(HISTORY_ENV, f"postgresql://team:{SECRET}@db/history")
    with pytest.raises(InputError, match=r"install zenboard\[postgres\]"):
        load_config(_project(tmp_path))


def _old_history(root: Path, version: int) -> None:
    """A history an older zenboard left: migrated to `version`, with one run."""
    path = root / ".zenboard" / "history.db"
    path.parent.mkdir()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for number, script in history_schema.MIGRATIONS[:version]:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?)", (number,))
    conn.execute("INSERT INTO runs (started, finished, kind, exit_code) VALUES (1, 2, 'run', 0)")
    conn.close()


def test_a_version_3_history_gains_the_machine_and_branch_columns(tmp_path: Path) -> None:
    _old_history(tmp_path, 3)
    with History(tmp_path) as db:
        assert history_schema.version(db.conn) == history_schema.LATEST >= 4
        (old,) = db.recent_runs()
        assert (old["machine"], old["branch"]) == (None, None)


def _run(machine: str, branch: str, commit: str, outcome: str) -> RunRecord:
    tests = (TestRecord("t.py::flaky", outcome, 0.1, "gw0"),)
    suites = (SuiteRecord("unit", "passed", 1.0, 1, False, tests),)
    return RunRecord(1.0, 2.0, "run", 0, commit, None, None, suites, machine, branch)


def test_runs_filter_by_machine_branch_and_commit(tmp_path: Path) -> None:
    with History(tmp_path) as db:
        db.record(_run("ci-1", "main", "aaaa1111", "passed"))
        db.record(_run("ci-2", "main", "bbbb2222", "failed"))
        db.record(_run("laptop", "topic", "cccc3333", "failed"))
        db.record(_run("ci-1", "main", "dddd4444", "passed"))
        main_runs = RunFilter(branch="main")
        assert [r["commit"] for r in db.recent_runs(10, main_runs)] == [
            "dddd4444",
            "bbbb2222",
            "aaaa1111",
        ]
        assert [r["id"] for r in db.recent_runs(10, RunFilter(machine="ci-1"))] == [4, 1]
        assert [r["machine"] for r in db.recent_runs(10, RunFilter(commit="cccc"))] == ["laptop"]
        assert [f["pattern"] for f in db.flakiest_tests(runs=main_runs)] == ["PFP"]
        assert db.flakiest_tests(runs=RunFilter(machine="ci-1")) == []
        assert db.recent_runs(10, RunFilter(branch="main", machine="laptop")) == []


def test_an_upper_case_scheme_is_read_as_the_url_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, "POSTGRESQL://from-config/history")
    assert load_config(project).history == "postgresql://from-config/history"
    monkeypatch.setenv(HISTORY_ENV, f"Postgres://team:{SECRET}@db/history")
    assert load_config(project).history == f"postgres://team:{SECRET}@db/history"


def test_a_version_4_history_keeps_its_runs_for_every_project(tmp_path: Path) -> None:
    _old_history(tmp_path, 4)
    for name in ("app", "other"):
        with History(tmp_path, project=name) as db:
            assert history_schema.version(db.conn) == history_schema.LATEST >= 5
            (old,) = db.recent_runs()
            assert old["project"] is None, "recorded before runs had a project: everyone's"


def _of(project: str, outcome: str, duration: float) -> RunRecord:
    tests = (TestRecord("t.py::same_name", outcome, duration, "gw0"),)
    suites = (SuiteRecord("unit", "passed", duration, 1, False, tests),)
    return RunRecord(1.0, 2.0, "run", 0, suites=suites, project=project)


def test_every_reader_sees_only_its_own_projects_runs(tmp_path: Path) -> None:
    """Two projects in one database, with a suite and a test of the same name."""
    with History(tmp_path, project="app") as db:
        db.record(_run("ci", "main", "abcd", "passed"))  # no project given: recorded as "app"
        db.record(_of("app", "passed", 1.0))
        db.record(_of("other", "failed", 9.0))
        db.record(_of("other", "passed", 9.0))
        assert [r["project"] for r in db.recent_runs()] == ["app", "app"]
        assert db.run_count() == 2
        assert [t["max"] for t in db.slowest_tests()] == [1.0, 0.1]
        assert db.flakiest_tests() == [] and db.flaky_patterns() == {}
        assert db.outcome_patterns()[("unit", "t.py::same_name")] == "P"
        assert [o for o, _ in db.latest_results("t.py::same_name", 10)] == ["passed"]
        assert len(db.recent_results()) == 2
        assert db.suite_trends() == {"unit": [1.0, 1.0]}
        assert db.last_full_durations() == {"unit": {"t.py::same_name": 1.0}}
    with History(tmp_path, project="app", every_project=True) as db:
        assert [r["project"] for r in db.recent_runs()] == ["other", "other", "app", "app"]
        assert db.outcome_patterns()[("unit", "t.py::same_name")] == "PFP"
        assert db.last_full_durations() == {"unit": {"t.py::same_name": 9.0}}
