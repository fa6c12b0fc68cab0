"""A stress run's rows (`zenboard run --repeat N`): one row per test, not per repetition.

Each repetition reports under an id of its own (`wire.REPEAT_MARK`); summary.json folds them
back into the test's row: `failed` if any repetition failed or errored (else the first
repetition's outcome), with `repetitions` and `failures`, its worker the first failing
repetition's (else the first's), its duration the repetitions' total.
"""

from __future__ import annotations

from typing import Any

from zenboard.model.events import FAILED_OUTCOMES, OUTCOMES
from zenboard.wire import repeated_of


def has_repetitions(rows: list[dict[str, Any]]) -> bool:
    return any(repeated_of(row["nodeid"]) != row["nodeid"] for row in rows)


def fold(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a stress run, one per test, in the order of their first repetition."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(repeated_of(row["nodeid"]), []).append(row)
    folded = []
    for nodeid, reps in groups.items():
        failing = [r for r in reps if r["outcome"] in FAILED_OUTCOMES]
        first = failing[0] if failing else reps[0]
        row = {
            **first,
            "nodeid": nodeid,
            "outcome": "failed" if failing else first["outcome"],
            "duration": round(sum(r["duration"] for r in reps), 6),
            "repetitions": len(reps),
            "failures": len(failing),
        }
        folded.append(row)
    return folded


def counts_of(rows: list[dict[str, Any]]) -> dict[str, int]:
    """pytest's six counts over folded rows (a test counts once)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        counts[row["outcome"]] += 1
    return counts


def not_run(nodeids: tuple[str, ...], ran: list[str]) -> list[str]:
    """The asked-for ids of a stress run that no result answers (`ran`: the results' ids): a
    test no suite selected (a marker, a typo) is never a green stress run. An id without
    parameters is answered by any of its parametrizations."""
    tests = {repeated_of(nodeid) for nodeid in ran}
    bases = {test.split("[", 1)[0] for test in tests}
    return [n for n in nodeids if n not in tests and ("[" in n or n not in bases)]
