"""Which suites one dashboard launch ran, so the history gets one row per launch, as `run` does.

A launch is everything started while nothing else was running (`a`, `r`, `f`, `t`, a watch
trigger): it opens with the first suite launched and closes when all its suites have exited
and the engine has nothing left to start; `close()` then hands back a `FinishedLaunch`, a copy
of those suites' state for the history writer's thread. A rerun of some tests is recorded as
partial (only the tests that ran; no trend). The header times a launch (`duration`): from its
first suite's start to now, then to its last suite's end; idle time between launches is no run's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from zenboard.model import events as ev
from zenboard.model.state import RunState


@dataclass(frozen=True)
class FinishedLaunch:
    state: RunState
    """Only the suites this launch ran, with only the tests it ran (a copy, safe on a thread)."""
    partial: frozenset[str]
    started: float

    @property
    def exit_code(self) -> int:
        return self.state.exit_code()


@dataclass
class LaunchWindow:
    started: float | None = None
    ran: dict[str, set[str]] = field(default_factory=dict)
    """suite -> nodeids finished in this launch."""
    partial: set[str] = field(default_factory=set)
    last: tuple[float, float] | None = None
    """The latest closed launch: its first suite's start and its last suite's end."""

    @property
    def open(self) -> bool:
        return self.started is not None

    def duration(self, now: float) -> float | None:
        """How long the open launch has run, else how long the latest one ran (None: no launch)."""
        if self.started is not None:
            return max(0.0, now - self.started)
        if self.last is not None:
            return max(0.0, self.last[1] - self.last[0])
        return None

    def launched(self, event: ev.SuiteLaunched) -> None:
        if self.started is None:
            self.started = event.time
        if event.nodeids:
            self.partial.add(event.suite)
            self.ran.setdefault(event.suite, set())
        else:  # a full run replaces whatever this launch ran of the suite before
            self.partial.discard(event.suite)
            self.ran[event.suite] = set()

    def finished(self, suite: str, nodeid: str) -> None:
        """A test of the launch finished (called for every result the app folds: one set add)."""
        ran = self.ran.get(suite)
        if ran is not None:
            ran.add(nodeid)

    def close(self, state: RunState) -> FinishedLaunch | None:
        """End the launch: the suites it ran as they stand now (None if it ran nothing)."""
        started, ran, partial = self.started, self.ran, self.partial
        self.started, self.ran, self.partial = None, {}, set()
        if started is None:
            return None
        ends = [state.suites[n].finished_at for n in ran if n in state.suites]
        self.last = (started, max((end for end in ends if end is not None), default=started))
        if not ran:
            return None
        suites = {}
        for name, nodeids in ran.items():
            suite = state.suites.get(name)
            if suite is None:
                continue
            if name in partial:
                tests = {n: suite.tests[n] for n in nodeids if n in suite.tests}
            else:
                tests = dict(suite.tests)
            suites[name] = replace(suite, tests=tests, counts=dict(suite.counts))
        return FinishedLaunch(RunState(suites=suites), frozenset(partial & set(suites)), started)
