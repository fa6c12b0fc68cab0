"""Time budgets as gates: a suite, or the whole run, that took longer than its budget.

A budget catches a suite that got slow before anyone notices: going over fails the run as a
failed test does. Only a full, unsharded run is measured against it (a shard, a rerun of some
tests or a watch phase runs a part, whose time says nothing of the whole); the callers decide
that, this only compares wall times with budgets.
"""

from __future__ import annotations

from collections.abc import Mapping

from zenboard.model.state import RunState


def overrun_line(what: str, took: float, budget: float) -> str:
    """`budget exceeded: suite unit took 12.3 s, budget 10 s`."""
    return f"budget exceeded: {what} took {took:.1f} s, budget {budget:g} s"


def over_budget(
    state: RunState,
    suite_budgets: Mapping[str, float | None],
    now: float,
    run_budget: float | None = None,
    run_seconds: float = 0.0,
) -> list[str]:
    """One line per suite that ran past its budget, then one for the run if it did.

    Args:
        state: The run's suites; only those in `suite_budgets` that started are measured.
        suite_budgets: suite -> its budget in seconds (None: none), for suites that ran whole.
        now: The wall clock, for a suite still running (its time so far).
        run_budget: The whole run's budget (None: none, or the run was not whole).
        run_seconds: The whole run's wall time.
    """
    lines = []
    for name, budget in suite_budgets.items():
        suite = state.suites.get(name)
        if budget is None or suite is None or suite.started_at is None:
            continue
        took = suite.duration(now)
        if took > budget:
            lines.append(overrun_line(f"suite {name}", took, budget))
    if run_budget is not None and run_seconds > run_budget:
        lines.append(overrun_line("the run", run_seconds, run_budget))
    return lines
