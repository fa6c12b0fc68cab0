"""Which tests the project's quarantine table names (`[tool.zenboard.quarantine]`).

An id matches a test exactly, or, when it names no parameters, every parametrization of
that test (`tests/t.py::test_io` covers `tests/t.py::test_io[big]`): a flaky parametrized test
is usually flaky in all its cases, and listing each case would go stale with the parameters.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from zenboard.wire import repeated_of


def is_quarantined(nodeid: str, ids: Collection[str]) -> bool:
    """Whether the quarantine `ids` cover the test `nodeid`."""
    if not ids:
        return False
    nodeid = repeated_of(nodeid)  # a stress run's repetition is its test
    if nodeid in ids:
        return True
    bare, bracket, _ = nodeid.partition("[")
    return bool(bracket) and bare in ids


def reason_of(nodeid: str, table: Mapping[str, str]) -> str | None:
    """Why the quarantine `table` holds `nodeid` (its own entry first, else its bare id's);
    None: not quarantined."""
    nodeid = repeated_of(nodeid)
    if nodeid in table:
        return table[nodeid]
    bare, bracket, _ = nodeid.partition("[")
    return table.get(bare) if bracket else None


def unmatched(ids: Collection[str], nodeids: Collection[str]) -> list[str]:
    """The quarantine ids that cover none of `nodeids` (a renamed or deleted test), sorted."""
    covered = {i for n in nodeids for i in (n, n.partition("[")[0]) if i in ids}
    return sorted(set(ids) - covered)
