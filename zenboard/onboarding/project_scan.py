"""What `zenboard init` looks for besides the tests: this machine's cores and the project's
Playwright configurations."""

from __future__ import annotations

import os
from pathlib import Path

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


def find_playwright_dirs(root: Path) -> list[str]:
    """The directories (relative to `root`, with '/', "." for the root itself) holding a
    Playwright configuration, in sorted order; dependencies, virtualenvs and hidden dirs are
    not searched."""
    found: list[str] = []
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        depth = len(here.relative_to(root).parts)
        subdirs[:] = sorted(
            d for d in subdirs if not d.startswith(".") and d not in _SKIPPED and depth < SCAN_DEPTH
        )
        if any(name in files for name in PLAYWRIGHT_CONFIGS):
            relative = here.relative_to(root).as_posix()
            if relative.isprintable():  # a name no config line or terminal can hold is skipped
                found.append(relative)
    return sorted(found)
