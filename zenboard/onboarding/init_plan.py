"""`zenboard init`'s plan: the project's marker families -> suites that partition its tests.

Pure: the inventory (tests and their markers), the core count and the Playwright directories
in, suites out. Family k's suite is `-m "fk and not f1 and not ... and not f(k-1)"` and the rest
is `-m "not f1 and ... and not fn"`, so every test lands in exactly one suite by construction
(a test with two families' markers goes to the first, in the project's registration order).
Workers are dealt out by tests per process (D'Hondt); a suite that would get fewer than two
runs without xdist. Why: docs/architecture.md, "Why the code is the way it is".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from zenboard.config import MAX_SUITE_NAME, MAX_WORKERS, RESERVED_SUITE_NAMES
from zenboard.words import plural

TESTS_PER_WORKER = 15
"""A worker must have this many tests to pay for its start (a fresh interpreter that imports the
project and collects it again, most of a second): a suite under 2 x 15 = 30 tests gets no xdist."""
REST_NAME = "rest"
NO_MARKERS_NAME = "tests"
E2E_NAME = "e2e"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXPRESSION_WORDS = frozenset({"and", "or", "not"})


@dataclass(frozen=True)
class PlannedSuite:
    name: str
    kind: str = "pytest"
    args: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    """The node ids the plan puts in this suite (pytest suites)."""
    workers: int = 0
    why: str = ""
    """Why this many workers, in words for the user."""
    cwd: str = "."
    """The directory the suite runs in, relative to the root, with '/' (Playwright suites)."""
    claimed: Mapping[str, int] = field(default_factory=dict)
    """Later families' markers on this suite's tests -> how many: tests that carry two families'
    markers and were placed here, the first family, rather than there."""


@dataclass(frozen=True)
class PartTests:
    """The tests of one directory whose pytest configuration they are collected with."""

    tests: Mapping[str, Sequence[str]]
    """node id -> the markers of the project's own that the test carries."""
    declared: Sequence[str]
    """The markers registered there, in registration order."""
    cwd: str = "."
    """The directory, relative to the root, with '/' ("." for the root itself)."""


@dataclass(frozen=True)
class PartPlan:
    cwd: str
    families: tuple[str, ...]
    """The marker families that became suites, in the order they claim tests."""
    not_families: tuple[tuple[str, str], ...] = ()
    """Markers in use that are no family, each with why (unregistered, not usable in `-m`)."""


@dataclass(frozen=True)
class Plan:
    suites: tuple[PlannedSuite, ...]
    cores: int
    parts: tuple[PartPlan, ...]
    """Per directory the tests are collected in (one, "." for most projects): its families."""

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(f for part in self.parts for f in part.families)

    @property
    def not_families(self) -> tuple[tuple[str, str], ...]:
        return tuple(n for part in self.parts for n in part.not_families)


def family_markers(
    tests: Mapping[str, Sequence[str]], declared: Sequence[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The markers that define suites: registered by the project and carried by a test, in
    registration order; and the other markers in use, each with the reason it is not one."""
    used = {m for markers in tests.values() for m in markers}
    families = tuple(
        m
        for m in dict.fromkeys(declared)
        if m in used and _IDENT.fullmatch(m) and m not in _EXPRESSION_WORDS
    )
    others: list[tuple[str, str]] = []
    for marker in sorted(used - set(families)):
        if marker not in declared:
            others.append((marker, "not registered by the project (pytest --markers)"))
        else:
            others.append((marker, "not a name a -m expression can hold"))
    return families, tuple(others)


def family_expression(family: str, earlier: Sequence[str]) -> str:
    """The `-m` expression of `family`'s suite: its tests, less those an earlier family holds."""
    return " and ".join([family, *(f"not {m}" for m in earlier)])


def rest_expression(families: Sequence[str]) -> str:
    """The `-m` expression of the rest: the tests that carry no family's marker."""
    return " and ".join(f"not {m}" for m in families)


def assign(
    tests: Mapping[str, Sequence[str]], families: Sequence[str]
) -> dict[str | None, list[str]]:
    """Each test under the first family it carries (None: the rest), as the expressions do."""
    groups: dict[str | None, list[str]] = {f: [] for f in families}
    groups[None] = []
    for nodeid, markers in tests.items():
        carried = set(markers)
        groups[next((f for f in families if f in carried), None)].append(nodeid)
    return groups


def size_workers(
    counts: Sequence[int], cores: int, other_processes: int = 0
) -> list[tuple[int, str]]:
    """Workers for suites of `counts` tests that run at once, with `other_processes` more
    (Playwright suites) beside them on `cores` cores; each with its reason."""
    caps = [min(cores, MAX_WORKERS, count // TESTS_PER_WORKER) for count in counts]
    processes = [1] * len(counts)
    running = len(counts) + other_processes
    for _ in range(max(cores - running, 0)):
        growable = [i for i, cap in enumerate(caps) if processes[i] < cap]
        if not growable:
            break
        best = max(growable, key=lambda i: (counts[i] / processes[i], -i))
        processes[best] += 1
    sized: list[tuple[int, str]] = []
    for cap, workers in zip(caps, processes, strict=True):
        if cap < 2:
            why = (
                f"xdist pays off from {2 * TESTS_PER_WORKER} tests ({TESTS_PER_WORKER} per worker)"
            )
            sized.append((0, why))
        elif workers < 2:
            why = f"{_at_once(running)} on {plural(cores, 'core')}: none left over for xdist"
            sized.append((0, why))
        elif workers == cap:
            limit = (
                f"the {plural(cores, 'core')}"
                if cap == cores
                else f"zenboard's limit, {MAX_WORKERS}"
                if cap == MAX_WORKERS
                else f"one per {TESTS_PER_WORKER} tests"
            )
            sized.append((workers, f"as many as it can use ({limit})"))
        else:
            why = f"its share by test count of the {plural(cores, 'core')} ({_at_once(running)})"
            sized.append((workers, why))
    return sized


def _at_once(running: int) -> str:
    return "1 suite runs" if running == 1 else f"{running} suites run at once"


def tests_word(count: int) -> str:
    return plural(count, "test")


def suite_name(wanted: str, taken: set[str]) -> str:
    """`wanted`, made a valid suite name not yet in `taken` (ignoring case); added to it."""
    base = wanted[: MAX_SUITE_NAME - 4]
    if base.lower() in RESERVED_SUITE_NAMES:
        base += "-tests"
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name.lower())
    return name


def plan(
    tests: Mapping[str, Sequence[str]],
    declared: Sequence[str],
    cores: int,
    playwright_dirs: Sequence[str] = (),
) -> Plan:
    """The suites for a project whose tests (collected in its root) carry `tests`' markers.

    Args:
        tests: node id -> the markers of the project's own that the test carries.
        declared: The markers the project registers, in registration order.
        cores: This machine's core count, shared among the suites.
        playwright_dirs: Directories holding a `playwright.config.*` (a suite each).
    """
    return plan_parts([PartTests(tests, declared)], cores, playwright_dirs)


def plan_parts(parts: Sequence[PartTests], cores: int, playwright_dirs: Sequence[str] = ()) -> Plan:
    """The suites for a project whose tests are collected in `parts` (its root, or directories
    below it with their own pytest configuration: their suites run there).

    Per part, a family whose tests all carry an earlier family's marker would select nothing
    (a run would exit 5 on it): it gets no suite, and its tests stay with the earlier family.
    The rest gets a suite only when some test carries no family's marker; a part without
    families gets one suite of every test. Workers are sized over every suite at once. With
    several parts, suite names start with the part's directory (`backend-unit`).

    Args:
        parts: The tests of each directory they are collected in, with its markers.
        cores: This machine's core count, shared among the suites.
        playwright_dirs: Directories holding a `playwright.config.*` (a suite each).
    """
    pytest_suites: list[PlannedSuite] = []
    part_plans: list[PartPlan] = []
    for part in parts:
        prefix = f"{_slug(part.cwd)}-" if len(parts) > 1 else ""
        whole = _slug(part.cwd) if len(parts) > 1 else NO_MARKERS_NAME
        families, not_families = family_markers(part.tests, part.declared)
        groups = assign(part.tests, families)
        kept = [f for f in families if groups[f]]
        for i, family in enumerate(kept):
            pytest_suites.append(
                PlannedSuite(
                    name=prefix + family,
                    args=("-m", family_expression(family, kept[:i])),
                    tests=tuple(groups[family]),
                    cwd=part.cwd,
                    claimed=_claimed(part.tests, groups[family], kept[i + 1 :]),
                )
            )
        if not kept:
            pytest_suites.append(PlannedSuite(name=whole, tests=tuple(part.tests), cwd=part.cwd))
        elif groups[None]:
            pytest_suites.append(
                PlannedSuite(
                    name=prefix + REST_NAME,
                    args=("-m", rest_expression(kept)),
                    tests=tuple(groups[None]),
                    cwd=part.cwd,
                )
            )
        absorbed = tuple(
            (f, "every test it marks carries an earlier family's marker")
            for f in families
            if f not in kept
        )
        part_plans.append(PartPlan(part.cwd, tuple(kept), absorbed + not_families))
    sized = size_workers([len(s.tests) for s in pytest_suites], cores, len(playwright_dirs))
    taken: set[str] = set()
    suites = [
        replace(suite, name=suite_name(suite.name, taken), workers=workers, why=why)
        for suite, (workers, why) in zip(pytest_suites, sized, strict=True)
    ]
    for directory in playwright_dirs:
        wanted = E2E_NAME if len(playwright_dirs) == 1 else f"{E2E_NAME}-{_slug(directory)}"
        suites.append(
            PlannedSuite(
                name=suite_name(wanted, taken),
                kind="playwright",
                cwd=directory,
                workers=1,
                why="Playwright's tests are not counted here: one worker to start with",
            )
        )
    return Plan(tuple(suites), cores, tuple(part_plans))


def _claimed(
    tests: Mapping[str, Sequence[str]], nodeids: Sequence[str], later: Sequence[str]
) -> dict[str, int]:
    counts = {m: sum(1 for n in nodeids if m in tests[n]) for m in later}
    return {m: c for m, c in counts.items() if c}


def _slug(directory: str) -> str:
    """A directory as part of a suite name: letters, digits, '.', '_', '-' only."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", directory.strip("./")).strip("-.")
    return slug or "root"
