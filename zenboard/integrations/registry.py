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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from zenboard.errors import InputError
from zenboard.integrations.tasks import git_common_dir

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


def registry_dir(root: Path) -> Path:
    """Where the registry of the repository containing `root` lives."""
    common = git_common_dir(root)
    if common is not None:
        return common / "zenboard"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "zenboard"


@contextmanager
def locked_registry(directory: Path, write: bool = True) -> Iterator[Registry]:
    """Hold the lock while the caller reads (and, with `write`, changes) the registry."""
    path = directory / "ports.json"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock = (directory / "ports.lock").open("a+")
    except OSError as exc:
        raise InputError(f"{directory}: cannot open the port registry ({exc.strerror})") from None
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


def _load(path: Path) -> Registry:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Registry(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the port registry ({exc.strerror})") from None
    try:
        data = json.loads(text)
        claims = {
            task: Claim(
                task, str(raw["worktree"]), {str(k): int(v) for k, v in raw["ports"].items()}
            )
            for task, raw in data["tasks"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError(
            f"{path}: the port registry is damaged (delete it to start afresh)"
        ) from None
    return Registry(path, claims)


def _dump(registry: Registry) -> str:
    """Valid JSON with one task per line (readable, and json's fast encoder: no `indent`)."""
    rows = [
        f"  {json.dumps(c.task)}: {json.dumps({'worktree': c.worktree, 'ports': c.ports})}"
        for c in sorted(registry.claims.values(), key=lambda c: c.task)
    ]
    body = "\n" + ",\n".join(rows) + "\n" if rows else ""
    return f'{{"version": {REGISTRY_VERSION}, "tasks": {{{body}}}}}\n'


def _save(registry: Registry) -> None:
    tmp = registry.path.with_name(f".{registry.path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(_dump(registry), encoding="utf-8")
        os.replace(tmp, registry.path)
    except OSError as exc:
        raise InputError(f"{registry.path}: cannot write ({exc.strerror})") from None
