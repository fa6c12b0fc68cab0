"""A private directory for files a suite's command line points at (argfiles, test lists).

Most runs need none, so it is made on first use (no cost before a suite starts), private to
this user (mkdtemp's 0700), and removed when zenboard exits or its engine is collected.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path


class ScratchDir:
    def __init__(self, prefix: str = "zenboard-") -> None:
        self._prefix = prefix
        self._path: Path | None = None
        self._lock = threading.Lock()
        """Suites start from several threads (a watch phase from its waiter): one directory."""

    def path(self) -> Path:
        """The directory, made on the first call."""
        with self._lock:
            if self._path is None:
                import shutil
                import tempfile

                self._path = Path(tempfile.mkdtemp(prefix=self._prefix))
                weakref.finalize(self, shutil.rmtree, self._path, ignore_errors=True)
            return self._path
