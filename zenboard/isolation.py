"""Per-worker isolation helpers for a project's own test settings.

Two xdist workers (or CI machines) sharing one test database or media directory make tests fail
by scheduling; the cure is a name per worker. This module gives a normalised worker suffix and
names built from it, in pure standard library, so a settings module can import it early::

    from zenboard.isolation import db_name, media_dir

    DATABASES["default"]["NAME"] = db_name("test_app")        # test_app_gw0 on worker gw0
    MEDIA_ROOT = media_dir(tempfile.gettempdir(), "app_media")  # /tmp/app_media_gw0

The suffix keeps both `CI_NODE_INDEX` and `PYTEST_XDIST_WORKER`, machine first (`1_gw0`), else
either one, else `"0"`. With pytest-django use `db_name(prefix, xdist=False)`: pytest-django
already adds the worker. `environ` parameters make the functions testable without `os.environ`.
The whole story, the pytest-django hazard included: docs/isolation.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from zenboard import safefs

XDIST_VARIABLE = "PYTEST_XDIST_WORKER"
CI_NODE_VARIABLE = "CI_NODE_INDEX"
DEFAULT_SUFFIX = "0"


def normalise(raw: str) -> str:
    """`raw` reduced to ASCII letters, digits and `_`, lowercased ("" when nothing is left)."""
    return "".join(ch for ch in raw if ch.isascii() and (ch.isalnum() or ch == "_")).lower()


def _part(environ: Mapping[str, str], variable: str) -> str:
    return normalise(environ.get(variable, ""))


def worker_suffix(environ: Mapping[str, str] | None = None, *, xdist: bool = True) -> str:
    """This process's normalised worker suffix: `gw0`, `1_gw0`, `1` or `0`.

    `xdist=False` leaves the xdist worker out (see the pytest-django hazard in the module
    docstring); the CI machine index, when set, is always kept.
    """
    env = os.environ if environ is None else environ
    parts = [_part(env, CI_NODE_VARIABLE)]
    if xdist:
        parts.append(_part(env, XDIST_VARIABLE))
    return "_".join(p for p in parts if p) or DEFAULT_SUFFIX


def db_name(prefix: str, environ: Mapping[str, str] | None = None, *, xdist: bool = True) -> str:
    """A database name for this worker: `test_demo` -> `test_demo_gw0`.

    With `xdist=False` and no CI machine index the name is `prefix` unchanged (pytest-django
    then adds `_gw0` itself); it never ends in a bare `_0` added on top of a pytest-django suffix.
    """
    if not prefix:
        raise ValueError("db_name: prefix must not be empty")
    env = os.environ if environ is None else environ
    if not xdist and not _part(env, CI_NODE_VARIABLE):
        return prefix
    return f"{prefix}_{worker_suffix(env, xdist=xdist)}"


def media_dir(
    base: str | os.PathLike[str], prefix: str = "media", environ: Mapping[str, str] | None = None
) -> Path:
    """This worker's media directory `<base>/<prefix>_<suffix>`, created if missing.

    Only the directory is made here; emptying it between runs or tests is the caller's choice
    (a leftover directory named after its worker is what makes a failed run easy to inspect).
    `base` is the caller's and is made as usual; the worker's directory below it is never a
    symlink (`safefs.SymlinkRefused`, an `OSError`): in a shared `/tmp` another user could
    plant `/tmp/media_gw0 -> ~/project` and have the tests write, or clean up, there.
    """
    if not prefix:
        raise ValueError("media_dir: prefix must not be empty")
    path = Path(base) / f"{prefix}_{worker_suffix(environ)}"
    with safefs.open_dir(path, Path(base)):
        pass
    return path
