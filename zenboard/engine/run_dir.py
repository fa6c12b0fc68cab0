"""A suite run's private dir (`ZENBOARD_RUN_DIR`): its media dirs and its workers' claim files.

One per run of a suite, made (`mkdtemp`, 0700) just before the suite starts and removed when
it ends, cancelled included, so every run's media dirs are its own and none outlives it. Its
name holds zenboard's pid: a dir left by a zenboard that was killed is removed by the next one
(`sweep_stale`), as the report dir's staging dirs are.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

from zenboard.wire import RUN_CLAIMS, RUN_MEDIA

PREFIX = "zenboard-run-"
_swept = threading.Event()


def make(suite: str) -> Path:
    """A new private dir for a run of `suite`, holding empty `media/` and `claims/` (0700)."""
    if not _swept.is_set():
        _swept.set()
        sweep_stale()
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-{suite}-"))
    for folder in (RUN_MEDIA, RUN_CLAIMS):
        (path / folder).mkdir(mode=0o700)
    return path


def remove(path: Path) -> None:
    """Remove the run's dir and whatever the tests left in it (best effort: never fatal); dirs
    a test made unreadable or read-only are opened up first (never through a symlink)."""
    shutil.rmtree(path, ignore_errors=True)
    if not os.path.lexists(path):
        return
    for folder, dirs, _files in os.walk(path):
        for name in (folder, *(os.path.join(folder, d) for d in dirs)):
            if not os.path.islink(name):
                with contextlib.suppress(OSError):
                    os.chmod(name, 0o700)
    shutil.rmtree(path, ignore_errors=True)


def sweep_stale(base: Path | None = None) -> None:
    """Remove run dirs of this user's zenboards that are gone (killed before they cleaned up)."""
    base = Path(tempfile.gettempdir()) if base is None else base
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(PREFIX):
            continue
        pid = entry.name[len(PREFIX) :].split("-", 1)[0]
        try:
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            info = entry.stat(follow_symlinks=False)
            if not entry.is_dir(follow_symlinks=False) or info.st_uid != os.geteuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                remove(Path(entry.path))
        except OSError:
            continue
