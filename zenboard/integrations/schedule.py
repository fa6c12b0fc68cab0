"""Duration-aware planning of one machine's run, from `.zenboard/durations.json`.

Two levers, both chosen from how long things took last time:
- within a suite, test files run longest first (xdist hands out work in collection order, so
  the long files start early instead of finishing last on one worker);
- across suites that run at once, worker counts are sized so their sum matches the machine's
  cores and each suite's expected time (total / workers) is as even as it can be. A suite sized
  to one worker runs without xdist, which saves a worker's start-up.
The fixed plan is the configuration as written; this one departs from it only where
durations are known.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence

from zenboard.config import SuiteConfig
from zenboard.integrations.shards import weights


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
    """The suites with worker counts sized to the cores by their expected durations."""
    cores = cores or os.cpu_count() or 1
    planned = [s for s in suites if s.kind == "pytest" and durations.get(s.name)]
    fixed = [s for s in suites if s not in planned]
    budget = cores - sum(
        min(cores, s.workers if isinstance(s.workers, int) else cores) or 1 for s in fixed
    )
    total = {s.name: sum(durations[s.name].values()) for s in planned}
    cap = {s.name: max(1, len(durations[s.name])) for s in planned}
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
