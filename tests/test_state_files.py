"""Corrupt or foreign state files (history DB, port registry, durations) give one line, never a
traceback: commands that need the file exit 2; a run goes on and says what it could not record."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli, suites_toml, write_project

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

PORTS = "[tool.zenboard.ports]\nservices = { postgres = 5432 }\n"


@pytest.fixture
def project(tmp_path: Path, isolated_state: None) -> Path:
    return write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nargs = ["tests"]\nworkers = 0'),
            "tests/test_a.py": "def test_a():\n    assert True\n\ndef test_b():\n    pass\n",
        },
    )


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("zenboard: error: ")
    return lines[0]


def real_history(project: Path) -> Path:
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    return project / ".zenboard" / "history.db"


def foreign_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()


def truncated_db(path: Path) -> None:
    """A real zenboard history whose table pages are zeroed: its header and schema (page 1) are
    intact, so SQLite opens it and finds the damage only when a query reads the tables."""
    data = path.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    path.write_bytes(data[:page] + b"\xff" * (len(data) - page))


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda p: p.write_bytes(b"not a database at all\n" * 100), "not an SQLite database"),
        (lambda p: (p.unlink(), foreign_db(p)), "not zenboard's history"),
        (lambda p: p.write_bytes(b"\xff\xfe" + bytes(range(256)) * 40), "not an SQLite database"),
    ],
    ids=["garbage", "foreign", "binary"],
)
def test_history_and_durations_commands_refuse_an_unusable_db(
    project: Path, damage: object, expected: str
) -> None:
    db = real_history(project)
    for side in db.parent.glob("history.db-*"):
        side.unlink()
    damage(db)  # type: ignore[operator]
    before = db.read_bytes()
    for args in (["history"], ["history", "--json"], ["durations", "--update"]):
        done = run_cli(args, project)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        line = one_error_line(done.stderr)
        assert str(db) in line and expected in line
        assert "move it aside" in line
    assert db.read_bytes() == before, "zenboard changed a file that is not its history"


def test_a_run_goes_on_and_says_history_not_recorded(project: Path) -> None:
    db = real_history(project)
    for side in db.parent.glob("history.db-*"):
        side.unlink()
    db.unlink()
    foreign_db(db)
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "unit" in done.stdout and "passed" in done.stdout
    said = [line for line in done.stdout.splitlines() if line.startswith("history not recorded: ")]
    assert said == [
        f"history not recorded: {db}: an SQLite database that is not zenboard's"
        " history: move it aside and zenboard starts a new history"
    ]
    assert (
        json.loads((project / ".zenboard/reports/latest/summary.json").read_text())["exit_code"]
        == 0
    )
    tables = {n for (n,) in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert tables == {"notes"}, "a foreign database was migrated"


def test_damage_found_inside_a_query_is_one_line(project: Path) -> None:
    db = real_history(project)
    for _ in range(3):
        run_cli(["run", "--ci"], project)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    truncated_db(db)
    done = run_cli(["history", "--limit", "100"], project)
    assert done.returncode == 2, done.stdout
    line = one_error_line(done.stderr)
    assert str(db) in line


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (Path.mkdir, "not a file (a directory): move it aside"),
        (os.mkfifo, "not a file (a FIFO): move it aside"),
        (lambda p: p.symlink_to(p.parent / "gone.db"), "is a symlink"),
    ],
    ids=["directory", "fifo", "dangling-symlink"],
)
def test_a_history_that_is_not_a_file_is_one_line_not_an_empty_history(
    project: Path, make: Callable[[Path], object], said: str
) -> None:
    """Something that is not a file at history.db is no history: `history` said `(none yet)`
    and `durations --update` told to run once more, which could never help."""
    db = project / ".zenboard" / "history.db"
    db.parent.mkdir()
    make(db)
    for args in (["history"], ["history", "--flaky"], ["durations", "--update"]):
        done = run_cli(args, project)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        line = one_error_line(done.stderr)
        assert f"{db}: " in line and said in line, line
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("history not recorded")]
    assert f"{db}: " in line and said in line, line


def test_a_symlinked_history_is_never_opened(project: Path, tmp_path: Path) -> None:
    db = real_history(project)
    elsewhere = tmp_path / "elsewhere.db"
    shutil.copy(db, elsewhere)
    for side in db.parent.glob("history.db*"):
        side.unlink()
    db.symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    done = run_cli(["history"], project)
    assert done.returncode == 2
    assert "is a symlink" in one_error_line(done.stderr)
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 0
    assert f"history not recorded: {db}: cannot use it ({db}: is a symlink" in done.stdout
    assert elsewhere.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b'{"version": 1, "suites": {"unit": {"t": NaN}}}', "finite seconds"),
        (b'{"version": 1, "suites": {"unit": {"t": -1}}}', "finite seconds"),
        (b'{"version": 1, "suites": {"unit": {"t": true}}}', "finite seconds"),
        (b'{"version": 1, "suites": ["unit"]}', "expected {suite"),
        (b"{", "not JSON"),
        (b'{"version": 2, "suites": {}}', "version 2: this zenboard reads version 1"),
        (b'{"suites": {}}', "version None: this zenboard reads version 1"),
        (None, "not a file"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),  # was a RecursionError traceback
    ],
    ids=[
        *("not-utf8", "nan", "negative", "bool", "list", "truncated", "v2", "no-version", "dir"),
        "deep",
    ],
)
def test_a_damaged_durations_file_is_one_line(
    project: Path, text: bytes | None, expected: str
) -> None:
    path = project / ".zenboard" / "durations.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        path.mkdir()  # was taken for "no durations yet"
    else:
        path.write_bytes(text)  # a newer zenboard's file was read, then rewritten as ours
    for args in (["durations"], ["run", "--ci", "--shard", "1/2"]):
        done = run_cli(args, project)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        line = one_error_line(done.stderr)
        assert str(path) in line and expected in line and "zenboard durations --update" in line


def _summary_rows(project: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    """A copy of the project's last summary.json, changed as another job's file could be."""
    run_cli(["run", "--ci"], project)
    data = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())
    change(data)
    merged = project.parent / "merged"
    merged.mkdir()
    (merged / "summary.json").write_text(json.dumps(data), encoding="utf-8")
    return merged / "summary.json"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d.update(suites="x"), "suites: expected a list of suites"),
        (lambda d: d["suites"][0].update(name="../x"), "bad suite name '../x'"),
        (lambda d: d["suites"][0]["tests"][0].update(duration=-1.5), "duration: expected"),
        (lambda d: None, "nested too deeply"),  # 5000 deep: made as text below
    ],
    ids=["structure", "name", "negative", "deep"],
)
def test_durations_from_a_summary_checks_it_as_merge_does(
    project: Path, change: Callable[[dict[str, Any]], object], said: str
) -> None:
    """`durations --update --from DIR` reads merged reports, other jobs' files: a deeply nested
    one was a RecursionError traceback, and a negative duration was written into a
    durations.json that every later read then refused."""
    path = _summary_rows(project, change)
    if said == "nested too deeply":
        path.write_text(path.read_text()[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}")
    before = (project / ".zenboard/durations.json").read_bytes()
    done = run_cli(["durations", "--update", "--from", str(path.parent)], project)
    assert done.returncode == 2, done.stdout + done.stderr
    line = one_error_line(done.stderr)
    assert f"{path}: " in line and said in line, line
    assert (project / ".zenboard/durations.json").read_bytes() == before


def test_durations_from_needs_update(project: Path, tmp_path: Path) -> None:
    done = run_cli(["durations", "--from", str(tmp_path)], project)
    assert done.returncode == 2
    assert "--from" in one_error_line(done.stderr) and "--update" in done.stderr


def test_a_full_run_never_rewrites_another_versions_durations(project: Path) -> None:
    """A damaged file is rewritten whole by a full run; a newer zenboard's is left as it is."""
    path = project / ".zenboard" / "durations.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"version": 2, "suites": {}}')
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("durations not")]
    assert line.startswith(f"durations not written: {path}: version 2: this zenboard reads")
    assert path.read_bytes() == b'{"version": 2, "suites": {}}'
    path.write_bytes(b"{")
    assert run_cli(["run", "--ci"], project).returncode == 0
    assert json.loads(path.read_text())["version"] == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"\xff\xfe\x00{", "not UTF-8 text"),
        (b"{nope", "not JSON"),
        (b"[]", 'expected {"version"'),
        (b'{"version": 1, "tasks": {"../x": {"worktree": "/w", "ports": {}}}}', "task id"),
        (b'{"version": 1, "tasks": {"t": {"worktree": 5, "ports": {}}}}', "worktree"),
        (
            b'{"version": 1, "tasks": {"t": {"worktree": "/w", "ports": {"pg": "5"}}}}',
            "expected a port",
        ),
        (
            b'{"version": 1, "tasks": {"t": {"worktree": "/w", "ports": {"pg": 70000}}}}',
            "expected a port",
        ),
        (
            b'{"version": 1, "tasks": {"t": {"worktree": "/w", "ports": {"p\\u001b": 1}}}}',
            "service name",
        ),
        # Another zenboard's registry: read as ours, it was rewritten as version 1.
        (b'{"version": 2, "tasks": {}}', "version 2: this zenboard reads version 1"),
        (b'{"version": true, "tasks": {}}', "version True: this zenboard reads version 1"),
        (b'{"tasks": {}}', "version None: this zenboard reads version 1"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),  # was a RecursionError traceback
    ],
    ids=[
        "not-utf8",
        "not-json",
        "list",
        "task-id",
        "worktree",
        "port-str",
        "port-range",
        "service",
        "newer-version",
        "version-bool",
        "no-version",
        "deep",
    ],
)
def test_a_damaged_registry_is_one_line(
    project: Path, tmp_path: Path, text: bytes, expected: str
) -> None:
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text() + PORTS)
    registry = tmp_path / "state" / "zenboard" / "ports.json"
    registry.parent.mkdir(parents=True)
    registry.write_bytes(text)
    for args in (["ports"], ["status"], ["run", "--ci"]):
        done = run_cli(args, project)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        line = one_error_line(done.stderr)
        assert str(registry) in line and "damaged" in line and expected in line
        assert "\x1b" not in line
    assert registry.read_bytes() == text


def test_a_symlinked_registry_is_not_written_through(project: Path, tmp_path: Path) -> None:
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text() + PORTS)
    target = tmp_path / "bashrc"
    target.write_text('{"version": 1, "tasks": {}}\n')
    registry = tmp_path / "state" / "zenboard" / "ports.json"
    registry.parent.mkdir(parents=True)
    registry.symlink_to(target)
    done = run_cli(["ports"], project)
    assert done.returncode == 2
    assert "is a symlink" in one_error_line(done.stderr)
    assert target.read_text() == '{"version": 1, "tasks": {}}\n'


@pytest.mark.parametrize("args", [["history"], ["durations"], ["run", "--ci"]])
def test_a_linked_state_dir_is_refused_by_every_command(
    project: Path, tmp_path: Path, args: list[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "durations.json").write_text('{"version": 1, "suites": {}}')
    (project / ".zenboard").symlink_to(elsewhere)
    done = run_cli(args, project)
    assert done.returncode == 2, (args, done.stdout, done.stderr)
    assert "is a symlink" in one_error_line(done.stderr)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["durations.json"]
