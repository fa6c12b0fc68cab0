"""Where a project's pytest tests are collected: its root, or the directories below it that
hold their own pytest configuration.

A monorepo layout (`backend/pytest.ini`, `frontend/`, a compose file at the top) has no pytest
configuration at its root: plain pytest there would collect `backend/`'s tests without their
settings (registered markers, `pythonpath`, Django's settings module). So when the root holds
no pytest configuration, directories below it do, and the root has no tests of its own outside
them, each of those directories is a part: its tests are collected there and its suites run
there (`cwd`). Otherwise the root is the one part, as plain pytest in it sees the tests.
`zenboard init` plans suites per part and `zenboard audit` checks them against the same parts.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from zenboard.onboarding.project_scan import find_pytest_dirs
from zenboard.planning.inventory import Inventory, take_inventory
from zenboard.project.root import pytest_config_file


@dataclass(frozen=True)
class Part:
    cwd: str
    """The directory, relative to the root, with '/' ("." for the root itself)."""
    inventory: Inventory

    def where(self, root: Path) -> Path:
        return root if self.cwd == "." else root / self.cwd


def read_parts(python: str, root: Path) -> list[Part]:
    """The parts of the project at `root`, each with its tests as plain pytest collects them
    there with `python` (one process per part, side by side)."""
    below = [] if pytest_config_file(root) is not None else find_pytest_dirs(root)
    if below:
        own = take_inventory(python, root, [f"--ignore={d}" for d in below])
        if not own.error and not own.tests:
            workers = max(1, min(len(below), os.cpu_count() or 1))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                found = list(pool.map(lambda d: take_inventory(python, root / d), below))
            return [Part(d, inventory) for d, inventory in zip(below, found, strict=True)]
    return [Part(".", take_inventory(python, root))]


def parts_error(parts: Sequence[Part]) -> str:
    """Why some part's tests cannot be collected ("" when all can), naming the part."""
    for part in parts:
        error = part.inventory.error
        if error:
            return error if part.cwd == "." else f"{part.cwd}/: {error}"
    return ""


def marker_counts(parts: Sequence[Part]) -> list[tuple[str, int]]:
    """The project's markers the tests of every part carry, and on how many, most used first."""
    counts: Counter[str] = Counter()
    for part in parts:
        counts.update(dict(part.inventory.marker_counts()))
    return counts.most_common()


def every_test(parts: Sequence[Part]) -> list[str]:
    """Every part's tests as absolute node ids (see onboarding/audit.py), in collection order."""
    from zenboard.onboarding.audit import absolute

    return [absolute(n, p.inventory.rootdir) for p in parts for n in p.inventory.tests]
