"""Do the suites partition the project's tests? Every test in exactly one suite, none empty.

The project's tests are what plain `pytest` collects in the root (its own testpaths and
configuration); each pytest suite's are what it collects with its own args, cwd and interpreter.
Suites may run in different directories under different rootdirs, so node ids are compared
made absolute (`<rootdir>/<path>::<rest>`). `zenboard audit` reports the findings and `zenboard
init` checks its own plan with the same function.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from zenboard.config import SuiteConfig
from zenboard.planning.collect import Collected, collect


def absolute(nodeid: str, rootdir: str) -> str:
    """`nodeid` (relative to `rootdir`) with its path made absolute and normalised."""
    path, sep, rest = nodeid.partition("::")
    return os.path.normpath(os.path.join(os.path.realpath(rootdir), path)) + sep + rest


def shown(nodeid: str, root: Path) -> str:
    """An absolute node id as the user reads it: its path relative to the project root."""
    path, sep, rest = nodeid.partition("::")
    return os.path.relpath(path, os.path.realpath(root)) + sep + rest


@dataclass(frozen=True)
class Findings:
    total: int
    """Tests plain pytest collects in the root."""
    counts: Mapping[str, int]
    """Suite -> the tests it collects (the suites that could be collected)."""
    unassigned: tuple[str, ...] = ()
    """Absolute node ids of tests in no suite, in collection order."""
    duplicated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Absolute node id -> the suites (two or more) that each collect it."""
    empty: tuple[str, ...] = ()
    """Suites that collect no test."""
    errors: Mapping[str, str] = field(default_factory=dict)
    """Suite -> why it could not be collected."""

    @property
    def clean(self) -> bool:
        return not (self.unassigned or self.duplicated or self.empty or self.errors)


def find(
    every: Sequence[str],
    suites: Mapping[str, Sequence[str] | str],
    may_be_empty: Iterable[str] = (),
) -> Findings:
    """The findings for a project whose tests are `every` (absolute ids) and whose suites
    collect `suites` (name -> absolute ids, or the error that kept it from collecting)."""
    owners: dict[str, list[str]] = {}
    errors = {name: got for name, got in suites.items() if isinstance(got, str)}
    collected = {name: got for name, got in suites.items() if not isinstance(got, str)}
    for name, nodeids in collected.items():
        for nodeid in dict.fromkeys(nodeids):
            owners.setdefault(nodeid, []).append(name)
    allowed = set(may_be_empty)
    return Findings(
        total=len(every),
        counts={name: len(set(ids)) for name, ids in collected.items()},
        unassigned=tuple(n for n in dict.fromkeys(every) if n not in owners),
        duplicated={n: tuple(names) for n, names in owners.items() if len(names) > 1},
        empty=tuple(name for name, ids in collected.items() if not ids and name not in allowed),
        errors=errors,
    )


def collect_suites(suites: Sequence[SuiteConfig]) -> dict[str, Sequence[str] | str]:
    """Each pytest suite's absolute node ids (or its collection error), collected side by side
    (each is a pytest process that mostly waits on imports)."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(suites), os.cpu_count() or 1))) as pool:
        done: list[Collected] = list(pool.map(collect, suites))
    return {
        suite.name: got.error or [absolute(n, got.rootdir) for n in got.nodeids]
        for suite, got in zip(suites, done, strict=True)
    }
