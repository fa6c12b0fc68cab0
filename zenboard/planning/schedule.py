"""Duration-aware planning of one machine's run, from `.zenboard/durations.json`.

Two levers, both chosen from how long things took last time: within a suite, test files run
longest first; across suites that run at once, worker counts are re-dealt (`size_workers`) so
each suite's expected time (total / workers) is as even as it can be, a suite sized to one worker
running without xdist. The fixed plan is the configuration as written; this one departs from it
only where durations are known.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence

from zenboard.config import SuiteConfig
from zenboard.planning.shards import weights

MIN_WORK = 1.0
"""Seconds of expected work below which another xdist worker costs more than it saves."""
GROUPED_DIST = ("loadscope", "loadfile", "loadgroup")


def file_of(nodeid: str) -> str:
    return nodeid.partition("::")[0]


def order_by_file(nodeids: Sequence[str], known: Mapping[str, float]) -> list[str]:
    """`nodeids` grouped by file, the files longest first (ties keep collection order)."""
    weight = weights(nodeids, known)
    files: dict[str, list[str]] = {}
    for nodeid in nodeids:
        files.setdefault(file_of(nodeid), []).append(nodeid)
    ranked = sorted(files.values(), key=lambda tests: -sum(weight[t] for t in tests))
    return [t for tests in ranked for t in tests]


def size_workers(
    suites: Sequence[SuiteConfig],
    durations: Mapping[str, Mapping[str, float]],
    cores: int | None = None,
) -> tuple[SuiteConfig, ...]:
    """The suites with worker counts sized by their expected durations.

    The budget is the machine's cores or the workers the configuration gives these suites,
    whichever is more: tests that wait on I/O (a database, a browser) gain from more workers
    than cores, and the configuration says how many the project tolerates. Each suite gets one
    process; the rest go one at a time to the suite with the most expected seconds per worker,
    but never a worker for less than MIN_WORK seconds, nor more workers than xdist can use
    (one per test; one per file under loadscope, loadfile or loadgroup).
    """
    cores = cores or os.cpu_count() or 1
    planned = [s for s in suites if s.kind == "pytest" and durations.get(s.name)]
    fixed = [s for s in suites if s not in planned]
    fixed_used = sum(_configured(s, cores) for s in fixed)
    budget = max(cores - fixed_used, sum(_configured(s, cores) for s in planned))
    total = {s.name: sum(durations[s.name].values()) for s in planned}
    cap = {s.name: _usable_workers(s, durations[s.name], total[s.name]) for s in planned}
    workers = {s.name: 1 for s in planned}
    for _ in range(max(0, budget - len(planned))):
        open_suites = [s for s in planned if workers[s.name] < cap[s.name]]
        if not open_suites:
            break
        slowest = max(open_suites, key=lambda s: (total[s.name] / workers[s.name], s.name))
        workers[slowest.name] += 1
    return tuple(
        dataclasses.replace(s, workers=workers[s.name] if workers[s.name] > 1 else 0)
        if s in planned
        else s
        for s in suites
    )


def _configured(suite: SuiteConfig, cores: int) -> int:
    return max(1, suite.workers if isinstance(suite.workers, int) else cores)


def _usable_workers(suite: SuiteConfig, known: Mapping[str, float], total: float) -> int:
    units = len({file_of(n) for n in known}) if suite.dist in GROUPED_DIST else len(known)
    return max(1, min(units, int(total / MIN_WORK)))
