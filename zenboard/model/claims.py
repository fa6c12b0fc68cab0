"""Claims: which worker uses which database, media dir or port, and which two share one.

The isolation helpers record what each worker claimed; the engine reads those records, and the
claims other worktrees' runs publish, into `Claim`s. Two claims of one resource conflict when
their holders differ and they were held at the same time: a claim lasts from when the worker
made it until its suite run ended (open while it runs), so a suite rerun after another ended
shares nothing with it, and a claim seen late still meets the ones it overlapped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KIND_WORDS = {"db": "database", "media": "media dir", "port": "port"}
"""How a claim's kind is named to the user (a kind of the project's own is named as it is)."""


@dataclass(frozen=True, slots=True)
class Claim:
    kind: str
    """`db`, `media`, `port`, or a kind of the project's own (`zenboard.isolation.claim`)."""
    value: str
    suite: str
    worker: str
    """xdist's id (`gw0`), or `main` for a process without one."""
    pid: int
    """The process that claimed it."""
    since: float
    until: float | None = None
    """When its suite run ended; None while it runs."""
    run_pid: int = 0
    """This zenboard's claims: the pid of the suite run's process (a conflict is shown on the
    suite's run that holds it, not on a later one)."""
    worktree: str = ""
    """"" for this zenboard's own runs; another run's project root (another worktree)."""
    zenboard: int = 0
    """Another run's zenboard pid (0: this zenboard)."""
    scope: str = ""
    """Where the resource lives, when not on this machine as a whole: `on db:5432`, `in compose
    project app-t1` (a task's own servers). Claims of different scopes never meet."""

    @property
    def holder(self) -> tuple[str, int, str, str, int]:
        """Who holds it: one process of one suite run of one zenboard."""
        return (self.worktree, self.zenboard, self.suite, self.worker, self.pid)

    @property
    def own(self) -> bool:
        return not self.worktree and not self.zenboard

    def overlaps(self, other: Claim) -> bool:
        """Both were held at some same moment (an open claim lasts until now)."""
        return (other.until is None or self.since < other.until) and (
            self.until is None or other.since < self.until
        )

    def label(self, pid: bool = False) -> str:
        """`[integration] gw0`, with `(pid N)` where the worker alone does not tell two apart."""
        text = f"[{self.suite}] {self.worker}"
        return f"{text} (pid {self.pid})" if pid else text


@dataclass(frozen=True, slots=True)
class Conflict:
    """Holders of one resource at once (two or more), at least one of them this zenboard's."""

    kind: str
    value: str
    holders: tuple[Claim, ...]
    """This zenboard's holders first, then other runs', each once."""
    scope: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """The resource: a later conflict of it with more holders replaces this one."""
        return (self.kind, self.scope, self.value)

    @property
    def cross_worktree(self) -> bool:
        return any(not h.own for h in self.holders)

    def covers(self, other: Conflict) -> bool:
        """Every holder of `other` is one of this conflict's (nothing new to say)."""
        mine = {h.holder for h in self.holders}
        return self.key == other.key and all(h.holder in mine for h in other.holders)

    def describe(self, here: str = "") -> str:
        """One line naming the resource and every holder, with their worktrees when another
        worktree's run is among them: `database test_app is used by [integration] gw0 and
        [processing] gw0 at once`."""
        places = [(h.label(), h.worktree, h.zenboard) for h in self.holders]
        named = []
        for holder, place in zip(self.holders, places, strict=True):
            text = holder.label(places.count(place) > 1)
            if self.cross_worktree and holder.own:
                text += f" in {here}" if here else " here"
            elif not holder.own:
                text += f" in {holder.worktree} (zenboard pid {holder.zenboard})"
            named.append(text)
        listed = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
        what = f"{KIND_WORDS.get(self.kind, self.kind)} {self.value}"
        where = f" ({self.scope})" if self.scope else ""
        return f"{what}{where} is used by {listed} at once"


def find_conflicts(own: Sequence[Claim], others: Iterable[Claim] = ()) -> list[Conflict]:
    """Each resource held at once by two holders or more, one of `own` among them: every such
    holder listed (other runs' claims are compared with ours, never with each other)."""
    groups: dict[tuple[str, str, str], list[Claim]] = {}
    for claim in own:
        groups.setdefault((claim.kind, claim.scope, claim.value), []).append(claim)
    foreign: dict[tuple[str, str, str], list[Claim]] = {}
    for claim in others:
        if (claim.kind, claim.scope, claim.value) in groups:
            foreign.setdefault((claim.kind, claim.scope, claim.value), []).append(claim)
    found = []
    for (kind, scope, value), mine in groups.items():
        theirs = foreign.get((kind, scope, value), [])
        shared: dict[tuple[str, int, str, str, int], Claim] = {}
        for i, first in enumerate(mine):
            for second in (*mine[i + 1 :], *theirs):
                if first.holder != second.holder and first.overlaps(second):
                    shared.setdefault(first.holder, first)
                    shared.setdefault(second.holder, second)
        if shared:
            holders = sorted(shared.values(), key=lambda c: not c.own)  # stable: ours first
            found.append(Conflict(kind, value, tuple(holders), scope))
    return found


def conflict_row(conflict: Conflict, here: str = "") -> dict[str, object]:
    """A conflict in summary.json: the resource, its holders, and the line said about it."""

    def holder(claim: Claim) -> dict[str, object]:
        return {
            "suite": claim.suite,
            "worker": claim.worker,
            "pid": claim.pid,
            "worktree": claim.worktree or None,
        }

    return {
        "kind": conflict.kind,
        "value": conflict.value,
        "scope": conflict.scope,
        "holders": [holder(h) for h in conflict.holders],
        "message": conflict.describe(here),
    }
