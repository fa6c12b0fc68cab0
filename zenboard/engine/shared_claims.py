"""Claims shared between the zenboard runs of every worktree of a repository.

Each zenboard with claims publishes them in the port registry's dir (shared by all worktrees:
`<git common dir>/zenboard/claims/<pid>-<start>.json`, outside git under `$XDG_STATE_HOME`) and
reads the others' files there. A file names its zenboard by pid and process start time: while
that process lives its open claims are live; once it is gone they are taken as ended when the
file was last written, and the file is removed `RETAIN` seconds later. Other runs' files are
untrusted input: bounded, never read through a symlink, validated claim by claim.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeGuard

from zenboard import safefs
from zenboard.engine.claim_files import SCOPE_CHARS, VALUE_CHARS, plain_text
from zenboard.engine.process import start_time
from zenboard.model.claims import Claim

FOLDER = "claims"
VERSION = 1
RETAIN = 60.0
"""Seconds a gone zenboard's claims still count (a claim seen late still meets the ones it
overlapped), after which its file is removed."""
FILES = 256
FILE_BYTES = 1 << 20
PUBLISHED = 2_000
"""Claims one file holds at most."""
_NAME = re.compile(r"([0-9]{1,10})-([0-9]{1,20})\.json")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_WORD = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _claim(raw: Any, worktree: str, zenboard: int, ended: float | None) -> Claim | None:
    """One published claim, or None where a field is not what zenboard writes."""
    if not isinstance(raw, dict):
        return None
    kind, value, scope = raw.get("kind"), raw.get("value"), raw.get("scope", "")
    suite, worker, pid = raw.get("suite"), raw.get("worker"), raw.get("pid")
    since, until = raw.get("since"), raw.get("until")
    if not (isinstance(kind, str) and _KIND.fullmatch(kind)):
        return None
    if not plain_text(value, VALUE_CHARS) or not plain_text(scope, SCOPE_CHARS, empty=True):
        return None
    if not (isinstance(suite, str) and _WORD.fullmatch(suite)):
        return None
    if not (isinstance(worker, str) and _WORD.fullmatch(worker)):
        return None
    if not (type(pid) is int and 0 < pid < 1 << 32) or not _number(since):
        return None
    if until is not None and not _number(until):
        return None
    end = float(until) if until is not None else ended
    return Claim(kind, value, suite, worker, pid, float(since), end, 0, worktree, zenboard, scope)


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class SharedClaims:
    """This zenboard's file in the shared dir, and the other runs' claims read from theirs."""

    def __init__(self, registry: Path, worktree: str) -> None:
        """
        Args:
            registry: The port registry's dir (`project.statedir.registry_dir`).
            worktree: This zenboard's project root, as the other runs name it.
        """
        self.registry = registry
        self.folder = registry / FOLDER
        self.worktree = worktree
        started = start_time(os.getpid())
        self.name = f"{os.getpid()}-{started if started is not None else 0}.json"
        self._cache: dict[str, tuple[tuple[int, int], list[dict[str, Any]], dict[str, Any]]] = {}
        self.faults: list[str] = []
        """Why publishing failed (said once by the watcher; never fatal)."""

    def publish(self, claims: Sequence[Claim]) -> None:
        """Replace this zenboard's file with `claims` (a fault is kept in `faults`)."""
        rows = [
            {
                "kind": c.kind,
                "value": c.value,
                "scope": c.scope,
                "suite": c.suite,
                "worker": c.worker,
                "pid": c.pid,
                "since": c.since,
                "until": c.until,
            }
            for c in claims[:PUBLISHED]
        ]
        text = json.dumps(
            {"version": VERSION, "pid": os.getpid(), "worktree": self.worktree, "claims": rows}
        )
        try:
            self.registry.mkdir(parents=True, exist_ok=True)
            safefs.check_private_dir(self.registry)
            with safefs.open_dir(self.folder, self.registry):
                pass
            safefs.write_atomic(self.folder / self.name, text + "\n", self.registry, mode=0o600)
        except OSError as exc:
            self.faults.append(f"claims not shared with other worktrees: {safefs.describe(exc)}")

    def others(self, now: float | None = None) -> list[Claim]:
        """The claims of the other zenboards whose files are there (gone ones for `RETAIN`)."""
        now = time.time() if now is None else now
        try:
            fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return []
        found: list[Claim] = []
        try:
            names = sorted(n for n in os.listdir(fd) if _NAME.fullmatch(n) and n != self.name)
            for name in names[:FILES]:
                found += self._claims_in(fd, name, now)
        except OSError:
            pass
        finally:
            os.close(fd)
        return found

    def _claims_in(self, dir_fd: int, name: str, now: float) -> list[Claim]:
        match = _NAME.fullmatch(name)
        assert match is not None
        pid, started = int(match.group(1)), int(match.group(2))
        try:
            info = os.lstat(name, dir_fd=dir_fd)
        except OSError:
            return []
        if not stat.S_ISREG(info.st_mode) or info.st_size > FILE_BYTES:
            return []
        alive = started != 0 and start_time(pid) == started
        if not alive and now - info.st_mtime > RETAIN:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=dir_fd)
            self._cache.pop(name, None)
            return []
        rows, head = self._rows(dir_fd, name, (info.st_mtime_ns, info.st_size))
        worktree = head.get("worktree")
        if not plain_text(worktree, 4096):
            return []
        ended = None if alive else info.st_mtime
        claims = (_claim(row, worktree, pid, ended) for row in rows[:PUBLISHED])
        return [c for c in claims if c is not None]

    def _rows(
        self, dir_fd: int, name: str, signature: tuple[int, int]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The file's claims and head, read again only when it changed."""
        cached = self._cache.get(name)
        if cached is not None and cached[0] == signature:
            return cached[1], cached[2]
        rows: list[dict[str, Any]] = []
        head: dict[str, Any] = {}
        try:
            fd = os.open(
                name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=dir_fd
            )
            with os.fdopen(fd, "rb") as file:
                data = json.loads(file.read(FILE_BYTES + 1))
            if isinstance(data, dict) and data.get("version") == VERSION:
                head = data
                claims = data.get("claims")
                rows = claims if isinstance(claims, list) else []
        except (OSError, ValueError, RecursionError):
            pass
        self._cache[name] = (signature, rows, head)
        return rows, head
