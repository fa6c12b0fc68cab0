"""The demo's services suite: it runs only once the task's `web` and `db` services are healthy.

`needs = ["web", "db"]` in pyproject.toml makes zenboard wait for them (the dashboard's card says
`waiting for db: starting, 3 s`); their host ports come from the task's `.env.task`. Run
without zenboard (no task), the tests skip and say why.
"""

from __future__ import annotations

import os
import socket
import urllib.request

import pytest

pytestmark = pytest.mark.services


def task_port(variable: str) -> int:
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"{variable} comes from the task's .env.task: run this suite with zenboard")
    return int(value)


def test_the_web_service_serves_the_gradebook_page() -> None:
    port = task_port("WEB_PORT")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
        assert page.status == 200
        assert "gradebook" in page.read().decode()


def test_the_database_accepts_connections() -> None:
    port = task_port("DB_PORT")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        assert connection.makefile().readline().strip() == "gradebook-db ready"
