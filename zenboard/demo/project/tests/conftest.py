"""Fixtures for the demo's pytest suites: a SQLite database and a media directory per worker.

The names come from zenboard.isolation, the helpers a Django project would call from its
`settings_test.py` (`db_name("test_demo")` is `test_demo_integration_gw0` on worker gw0 of the
suite `integration`, `test_demo_0` under plain pytest). Everything the tests write lands under `.zenboard/` in the project, which
zenboard's watch mode ignores, so a run never triggers another one. Each worker starts from a
fresh database and an empty media directory, and leaves them behind for inspection.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from zenboard.isolation import db_name, media_dir

from gradebook.api import Api
from gradebook.store import Store, connect

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".zenboard"
DB_DIR = STATE_DIR / "demo-db"
MEDIA_ROOT = STATE_DIR / "demo-media"

SIMULATED_COST = {"unit": (0.01, 0.06), "api": (0.04, 0.16), "processing": (0.05, 0.2)}
"""Seconds (low, high) each test of a suite spends in the framework it stands in for."""
SLOW_EXTRA = 0.5
"""What a test marked `slow` spends on top (a full workflow, a big scan)."""


def worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(autouse=True)
def simulated_cost(request: pytest.FixtureRequest) -> None:
    """Sleep as long as the real project's test would spend in Django, Postgres or PyMuPDF.

    The demo's own code runs in microseconds; a dashboard of instant tests shows nothing. The
    cost is fixed per test (derived from its id), so durations are the same from run to run,
    as real ones roughly are, and zenboard's duration-based sharding has something to balance.
    """
    for marker, (low, high) in SIMULATED_COST.items():
        if request.node.get_closest_marker(marker):
            fraction = zlib.crc32(request.node.nodeid.encode()) % 1000 / 1000
            extra = SLOW_EXTRA if request.node.get_closest_marker("slow") else 0.0
            time.sleep(low + (high - low) * fraction + extra)
            return


@pytest.fixture(scope="session")
def database_path() -> Path:
    """This worker's database file, recreated empty at the start of the session."""
    DB_DIR.mkdir(parents=True, exist_ok=True)
    path = DB_DIR / f"{db_name('test_demo')}.sqlite3"
    for leftover in (path, path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)
    conn = connect(path)
    Store(conn).create_schema()
    conn.execute("CREATE TABLE test_log (nodeid TEXT NOT NULL, worker TEXT NOT NULL, pid INTEGER NOT NULL)")
    conn.close()
    return path


@pytest.fixture(scope="session")
def connection(database_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(database_path)
    yield conn
    conn.close()


@pytest.fixture(autouse=True)
def record_database_use(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each `api` test, commit its id and worker to this worker's `test_log` table.

    The log shows afterwards that each worker really used its own file (zenboard's own tests
    check it). Being autouse, this is set up first and torn down last, after `store` rolled back.
    """
    if not request.node.get_closest_marker("api"):
        yield
        return
    connection: sqlite3.Connection = request.getfixturevalue("connection")
    yield
    connection.execute(
        "INSERT INTO test_log (nodeid, worker, pid) VALUES (?, ?, ?)", (request.node.nodeid, worker(), os.getpid())
    )


@pytest.fixture
def store(connection: sqlite3.Connection) -> Iterator[Store]:
    """A store inside a transaction rolled back after the test (as Django's TestCase does)."""
    connection.execute("BEGIN")
    try:
        yield Store(connection)
    finally:
        connection.execute("ROLLBACK")


@pytest.fixture
def api(store: Store) -> Api:
    return Api(store)


@pytest.fixture
def grader() -> str:
    return "mme.martin"


@pytest.fixture(scope="session")
def worker_media() -> Path:
    """This worker's media directory (`.zenboard/demo-media/media_processing_gw0`), emptied at session start."""
    root = media_dir(MEDIA_ROOT, "media")
    for child in root.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    return root


@pytest.fixture
def media(worker_media: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A directory for one test inside the worker's media dir, removed after the test."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:60]
    path = worker_media / f"{name}-{zlib.crc32(request.node.nodeid.encode()):08x}"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)
    with (worker_media / "processed.log").open("a", encoding="utf-8") as log:
        log.write(f"{worker()} {request.node.nodeid}\n")
