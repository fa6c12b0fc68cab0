"""Sequential versus parallel (spec 6.2): the same tests, both ways, and why they differ.

The sequential run is each suite without xdist (`-n 0`), one suite after another, so nothing
runs beside anything; the parallel run is the ordinary run, every suite at once with its
workers. A test whose outcome differs is then rerun a few times in each mode:
- the same outcome on every repeat of a mode, but different between modes: an isolation leak
  (a shared database, file or global state; it fails because of what runs beside it);
- different outcomes between repeats of one mode: a flaky test (it fails by chance).
A leak needs its partner to show, so the parallel reruns repeat the whole suites that hold the
differing tests; the sequential reruns run just those tests, alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.verify import QuietRun, outcomes, run_quietly

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

    @property
    def reduction(self) -> float:
        """Wall time saved by the parallel run, in percent of the sequential one."""
        if self.sequential_wall <= 0:
            return 0.0
        return 100.0 * (1 - self.parallel_wall / self.sequential_wall)


def sequential(suites: tuple[SuiteConfig, ...]) -> tuple[SuiteConfig, ...]:
    return tuple(dataclasses.replace(s, workers=0) for s in suites)


def run_sequentially(
    config: ProjectConfig,
    suites: tuple[SuiteConfig, ...],
    report_dir: Path,
    selection: dict[str, tuple[tuple[str, ...], str]] | None = None,
) -> tuple[dict[tuple[str, str], str], float]:
    """Each suite alone without xdist, one after another: outcomes and total wall time."""
    found: dict[tuple[str, str], str] = {}
    wall = 0.0
    for suite in sequential(suites):
        chosen = {suite.name: selection[suite.name]} if selection is not None else None
        if selection is not None and suite.name not in selection:
            continue
        done = run_quietly(config, (suite,), report_dir, "compare", chosen)
        found.update(outcomes(done.state))
        wall += done.wall
    return found, wall


def compare(config: ProjectConfig, suites: tuple[SuiteConfig, ...], reruns: int = 2) -> Comparison:
    base = config.root / ".zenboard" / "reports" / "compare"
    seq, seq_wall = run_sequentially(config, suites, base / "sequential")
    par_run: QuietRun = run_quietly(config, suites, base / "parallel", "compare")
    par = outcomes(par_run.state)
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
    return Comparison(seq_wall, par_run.wall, len(set(seq) | set(par)), differences)
