"""What watch mode never reacts to: caches, virtualenvs, git-ignored files, and whatever runs write.

Two layers. `WatchFilter` judges each raw change by name, cheaply, in the watcher thread:
watchfiles' default names, version-control and cache dirs, virtualenvs, zenboard's own
`.zenboard/` and `.zenflow/`, report dirs, Playwright's `test-results/`, SQLite files and
per-worker (`gw0`) databases and media dirs, relative to the watched root (a project under,
say, `/tmp/env/` is still watched). `GitIgnore` then asks git once per batch about what is left.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from watchfiles import Change, DefaultFilter

from zenboard.project.git import git_output, run_git

RUN_OUTPUT_DIRS = (
    ".zenboard",
    ".zenflow",
    "test-results",
    "playwright-report",
    "blob-report",
    "htmlcov",
    ".ruff_cache",
    ".nox",
    ".eggs",
    "venv",
    ".cache",
    "site-packages",
)
"""Directories that tools and test runs write into (beside DefaultFilter's own list)."""

RUN_OUTPUT_PATTERNS = (
    r"\.sqlite3?(-journal|-wal|-shm)?$",
    r"\.db(-journal|-wal|-shm)?$",
    r"(^|[_.-])gw\d+([_.-]|$)",
    r"^media_\d+(_gw\d+)?$",
    r"^\.coverage(\..*)?$",
    r"\.egg-info$",
    r"^zenboard-.*\.tmp$",
)
"""Names of things runs write: databases (per worker too), media dirs named per worker, coverage."""

VENV_MARKER = "pyvenv.cfg"


def find_virtualenvs(roots: Iterable[Path], depth: int = 2) -> list[Path]:
    """Directories holding a `pyvenv.cfg` within `depth` levels of `roots`, whatever their name."""
    found: list[Path] = []
    level = [r for r in roots if r.is_dir()]
    for _ in range(depth + 1):
        below: list[Path] = []
        for directory in level:
            if (directory / VENV_MARKER).is_file():
                found.append(directory)
                continue
            try:
                below += [e for e in directory.iterdir() if e.is_dir() and not e.is_symlink()]
            except OSError:
                continue
        level = below
    active = os.environ.get("VIRTUAL_ENV")
    if active:
        found.append(Path(active).resolve())
    return found


IGNORED_DIRS = frozenset((*DefaultFilter.ignore_dirs, *RUN_OUTPUT_DIRS))
"""Directory names never watched: watchfiles' defaults (its public class attribute) and ours."""
IGNORED_NAMES = tuple(
    re.compile(pattern) for pattern in (*DefaultFilter.ignore_entity_patterns, *RUN_OUTPUT_PATTERNS)
)
"""Names never watched: watchfiles' default patterns (editor swap files, say) and ours."""


class WatchFilter:
    """A watchfiles filter: watchfiles' default names plus everything runs write, judged below
    the watched roots (a callable `(change, path) -> bool`, as `watch_filter` takes)."""

    def __init__(
        self,
        roots: Sequence[Path],
        project_root: Path,
        ignore_paths: Sequence[Path] = (),
        globs: Sequence[str] = (),
    ) -> None:
        """
        Args:
            roots: The watched directories: names are judged below them, and virtualenvs
                within two levels of them are ignored.
            project_root: The project's root, which `globs` are relative to.
            ignore_paths: Absolute paths whose changes, and those below them, never count (the
                report dir, say).
            globs: Extra patterns (`[tool.zenboard.watch]`'s `ignore`), relative to
                `project_root`; one that names a directory also covers everything below it.
        """
        venvs = find_virtualenvs(roots)
        self._ignore_paths = tuple(str(p) for p in (*ignore_paths, *venvs))
        self._roots = tuple(sorted((str(r) for r in roots), key=len, reverse=True))
        self._project_root = project_root
        self._globs = tuple(globs)

    def __call__(self, change: Change, path: str) -> bool:
        return not self.ignores(path)

    def ignores(self, path: str) -> bool:
        """True when changes to `path` (absolute) never trigger a run."""
        if self._ignore_paths and (
            path.startswith(self._ignore_paths) or path in self._ignore_paths
        ):
            return True
        return self.ignored_name(path)

    def ignored_name(self, path: str) -> bool:
        """True when a component of `path` below its watched root is an ignored name."""
        relative = path
        for root in self._roots:
            if path.startswith(root + os.sep):
                relative = path[len(root) + 1 :]
                break
        parts = relative.split(os.sep)
        for part in parts:
            if part in IGNORED_DIRS or any(r.search(part) for r in IGNORED_NAMES):
                return True
        if self._globs:
            try:
                rel = Path(path).relative_to(self._project_root).as_posix()
            except ValueError:
                return False
            return any(
                fnmatch.fnmatch(rel, g) or rel.startswith(g.rstrip("/") + "/") for g in self._globs
            )
        return False


class GitIgnore:
    """Asks git which changed paths it ignores; inert outside a git work tree or without git."""

    def __init__(self, root: Path) -> None:
        self.root = root
        top = git_output(root, "rev-parse", "--show-toplevel")
        self.toplevel: Path | None = Path(top).resolve() if top else None

    def ignored(self, paths: Iterable[str]) -> set[str]:
        """The subset of `paths` (absolute) that git ignores; empty when git cannot tell."""
        if self.toplevel is None:
            return set()
        inside = [p for p in paths if Path(p).is_relative_to(self.toplevel)]
        if not inside:
            return set()
        done = run_git(
            self.toplevel, "check-ignore", "--stdin", "-z", stdin="\0".join(inside).encode()
        )
        if done is None or done.returncode != 0:
            return set()  # 1: nothing ignored; 128: git could not tell
        names = [n for n in done.stdout.decode(errors="replace").split("\0") if n]
        return {str((self.toplevel / n).resolve()) if not os.path.isabs(n) else n for n in names}
