"""What `zenboard init` looks for besides the tests: this machine's cores, the directories its
pytest tests live in, and the project's Playwright configurations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from zenboard.project.root import pytest_config_file

PLAYWRIGHT_CONFIGS = tuple(
    f"playwright.config.{ext}" for ext in ("ts", "js", "mts", "mjs", "cts", "cjs")
)
SCAN_DEPTH = 3
"""How deep below the root a Playwright configuration is looked for (`apps/web/e2e/` at most)."""
_SKIPPED = frozenset({"node_modules", "venv", "__pycache__", "build", "dist", "site-packages"})


def machine_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, where the system
    says), never more than `os.cpu_count()`."""
    total = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS and Windows have no affinity masks
        usable = total
    return max(1, min(usable, total))


def _scan(root: Path) -> Iterator[tuple[str, list[str]]]:
    """Each directory below `root` (relative, with '/', "." for the root), SCAN_DEPTH levels
    deep at most, with its file names; dependencies, virtualenvs and hidden dirs are not
    searched, and a name no config line or terminal can hold is skipped."""
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        depth = len(here.relative_to(root).parts)
        subdirs[:] = sorted(
            d for d in subdirs if not d.startswith(".") and d not in _SKIPPED and depth < SCAN_DEPTH
        )
        relative = here.relative_to(root).as_posix()
        if relative.isprintable():
            yield relative, files


def find_playwright_dirs(root: Path) -> list[str]:
    """The directories (relative to `root`, with '/', "." for the root itself) holding a
    Playwright configuration, in sorted order."""
    found = [d for d, files in _scan(root) if any(n in files for n in PLAYWRIGHT_CONFIGS)]
    return sorted(found)


def find_pytest_dirs(root: Path) -> list[str]:
    """The directories below `root` (not the root itself) holding a pytest configuration file
    (`backend/pytest.ini`), the outermost of nested ones, in sorted order."""
    found: list[str] = []
    for directory, _ in _scan(root):
        if directory == "." or any(directory.startswith(f"{d}/") for d in found):
            continue
        if pytest_config_file(root / directory) is not None:
            found.append(directory)
    return sorted(found)
