"""The demo's web backend: the class roll page and a small JSON API over one SQLite file.

Standard library only (`http.server`), so the e2e suite needs nothing but Node and Chromium on
top of Python. Each Playwright worker starts its own instance (see
frontend/tests/e2e/fixtures.js) on its own port with its own database file, seeded afresh, and
every instance appends what it serves to a shared JSON-lines log, so anyone can check that no two
workers ever shared a port or a database.

    python -m gradebook.web --port 8088 --database .zenboard/e2e/test_e2e_w0.sqlite3 --worker 0
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PUBLIC = Path(__file__).resolve().parent.parent / "frontend" / "public"
STATIC = {"/": ("index.html", "text/html"), "/app.js": ("app.js", "text/javascript")}
SEED = (("Ada Lovelace", 17.5), ("Alan Turing", 14.0))


class Backend:
    """One worker's backend: its database, its port, its log."""

    def __init__(self, database: Path, port: int, worker: str, log: Path | None) -> None:
        self.database = database
        self.name = database.name.removesuffix(".sqlite3")
        self.port = port
        self.worker = worker
        self.log_path = log
        database.parent.mkdir(parents=True, exist_ok=True)
        database.unlink(missing_ok=True)
        with self.connect() as conn:
            conn.execute("CREATE TABLE student (id INTEGER PRIMARY KEY, name TEXT NOT NULL, grade REAL NOT NULL)")
            conn.executemany("INSERT INTO student (name, grade) VALUES (?, ?)", SEED)

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.database, timeout=5)

    def log(self, event: str, **fields: Any) -> None:
        if self.log_path is None:
            return
        line = json.dumps({"event": event, "pid": os.getpid(), "port": self.port,
                           "database": self.name, "worker": self.worker, **fields})
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())  # one append per line: lines never interleave
        finally:
            os.close(fd)

    def students(self) -> list[dict[str, Any]]:
        with self.connect() as conn:
            rows = conn.execute("SELECT id, name, grade FROM student ORDER BY id").fetchall()
        return [{"id": i, "name": n, "grade": g} for i, n, g in rows]

    def add_student(self, name: str, grade: float) -> dict[str, Any]:
        with self.connect() as conn:
            cursor = conn.execute("INSERT INTO student (name, grade) VALUES (?, ?)", (name, grade))
        self.log("student_added", name=name)
        return {"id": cursor.lastrowid, "name": name, "grade": grade}

    def stats(self) -> dict[str, Any]:
        grades = [s["grade"] for s in self.students()]
        average = round(sum(grades) / len(grades), 2) if grades else None
        return {"count": len(grades), "average": average}


def handler_for(backend: Backend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet: the JSON log tells
            pass

        def send_json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path in STATIC:
                name, kind = STATIC[self.path]
                data = (PUBLIC / name).read_bytes()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif self.path == "/health":
                self.send_json(HTTPStatus.OK, {"ok": True})
            elif self.path == "/api/info":
                self.send_json(HTTPStatus.OK, {"database": backend.name, "port": backend.port,
                                               "worker": backend.worker, "pid": os.getpid()})
            elif self.path == "/api/students":
                self.send_json(HTTPStatus.OK, backend.students())
            elif self.path == "/api/stats":
                self.send_json(HTTPStatus.OK, backend.stats())
            else:
                self.send_json(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})

        def do_POST(self) -> None:
            if self.path != "/api/students":
                self.send_json(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                name, grade = str(body["name"]).strip(), float(body["grade"])
                if not name or not 0 <= grade <= 20:
                    raise ValueError("a name and a grade from 0 to 20")
            except (ValueError, KeyError, TypeError) as exc:
                self.send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
                return
            self.send_json(HTTPStatus.CREATED, backend.add_student(name, grade))

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gradebook.web")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--worker", default="0")
    parser.add_argument("--log", type=Path)
    args = parser.parse_args(argv)
    backend = Backend(args.database.resolve(), args.port, args.worker, args.log)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(backend))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    backend.log("start")
    try:
        server.serve_forever(poll_interval=0.1)
    except SystemExit:
        pass
    finally:
        server.server_close()
        backend.log("stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
