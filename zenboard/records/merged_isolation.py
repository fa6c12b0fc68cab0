"""The `isolation` part of shards' summaries (claims, shared resources), checked and joined.

Each shard ran on its own machine, so its claims never meet another shard's: the merge keeps
every shard's claims and conflicts side by side, each marked with its shard. A summary written
before zenboard recorded claims has no `isolation`; one that has it must have zenboard's shape
(one line and exit 2 otherwise: it is another job's file).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zenboard.errors import refuse as bad

CLAIM_FIELDS = {"suite": str, "worker": str, "pid": int, "kind": str, "value": str}
HOLDER_FIELDS = {"suite": str, "worker": str, "pid": int}


def _fields(path: Path, where: str, row: object, fields: dict[str, type]) -> None:
    if not isinstance(row, dict):
        bad(path, where, "an object", row)
    for key, kind in fields.items():
        value = row.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            bad(path, f"{where}.{key}", f"a {'whole number' if kind is int else 'string'}", value)
    if not isinstance(row.get("scope", ""), str):
        bad(path, f"{where}.scope", "a string", row.get("scope"))


def check_isolation(path: Path, data: dict[str, Any]) -> None:
    """A summary's `isolation`, if it has one: `{"claims": [...], "conflicts": [...]}`."""
    if "isolation" not in data:
        return
    isolation = data["isolation"]
    if not isinstance(isolation, dict):
        bad(path, "isolation", "an object", isolation)
    for key in ("claims", "conflicts"):
        if not isinstance(isolation.get(key), list):
            bad(path, f"isolation.{key}", "a list", isolation.get(key))
    for i, claim in enumerate(isolation["claims"]):
        _fields(path, f"isolation.claims[{i}]", claim, CLAIM_FIELDS)
    for i, conflict in enumerate(isolation["conflicts"]):
        where = f"isolation.conflicts[{i}]"
        _fields(path, where, conflict, {"kind": str, "value": str, "message": str})
        holders = conflict.get("holders")
        if not isinstance(holders, list) or len(holders) < 2:
            bad(path, f"{where}.holders", "a list of two holders or more", holders)
        for j, holder in enumerate(holders):
            _fields(path, f"{where}.holders[{j}]", holder, HOLDER_FIELDS)
            if not isinstance(holder.get("worktree"), str | None):
                bad(path, f"{where}.holders[{j}].worktree", "a path or null", holder["worktree"])


def merge_isolation(summaries: Sequence[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """Every shard's claims and conflicts, each marked with its shard (`1/4`, else its index)."""
    merged: dict[str, list[Any]] = {"claims": [], "conflicts": []}
    for index, (_folder, data) in enumerate(summaries, start=1):
        shard = data.get("shard") or str(index)
        isolation = data.get("isolation", {})
        for key in merged:
            merged[key] += [{**row, "shard": shard} for row in isolation.get(key, [])]
    return merged
