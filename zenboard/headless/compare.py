"""Sequential versus parallel: the same tests, both ways, and why they differ.

The sequential run is each suite without xdist (`-n 0`), one after another; the parallel run is
the ordinary run. A test whose outcome differs is rerun a few times in each mode: the same
outcome within each mode but different between them is an isolation leak, different outcomes
within one mode a flaky test. Tests that fail in both modes, tests that needed a retry in either
(a flake the retry hid) and suites that could not complete are listed too, and `zenboard
compare` exits 1 on them as on a difference.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.headless.verify import QuietRun, incomplete, outcomes, retried, run_quietly
from zenboard.model.events import FAILED_OUTCOMES as FAILED

ABSENT = "absent"


@dataclass
class Difference:
    suite: str
    nodeid: str
    sequential: list[str] = field(default_factory=list)
    """Outcomes without xdist: the first run, then the reruns."""
    parallel: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if len(set(self.sequential)) > 1 or len(set(self.parallel)) > 1:
            return "flaky"
        return "isolation leak"


@dataclass
class Comparison:
    sequential_wall: float
    parallel_wall: float
    tests: int
    differences: list[Difference]
    failing: list[tuple[str, str, str]] = field(default_factory=list)
    """(suite, nodeid, outcome) of each test that failed or errored alike in both modes."""
    incomplete: list[str] = field(default_factory=list)
    """A line per suite that could not complete in a mode (its outcomes are not all there)."""
    retried: list[tuple[str, str, str]] = field(default_factory=list)
    """(suite, nodeid, mode) of each test that needed a retry: never a sound comparison."""

    @property
    def reduction(self) -> float:
        """Wall time saved by the parallel run, in percent of the sequential one (negative:
        the parallel run took longer)."""
        if self.sequential_wall <= 0:
            return 0.0
        return 100.0 * (1 - self.parallel_wall / self.sequential_wall)

    @property
    def sound(self) -> bool:
        """Same outcomes both ways, none of them a failure or a retried pass, every suite
        complete: exit 0."""
        return not (self.differences or self.failing or self.incomplete or self.retried)

    def time_saved(self) -> str:
        """The wall times compared in words: `parallel took 27 % less time` (or `... longer`),
        with the space the docs' prose puts before a percent sign."""
        percent = round(-self.reduction)
        if self.sequential_wall <= 0 or percent == 0:
            return "parallel took as long"
        if percent > 0:
            return f"parallel took {percent} % longer"
        return f"parallel took {-percent} % less time"


def sequential(suites: tuple[SuiteConfig, ...]) -> tuple[SuiteConfig, ...]:
    return tuple(dataclasses.replace(s, workers=0) for s in suites)


def run_sequentially(
    config: ProjectConfig,
    suites: tuple[SuiteConfig, ...],
    report_dir: Path,
    selection: dict[str, tuple[tuple[str, ...], str]] | None = None,
    problems: list[str] | None = None,
    retries: list[tuple[str, str, str]] | None = None,
) -> tuple[dict[tuple[str, str], str], float]:
    """Each suite alone without xdist, one after another: outcomes and total wall time.

    Args:
        config: The project's configuration.
        suites: The suites to run, in this order.
        report_dir: Where the runs' reports go.
        selection: suite name -> (node ids, rootdir) to run instead of the whole suite; a
            suite it does not name is skipped (None: every suite, whole).
        problems: Gets a line per suite that could not complete.
        retries: Gets (suite, nodeid, "sequential") of each test that needed a retry.
    """
    found: dict[tuple[str, str], str] = {}
    wall = 0.0
    for suite in sequential(suites):
        chosen = {suite.name: selection[suite.name]} if selection is not None else None
        if selection is not None and suite.name not in selection:
            continue
        done = run_quietly(config, (suite,), report_dir, "compare", chosen)
        found.update(outcomes(done.state))
        wall += done.wall
        if problems is not None:
            problems += [f"sequential: {line}" for line in incomplete(done.state)]
        if retries is not None:
            retries += [(s, n, "sequential") for s, n in retried(done.state)]
    return found, wall


def compare(config: ProjectConfig, suites: tuple[SuiteConfig, ...], reruns: int = 2) -> Comparison:
    base = config.root / ".zenboard" / "reports" / "compare"
    problems: list[str] = []
    retries: list[tuple[str, str, str]] = []
    seq, seq_wall = run_sequentially(
        config, suites, base / "sequential", problems=problems, retries=retries
    )
    par_run: QuietRun = run_quietly(config, suites, base / "parallel", "compare")
    par = outcomes(par_run.state)
    retries += [(s, n, "parallel") for s, n in retried(par_run.state)]
    problems += [f"parallel: {line}" for line in incomplete(par_run.state)]
    failing = sorted(
        (s, n, outcome)
        for (s, n), outcome in seq.items()
        if outcome in FAILED and par.get((s, n)) == outcome
    )
    rootdirs = {s.name: s.rootdir for s in par_run.state.suites.values()}
    differing = sorted(k for k in set(seq) | set(par) if seq.get(k, ABSENT) != par.get(k, ABSENT))
    differences = [
        Difference(s, n, [seq.get((s, n), ABSENT)], [par.get((s, n), ABSENT)]) for s, n in differing
    ]
    if differences:
        names = {d.suite for d in differences}
        selection = {
            name: (tuple(d.nodeid for d in differences if d.suite == name), rootdirs.get(name, ""))
            for name in names
        }
        affected = tuple(s for s in suites if s.name in names)
        for _ in range(reruns):
            seq_again, _wall = run_sequentially(
                config, affected, base / "rerun-sequential", selection
            )
            par_again = outcomes(
                run_quietly(config, affected, base / "rerun-parallel", "compare").state
            )
            for d in differences:
                d.sequential.append(seq_again.get((d.suite, d.nodeid), ABSENT))
                d.parallel.append(par_again.get((d.suite, d.nodeid), ABSENT))
    tests = len(set(seq) | set(par))
    return Comparison(
        seq_wall, par_run.wall, tests, differences, failing, problems, sorted(retries)
    )
