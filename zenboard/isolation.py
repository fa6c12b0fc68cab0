"""Per-worker isolation helpers for a project's own test settings.

Two workers sharing one test database, media dir or port fail by scheduling; the cure is a name
per worker. zenboard runs every suite at once (and worktrees side by side), so a name holds the
suite as well as the worker: `integration`'s gw0 and `processing`'s gw0 get
`test_app_integration_gw0` and `test_app_processing_gw0`. Standard library (and safefs) only,
so a settings module can import it early::

    from zenboard.isolation import db_name, media_dir

    DATABASES["default"]["NAME"] = db_name("test_app")   # test_app_integration_gw0
    MEDIA_ROOT = str(media_dir(prefix="app_media"))      # this run's own, removed after it

The suffix is `CI_NODE_INDEX`, the suite (`ZENBOARD_SUITE`) and `PYTEST_XDIST_WORKER`, in that
order, the parts that are set (`1_integration_gw0`), else `"0"`. With pytest-django use
`db_name(prefix, xdist=False)`: pytest-django adds the worker itself. Under zenboard each helper
also records what it handed out (a claim) in a file of the run's private dir, so zenboard can
warn when two live workers claim one resource. `environ` parameters make the functions testable
without `os.environ`. The whole story, the pytest-django hazard included: docs/isolation.md.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from zenboard import safefs
from zenboard.wire import ENV_RUN_DIR, ENV_SUITE, RUN_CLAIMS, RUN_MEDIA

XDIST_VARIABLE = "PYTEST_XDIST_WORKER"
CI_NODE_VARIABLE = "CI_NODE_INDEX"
SUITE_VARIABLE = ENV_SUITE
DEFAULT_SUFFIX = "0"
DB_NAME_BYTES = 63
"""PostgreSQL's longest identifier (NAMEDATALEN - 1): a longer name is silently cut there, and
two long names that differ only at the end would become one database."""
DJANGO_ROOM = 8
"""Bytes left free under `xdist=False` for the `_gw<n>` pytest-django appends."""
NAME_BYTES = 255
"""Longest file name (NAME_MAX) for a media dir."""
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
MACHINE_WIDE = ("media", "port")
"""Kinds of claim shared by everything on this machine; any other kind (a database, a Redis
db number) lives on a server, which a task's own services do not share with another task's."""
COMPOSE_VARIABLE = "COMPOSE_PROJECT_NAME"
"""Set for every suite of a task (`.env.task`): the task's own containers, own servers."""


def normalise(raw: str) -> str:
    """`raw` reduced to ASCII letters, digits and `_`, lowercased ("" when nothing is left)."""
    return "".join(ch for ch in raw if ch.isascii() and (ch.isalnum() or ch == "_")).lower()


def suite_part(environ: Mapping[str, str] | None = None) -> str:
    """The suite zenboard runs this process for, as a name part: `unit-fast` -> `unit_fast`
    (other characters become `_`, as a dash would need quoting in a database name)."""
    env = os.environ if environ is None else environ
    raw = env.get(SUITE_VARIABLE, "")
    spaced = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in raw).lower()
    return re.sub("_+", "_", spaced).strip("_")


def _part(environ: Mapping[str, str], variable: str) -> str:
    return normalise(environ.get(variable, ""))


def worker_suffix(
    environ: Mapping[str, str] | None = None, *, xdist: bool = True, suite: bool = True
) -> str:
    """This process's normalised suffix: `integration_gw0`, `1_integration_gw0`, `gw0`, `0`...

    `xdist=False` leaves the xdist worker out (see the pytest-django hazard in the module
    docstring), `suite=False` the suite; the CI machine index, when set, is always kept.
    """
    env = os.environ if environ is None else environ
    parts = [_part(env, CI_NODE_VARIABLE)]
    if suite:
        parts.append(suite_part(env))
    if xdist:
        parts.append(_part(env, XDIST_VARIABLE))
    return "_".join(p for p in parts if p) or DEFAULT_SUFFIX


def shorten(name: str, limit: int) -> str:
    """`name` if it fits in `limit` UTF-8 bytes, else its start and a short hash of it all (two
    long names that differ only at the end stay two names)."""
    data = name.encode("utf-8")
    if len(data) <= limit:
        return name
    digest = hashlib.sha256(data).hexdigest()[:8]
    return data[: limit - 9].decode("utf-8", "ignore") + "_" + digest


def db_name(
    prefix: str,
    environ: Mapping[str, str] | None = None,
    *,
    xdist: bool = True,
    suite: bool = True,
    server: str | None = None,
) -> str:
    """A database name for this worker: `test_app` -> `test_app_integration_gw0`.

    At most 63 bytes (PostgreSQL's limit; a longer one keeps its start and gets a short hash).
    With `xdist=False` the worker is left to pytest-django, which appends `_gw0` (8 bytes are
    kept free for it); with no CI machine index and no suite either, `prefix` is returned as it
    is. The claim recorded is the name the worker really uses (pytest-django's included), on
    `server` (`host:port`, see `claim`).
    """
    if not prefix:
        raise ValueError("db_name: prefix must not be empty")
    env = os.environ if environ is None else environ
    parts = worker_suffix(env, xdist=xdist, suite=suite)
    name = prefix if not xdist and parts == DEFAULT_SUFFIX else f"{prefix}_{parts}"
    name = shorten(name, DB_NAME_BYTES if xdist else DB_NAME_BYTES - DJANGO_ROOM)
    worker = _part(env, XDIST_VARIABLE)
    _record("db", name if xdist or not worker else f"{name}_{worker}", env, server)
    return name


def media_dir(
    base: str | os.PathLike[str] | None = None,
    prefix: str = "media",
    environ: Mapping[str, str] | None = None,
) -> Path:
    """This worker's media dir `<prefix>_<suffix>`, created if missing.

    Without `base` (the default) it lies in a dir private to this run: under zenboard, the
    suite run's own dir, removed when the run ends (cancelled too); under plain pytest, a
    `mkdtemp` dir removed when the process exits. With `base` it is `<base>/<prefix>_<suffix>`
    and stays (a leftover dir named after its worker makes a failed run easy to inspect), but
    every run that uses that `base` shares it: two worktrees on one `/tmp` collide there.
    The worker's dir is never a symlink (`safefs.SymlinkRefused`, an `OSError`): in a shared
    `/tmp` another user could plant `/tmp/media_gw0 -> ~/project`.
    """
    if not prefix:
        raise ValueError("media_dir: prefix must not be empty")
    env = os.environ if environ is None else environ
    root = Path(base) if base is not None else _private_media_root(env)
    path = root / shorten(f"{prefix}_{worker_suffix(env)}", NAME_BYTES)
    with safefs.open_dir(path, root):
        pass
    _record("media", os.path.realpath(path), env)
    return path


def claim(
    kind: str,
    value: str | int,
    environ: Mapping[str, str] | None = None,
    *,
    server: str | None = None,
) -> None:
    """Record that this worker uses `value` as a resource of `kind` (`db`, `media`, `port`,
    or a name of your own such as `redis_db`), for zenboard's check that no two live workers
    share one. `db_name` and `media_dir` record theirs; nothing happens without zenboard.

    Media dirs and ports are this machine's. Any other kind lives on a server: `server`
    (`host:port`) names it; without it, a task's suites (zenboard gives them the task's
    `COMPOSE_PROJECT_NAME`) use the task's own containers, which no other worktree shares, and
    other runs use one server per machine.
    """
    if not _KIND.fullmatch(kind):
        raise ValueError(f"claim: kind {kind!r} must be lowercase letters, digits and _")
    _record(kind, str(value), os.environ if environ is None else environ, server)


def claim_port(port: int, environ: Mapping[str, str] | None = None) -> int:
    """`port`, recorded as this worker's (see `claim`): `PORT = claim_port(8000 + n)`."""
    if type(port) is not int or not 1 <= port <= 65535:
        raise ValueError(f"claim_port: {port!r} is not a port (1 to 65535)")
    claim("port", port, environ)
    return port


def run_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The suite run's private dir zenboard made (`ZENBOARD_RUN_DIR`), or None: unset, or not
    a directory of this user's that only this user can enter."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_RUN_DIR, "")
    if not raw or not os.path.isabs(raw):
        return None
    try:
        info = os.lstat(raw)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        return None
    return Path(raw)


_lock = threading.Lock()
_fallback: tuple[int, Path] | None = None
"""(pid, dir): the private media root of a process zenboard did not start."""
_recorded: set[tuple[str, int, str, str]] = set()
"""(run dir, pid, kind, value) already written: a settings module read twice claims once."""


def _private_media_root(env: Mapping[str, str]) -> Path:
    global _fallback
    found = run_dir(env)
    if found is not None:
        return found / RUN_MEDIA
    with _lock:
        if _fallback is None or _fallback[0] != os.getpid():
            made = Path(tempfile.mkdtemp(prefix="zenboard-media-"))
            _fallback = (os.getpid(), made)
            atexit.register(_remove_fallback, os.getpid(), made)
        return _fallback[1]


def _remove_fallback(pid: int, path: Path) -> None:
    if os.getpid() == pid:  # never from a forked child that inherited the handler
        shutil.rmtree(path, ignore_errors=True)


def scope_of(kind: str, env: Mapping[str, str], server: str | None = None) -> str:
    """Where a claim of `kind` could meet another: "" for this machine, else its server."""
    if kind in MACHINE_WIDE:
        return ""
    if server:
        return f"on {server}"
    compose = env.get(COMPOSE_VARIABLE, "")
    return f"in compose project {compose}" if compose else ""


def _record(kind: str, value: str, env: Mapping[str, str], server: str | None = None) -> None:
    """Append the claim to this process's file in the run dir; never fails the caller."""
    found = run_dir(env)
    if found is None:
        return
    pid = os.getpid()
    scope = scope_of(kind, env, server)
    with _lock:
        key = (str(found), pid, kind, f"{value} {scope}")
        if key in _recorded:
            return
        _recorded.add(key)
    line = {
        "kind": kind,
        "value": value,
        "scope": scope,
        "suite": env.get(SUITE_VARIABLE, ""),
        "worker": _part(env, XDIST_VARIABLE) or "main",
        "pid": pid,
        "time": time.time(),
    }
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    try:
        fd = safefs.open_below(found / RUN_CLAIMS / f"{pid}.jsonl", flags, found, mode=0o600)
        with os.fdopen(fd, "ab") as file:
            file.write(json.dumps(line).encode("utf-8", "backslashreplace") + b"\n")
    except (OSError, ValueError):
        pass  # a claim that cannot be written is a check missed, never a failed test
