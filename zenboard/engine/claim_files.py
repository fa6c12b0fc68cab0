"""The claim files of one suite run (`<run dir>/claims/<pid>.jsonl`), read as untrusted input.

The isolation helpers append a JSON line per resource a process claimed. Tests run as the user
and may write anything there, so each file is read from where the last read stopped, never
through a symlink, at most `FILE_BYTES` of it, and a line is a claim only when every field has
the type and size the helpers write (others are counted and skipped). Read on the watcher's
slow clock and once at the run's end, never per test.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import time
from pathlib import Path
from typing import TypeGuard

from zenboard.model.claims import Claim
from zenboard.model.reducer import MAIN_WORKER
from zenboard.wire import RUN_CLAIMS

FILES = 512
"""Claim files read per run (one per process that claimed something)."""
FILE_BYTES = 64 * 1024
"""Bytes read per file: a process claims a handful of resources, not thousands."""
CLAIMS = 2_000
"""Claims kept per run."""
VALUE_CHARS = 1_024
SCOPE_CHARS = 256


def plain_text(value: object, limit: int, empty: bool = False) -> TypeGuard[str]:
    """A string of at most `limit` characters and no control character ("" only if `empty`)."""
    if not isinstance(value, str) or len(value) > limit or (not value and not empty):
        return False
    return value.isprintable()


_FILE = re.compile(r"[0-9]{1,10}\.jsonl")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_WORKER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def parse_claim(
    line: bytes, suite: str, since: float, now: float, run_pid: int = 0, main: bool = True
) -> Claim | None:
    """One line as a claim of a worker of `suite`'s run (started at `since`), or None.

    The suite is the run's, whatever the line says; the time is kept between the run's start
    and `now`. With `main=False` a claim by a process without an xdist id is dropped: under
    xdist that is the controller, which imports settings but uses no database.
    """
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    kind, value, worker, pid = (data.get(k) for k in ("kind", "value", "worker", "pid"))
    scope = data.get("scope", "")
    if not (isinstance(kind, str) and _KIND.fullmatch(kind)):
        return None
    if not plain_text(value, VALUE_CHARS):
        return None
    if not plain_text(scope, SCOPE_CHARS, empty=True):
        return None
    if not (isinstance(worker, str) and _WORKER.fullmatch(worker)):
        return None
    if not (type(pid) is int and 0 < pid < 1 << 32):
        return None
    if worker == MAIN_WORKER and not main:
        return None
    when = data.get("time")
    ok = isinstance(when, int | float) and not isinstance(when, bool) and math.isfinite(when)
    claimed = min(max(float(when), since), now) if ok else now  # type: ignore[arg-type]
    return Claim(kind, value, suite, worker, pid, claimed, run_pid=run_pid, scope=scope)


class RunClaims:
    """The claims of one suite run so far, read incrementally from its run dir."""

    def __init__(
        self, run_dir: Path, suite: str, since: float, run_pid: int = 0, main: bool = True
    ) -> None:
        """
        Args:
            run_dir: The run's private dir (`ZENBOARD_RUN_DIR`).
            suite: The suite it runs.
            since: When the run started (no claim of it is older).
            run_pid: The pid of the run's process.
            main: Whether claims of a process without an xdist id count (see `parse_claim`).
        """
        self.folder = run_dir / RUN_CLAIMS
        self.suite = suite
        self.since = since
        self.run_pid = run_pid
        self.main = main
        self.claims: dict[tuple[str, str, str, str, int], Claim] = {}
        self.skipped = 0
        """Lines that were not claims (malformed, or over a bound)."""
        self._offsets: dict[str, int] = {}

    def read(self) -> bool:
        """Read what was appended since the last call; whether a new claim came."""
        try:
            fd = os.open(self.folder, _DIR_FLAGS)
        except OSError:
            return False
        try:
            names = sorted(n for n in os.listdir(fd) if _FILE.fullmatch(n))[:FILES]
            before = len(self.claims)
            for name in names:
                self._read_file(fd, name)
            return len(self.claims) > before
        except OSError:
            return False
        finally:
            os.close(fd)

    def _read_file(self, dir_fd: int, name: str) -> None:
        offset = self._offsets.get(name, 0)
        if offset >= FILE_BYTES:
            return
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
        except OSError:
            return
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return
            file.seek(offset)
            data = file.read(FILE_BYTES - offset)
        end = data.rfind(b"\n") + 1  # only whole lines; a line still being written waits
        if end == 0:
            if offset + len(data) >= FILE_BYTES:
                self._offsets[name] = FILE_BYTES
                self.skipped += 1
            return
        self._offsets[name] = offset + end
        now = time.time()
        for line in data[:end].splitlines():
            claim = parse_claim(line, self.suite, self.since, now, self.run_pid, self.main)
            if claim is None or len(self.claims) >= CLAIMS:
                self.skipped += 1 if line.strip() else 0
                continue
            key = (claim.kind, claim.scope, claim.value, claim.worker, claim.pid)
            self.claims.setdefault(key, claim)
