"""Shard plans: which tests of a suite run on CI machine K of N.

The plan is a pure function of the suite's test ids and `.zenboard/durations.json`, so every
machine computes the same plan without talking to the others, and a shard never depends on
another shard's run. Tests are dealt largest first to the least-loaded shard (LPT), which puts
every test in exactly one shard and keeps each shard within one test's duration of the ideal
total / N. Tests the durations file does not know weigh the median of those it knows; without
a durations file every test weighs the same, and the plan is even counts.
"""

from __future__ import annotations

import heapq
import re
import statistics
from collections.abc import Mapping, Sequence

from zenboard.errors import InputError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
DEFAULT_WEIGHT = 1.0


MAX_SHARDS = 1024
"""More CI machines than any team runs; a plan for more would only cost memory."""


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` -> (K, N) with 1 <= K <= N <= MAX_SHARDS, or an InputError naming the value."""
    match = _SHARD.match(text)
    if not match:
        raise InputError(f"--shard {text!r}: expected K/N with whole numbers, e.g. 2/4")
    k, n = int(match.group(1)), int(match.group(2))
    if not 1 <= k <= n <= MAX_SHARDS:
        raise InputError(f"--shard {text!r}: expected 1 <= K <= N <= {MAX_SHARDS}")
    return k, n


def weights(nodeids: Sequence[str], known: Mapping[str, float]) -> dict[str, float]:
    """Each test's expected duration; unknown tests get the median of the known ones."""
    durations = [known[n] for n in nodeids if n in known]
    fallback = statistics.median(durations) if durations else DEFAULT_WEIGHT
    return {n: known.get(n, fallback) for n in nodeids}


def plan(nodeids: Sequence[str], known: Mapping[str, float], n: int) -> list[list[str]]:
    """Split `nodeids` into `n` shards of balanced expected duration (a shard may be empty)."""
    if n < 1:
        raise ValueError("n must be >= 1")
    weight = weights(sorted(set(nodeids)), known)
    shards: list[list[str]] = [[] for _ in range(n)]
    loads = [(0.0, index) for index in range(n)]
    for nodeid in sorted(weight, key=lambda t: (-weight[t], t)):
        load, index = heapq.heappop(loads)
        shards[index].append(nodeid)
        heapq.heappush(loads, (load + weight[nodeid], index))
    order = {nodeid: i for i, nodeid in enumerate(nodeids)}
    return [sorted(shard, key=order.__getitem__) for shard in shards]


def shard_tests(nodeids: Sequence[str], known: Mapping[str, float], k: int, n: int) -> list[str]:
    """The tests of shard `k` of `n` (1-based), in collection order.

    Args:
        nodeids: Every test of the suite, in collection order.
        known: node id -> seconds it took last time (others get the median).
        k: Which shard, from 1.
        n: How many shards.
    """
    return plan(nodeids, known, n)[k - 1]


def shard_load(tests: Sequence[str], known: Mapping[str, float], everyone: Sequence[str]) -> float:
    """Expected seconds of `tests`, weighed as the plan weighed them."""
    weight = weights(everyone, known)
    return sum(weight[t] for t in tests)
