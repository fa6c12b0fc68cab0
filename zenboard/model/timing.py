"""How long each lane's current test has run, and which tests are past the SLOW threshold.

Pure: the views pass `now` from their own clock, so the model never reads one.
"""

from __future__ import annotations

from dataclasses import dataclass

from zenboard.model.state import SuiteState, WorkerState


@dataclass(frozen=True, slots=True)
class SlowTest:
    """A test still running past its suite's `slow` threshold."""

    suite: str
    worker: str
    nodeid: str
    seconds: float


def running_for(worker: WorkerState, now: float) -> float | None:
    """Seconds the lane's current test has run; None when it runs none or its start is unknown."""
    if worker.current is None or worker.current_since is None or worker.crashed:
        return None
    return max(0.0, now - worker.current_since)


def is_slow(seconds: float | None, threshold: float) -> bool:
    """Past the threshold (0 turns the mark off)."""
    return seconds is not None and threshold > 0 and seconds >= threshold


def slow_tests(suite: SuiteState, now: float, threshold: float) -> list[SlowTest]:
    """The suite's running tests past `threshold` seconds, lane by lane."""
    found = []
    for worker in suite.workers.values():
        seconds = running_for(worker, now)
        if worker.current is not None and is_slow(seconds, threshold):
            assert seconds is not None
            found.append(SlowTest(suite.name, worker.id, worker.current, seconds))
    return found
