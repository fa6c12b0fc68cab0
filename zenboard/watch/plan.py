"""From a batch of changed files to what each suite reruns, and in which order.

Pure logic (no watcher, no processes). A suite is affected by a change to its `paths`, to one
of its test files (those its last run collected, else the `test_*.py` under its directory), or to
a module they import; configuration files (`conftest.py`, `pyproject.toml`...) affect everything
under them. A rerun has up to two phases, each a run of its own: the previously failed and the
affected tests first (without xdist when they are few, failed ones first through
`plugins/run_first.py`), then the rest of the suite with its workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from zenboard.config import SuiteConfig
from zenboard.model.events import FAILED_OUTCOMES as FAILED
from zenboard.watch.impact import is_test_file
from zenboard.wire import ENV_RUN_FIRST

WHOLE_PROJECT_FILES = frozenset(
    {
        "conftest.py",
        "pyproject.toml",
        "zenboard.toml",
        "pytest.ini",
        "setup.cfg",
        "tox.ini",
    }
)
SERIAL_MAX_TESTS = 40
"""A first phase with at most this many known tests runs without xdist."""
RUN_FIRST_PLUGIN = "zenboard.plugins.run_first"


@dataclass(frozen=True)
class SuiteRecord:
    """What the last runs of a suite said: its rootdir and each test's outcome, in run order."""

    rootdir: str = ""
    outcomes: Mapping[str, str] = field(default_factory=dict)

    def file_of(self, nodeid: str) -> Path:
        return Path(self.rootdir) / nodeid.partition("::")[0]

    def test_files(self) -> set[Path]:
        return {self.file_of(n) for n in self.outcomes}


@dataclass(frozen=True)
class SuiteImpact:
    suite: str
    whole: bool
    """A change affects the whole suite (configuration, conftest, a configured path)."""
    files: tuple[Path, ...] = ()
    """The suite's test files the change affects (run first), when not whole."""


@dataclass(frozen=True)
class PlannedPhase:
    nodeids: tuple[str, ...]
    """Nodeids (relative to the suite's rootdir) or absolute test file paths; empty: the suite."""
    serial: bool = False
    """Run without xdist (a small first phase starts much faster that way)."""
    first: tuple[str, ...] = ()
    """Previously failed nodeids, which this phase runs before anything else."""
    label: str = ""


@dataclass(frozen=True)
class SuitePlan:
    suite: str
    rootdir: str
    phases: tuple[PlannedPhase, ...]


def suite_impact(
    suite: SuiteConfig,
    changed: set[Path],
    importers: set[Path],
    record: SuiteRecord | None,
    new_test_files: set[Path],
) -> SuiteImpact | None:
    """How `changed` (with `importers`: changed files and all their importers) affects `suite`.

    Args:
        suite: The suite.
        changed: The changed files.
        importers: The changed files and every project file that imports them.
        record: What the suite's last runs said (None: it has not run).
        new_test_files: Test files created since the suite last ran.
    """
    if any(p.name in WHOLE_PROJECT_FILES for p in changed):
        return SuiteImpact(suite.name, whole=True)
    configured = [(suite.cwd / p).resolve() for p in suite.paths]
    if any(p == c or p.is_relative_to(c) for p in changed for c in configured):
        return SuiteImpact(suite.name, whole=True)
    if suite.kind != "pytest":
        return None
    roots = search_roots(suite)
    conftests = [p.parent for p in importers if p.name == "conftest.py"]
    if any(_under(r, (c,)) or _under(c, roots) for c in conftests for r in roots):
        return SuiteImpact(suite.name, whole=True)  # a conftest's imports reach all its tests
    known = record.test_files() if record and record.outcomes else None
    if known is None:
        affected = {p for p in importers if is_test_file(p) and _under(p, roots)}
    else:
        affected = (importers & known) | {p for p in new_test_files if _under(p, roots)}
    if not affected:
        return None
    return SuiteImpact(suite.name, whole=False, files=tuple(sorted(affected)))


def search_roots(suite: SuiteConfig) -> tuple[Path, ...]:
    """Where a suite's test files are: the paths its args name, else its directory."""
    named = []
    for arg in suite.args:
        if arg.startswith("-"):
            continue
        candidate = (suite.cwd / arg.partition("::")[0]).resolve()
        if candidate.exists():
            named.append(candidate)
    return tuple(named) or (suite.cwd,)


def _under(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path == r or path.is_relative_to(r) for r in roots)


def plan_suite(
    impact: SuiteImpact, record: SuiteRecord | None, run_rest: bool = True
) -> SuitePlan | None:
    """The phases of one suite's rerun (None when nothing is left to run)."""
    outcomes = record.outcomes if record else {}
    rootdir = record.rootdir if record else ""
    failed = tuple(n for n, o in outcomes.items() if o in FAILED)
    whole_run = PlannedPhase((), label="all")
    if impact.whole or not outcomes:
        failed = tuple(n for n in failed if record is not None and record.file_of(n).is_file())
        if failed:
            return SuitePlan(
                impact.suite, rootdir, (PlannedPhase(failed, True, failed, "failed"), whole_run)
            )
        return SuitePlan(impact.suite, rootdir, (whole_run,))
    assert record is not None
    affected = set(impact.files)
    alive = [f for f in impact.files if f.is_file()]
    failed_alive = tuple(n for n in failed if record.file_of(n).is_file())
    first_nodeids = (
        *(n for n in failed_alive if record.file_of(n) not in affected),
        *(str(f) for f in alive),
    )
    size = len(failed_alive) + sum(1 for n in outcomes if record.file_of(n) in affected)
    phases: list[PlannedPhase] = []
    if first_nodeids:
        serial = size <= SERIAL_MAX_TESTS
        phases.append(PlannedPhase(first_nodeids, serial, failed_alive, "failed+affected"))
    rest = tuple(n for n in outcomes if n not in failed and record.file_of(n) not in affected)
    if run_rest and rest:
        phases.append(PlannedPhase(rest, label="rest"))
    return SuitePlan(impact.suite, rootdir, tuple(phases)) if phases else None


def plan_reruns(
    suites: Iterable[SuiteConfig],
    changed: set[Path],
    importers: set[Path],
    records: Mapping[str, SuiteRecord],
    new_test_files: set[Path],
    run_rest: bool = True,
) -> list[SuitePlan]:
    """Every affected suite's plan, in configuration order.

    Args:
        suites: The suites watched, in configuration order.
        changed: The changed files.
        importers: The changed files and every project file that imports them.
        records: suite name -> what its last runs said.
        new_test_files: Test files created since the suites last ran.
        run_rest: Add the phase that runs the rest of each suite.
    """
    plans: list[SuitePlan] = []
    for suite in suites:
        record = records.get(suite.name)
        impact = suite_impact(suite, changed, importers, record, new_test_files)
        if impact is None:
            continue
        plan = plan_suite(impact, record, run_rest)
        if plan is not None:
            plans.append(plan)
    return plans


def phase_suite(suite: SuiteConfig, phase: PlannedPhase) -> SuiteConfig:
    """The suite as this phase runs it: without xdist if serial, failed tests first if any.

    A phase may select nothing (the suite's tests moved, a rerun after a rename): never an
    empty-suite error, which is for runs of the whole suite.
    """
    suite = replace(suite, allow_empty=True)
    if phase.serial and suite.workers != 0:
        suite = replace(suite, workers=0)
    if phase.first and suite.kind != "playwright":  # pytest's plugin; Playwright has no `-p`
        suite = replace(
            suite,
            args=(*suite.args, "-p", RUN_FIRST_PLUGIN),
            env={**suite.env, ENV_RUN_FIRST: "\n".join(phase.first)},
        )
    return suite
