"""The port registry: one JSON file of claims shared by every worktree of a repository.

It lives under the git common directory (so all `git worktree`s of a repository see the same
file) or, outside git, under the user's state directory. Every read-modify-write happens
under an exclusive `fcntl.flock` on a sibling lock file, and the JSON is replaced atomically,
so concurrent `zenboard` processes never hand out the same port twice and a crash mid-write
never leaves half a file.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from zenboard import safefs
from zenboard.errors import InputError

REGISTRY_VERSION = 1


@dataclass
class Claim:
    """The ports one task holds, and the directory whose existence keeps the claim alive."""

    task: str
    worktree: str
    ports: dict[str, int]

    @property
    def base(self) -> int:
        return min(self.ports.values()) if self.ports else 0

    def is_stale(self) -> bool:
        return not Path(self.worktree).is_dir()


@dataclass
class Registry:
    path: Path
    claims: dict[str, Claim] = field(default_factory=dict)

    def ports_of_others(self, task: str) -> set[int]:
        return {p for c in self.claims.values() if c.task != task for p in c.ports.values()}

    def prune_stale(self) -> list[Claim]:
        """Drop claims whose worktree no longer exists; return them."""
        stale = [c for c in self.claims.values() if c.is_stale()]
        for claim in stale:
            del self.claims[claim.task]
        return stale


@contextmanager
def locked_registry(directory: Path, write: bool = True) -> Iterator[Registry]:
    """Hold the lock while the caller reads (and, with `write`, changes) the registry."""
    path = directory / "ports.json"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        safefs.check_private_dir(directory)
        fd = safefs.open_below(directory / "ports.lock", os.O_RDWR | os.O_CREAT, mode=0o600)
        lock = os.fdopen(fd, "r+")
    except OSError as exc:
        raise InputError(f"cannot open the port registry: {safefs.describe(exc)}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        try:
            registry = _load(path)
            before = _dump(registry)
            yield registry
            if write and _dump(registry) != before:
                _save(registry)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_TASK = re.compile(r"[A-Za-z0-9._-]{1,100}(@[0-9a-f]{8})?(/e2e)?")
"""A task id, or the claim of a task's Playwright workers (`<id>[@<path hash>]/e2e`)."""
_SERVICE = re.compile(r"[a-z0-9_-]{1,64}")


class _Damaged(Exception):
    """What is wrong with a registry file, for the one line that names it."""


def _load(path: Path) -> Registry:
    """The registry's claims; anything but zenboard's own shape is one line naming the file."""
    try:
        text = path.read_bytes().decode("utf-8")
        data = json.loads(text)
        claims = _claims(data)
    except FileNotFoundError:
        return Registry(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the port registry ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise _damaged(path, "not UTF-8 text") from None
    except ValueError as exc:
        raise _damaged(path, f"not JSON: {exc}") from None
    except RecursionError:  # valid JSON nested deeper than Python reads
        raise _damaged(path, "not JSON zenboard can read: nested too deeply") from None
    except _Damaged as exc:
        raise _damaged(path, str(exc)) from None
    return Registry(path, claims)


def _damaged(path: Path, why: str) -> InputError:
    return InputError(
        f"{path}: the port registry is damaged ({why}); delete it and run `zenboard ports` "
        "in each worktree to claim again"
    )


def _claims(data: object) -> dict[str, Claim]:
    """`data["tasks"]` checked entry by entry: ids, worktree paths and ports of the right kind."""
    tasks = data.get("tasks") if isinstance(data, dict) else None
    if not isinstance(tasks, dict):
        raise _Damaged('expected {"version": 1, "tasks": {...}}')
    version = data.get("version") if isinstance(data, dict) else None
    if type(version) is not int or version != REGISTRY_VERSION:  # never rewritten as ours
        raise _Damaged(
            f"version {version!r}: this zenboard reads version {REGISTRY_VERSION}"
            " (a newer zenboard's? use that one)"
        )
    claims = {}
    for task, raw in tasks.items():
        if not _TASK.fullmatch(task) or ".." in task:
            raise _Damaged(f"task id {task!r} is not one zenboard writes")
        worktree = raw.get("worktree") if isinstance(raw, dict) else None
        ports = raw.get("ports") if isinstance(raw, dict) else None
        if not isinstance(worktree, str) or not worktree or "\x00" in worktree:
            raise _Damaged(f"tasks.{task}.worktree: expected a path")
        if not isinstance(ports, dict):
            raise _Damaged(f"tasks.{task}.ports: expected {{service: port}}")
        for service, port in ports.items():
            if not _SERVICE.fullmatch(service):
                raise _Damaged(f"tasks.{task}.ports: service name {service!r}")
            if type(port) is not int or not 1 <= port <= 65535:
                raise _Damaged(f"tasks.{task}.ports.{service}: expected a port, got {port!r}")
        claims[task] = Claim(task, worktree, dict(ports))
    return claims


def _dump(registry: Registry) -> str:
    """Valid JSON with one task per line (readable, and json's fast encoder: no `indent`)."""
    rows = [
        f"  {json.dumps(c.task)}: {json.dumps({'worktree': c.worktree, 'ports': c.ports})}"
        for c in sorted(registry.claims.values(), key=lambda c: c.task)
    ]
    body = "\n" + ",\n".join(rows) + "\n" if rows else ""
    return f'{{"version": {REGISTRY_VERSION}, "tasks": {{{body}}}}}\n'


def _save(registry: Registry) -> None:
    try:
        safefs.write_atomic(registry.path, _dump(registry))
    except OSError as exc:
        raise InputError(f"cannot write the port registry: {safefs.describe(exc)}") from None
