"""What the run history knows about the tests a verify ran, that its own runs could not see.

A few runs on one machine can miss a flake that the history saw elsewhere: a test verify finds
stable may have flipped on a CI machine last week. So verify reads the history (the SQLite
file, or the team's PostgreSQL) before its first run, so that its own runs never count as
evidence, and shows what it knows beside the verdict. It never changes the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from zenboard.headless.verify import Verdict
from zenboard.records.history import (
    HISTORY_FILE,
    History,
    HistoryUnusable,
    flips_of,
    recorded,
    unusable,
)
from zenboard.textsafe import visible
from zenboard.words import plural

HISTORY_RUNS = 50
"""How many of the latest recorded runs are read: the window of the dashboard's flaky badges."""

SHOWN_LETTERS = 50
"""A longer pattern (a stress run records every repetition) is shown by its newest letters."""


@dataclass(frozen=True)
class Known:
    """One test's record in the history: its pattern, oldest first, and the machines that ran it."""

    pattern: str
    machines: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryNote:
    """A test of the verify whose history is worth a line."""

    suite: str
    nodeid: str
    pattern: str
    """Its outcomes in the history, one letter a result, oldest first."""
    machines: tuple[str, ...]
    verified: str
    """What this verify found: `passing` (stable here), `flaky` or `failing`."""

    @property
    def flips(self) -> int:
        return flips_of(self.pattern)

    def as_json(self) -> dict[str, object]:
        return {
            "suite": self.suite,
            "nodeid": self.nodeid,
            "pattern": self.pattern,
            "machines": list(self.machines),
            "flips": self.flips,
            "verify": self.verified,
        }


def read_known(
    root: Path, url: str | None, project: str | None = None
) -> dict[tuple[str, str], Known]:
    """(suite, nodeid) -> what the latest runs of the history hold ({} without a history).

    Raises:
        HistoryUnusable: The history cannot be read; the message names it (password hidden).
    """
    if not recorded(root, url):
        return {}
    try:
        with History(root, url, project) as db:
            patterns = db.outcome_patterns(HISTORY_RUNS)
            machines = db.result_machines(HISTORY_RUNS)
    except OSError as exc:  # the file's faults; a database's come out as HistoryUnusable
        raise unusable(root / HISTORY_FILE, exc) from None
    return {key: Known(pattern, machines.get(key, ())) for key, pattern in patterns.items()}


def read_or_reason(
    root: Path, url: str | None, project: str | None = None
) -> tuple[dict[tuple[str, str], Known], str]:
    """`read_known`, or nothing and the one-line reason it could not be read."""
    try:
        return read_known(root, url, project), ""
    except HistoryUnusable as exc:
        return {}, str(exc)


def notes(verdict: Verdict, known: Mapping[tuple[str, str], Known]) -> list[HistoryNote]:
    """The tests worth a history line: stable here but flaky in the history, and every flaky or
    failing one the history has results for. Quarantined tests are left out: the project
    already knows them for flaky (`zenboard history --flaky` reviews them)."""
    found: list[HistoryNote] = []
    for test in verdict.tests:
        record = known.get((test.suite, test.nodeid))
        if test.quarantined or record is None:
            continue
        if test.kind != "passing" or flips_of(record.pattern):
            found.append(
                HistoryNote(test.suite, test.nodeid, record.pattern, record.machines, test.kind)
            )
    return found


def note_line(note: HistoryNote, runs: int, stress: bool) -> str:
    """One note as a line under the verdict (ids and machine names from the history, made
    visible: other machines wrote them)."""
    pattern = note.pattern
    if len(pattern) > SHOWN_LETTERS:
        pattern = "..." + pattern[-SHOWN_LETTERS:]
    where = f" (machines: {', '.join(note.machines)})" if note.machines else ""
    here = plural(runs, "repetition" if stress else "run")
    if note.verified == "passing":
        said = (
            f"flipped {plural(note.flips, 'time')} in the last {HISTORY_RUNS} runs: {pattern}"
            f"{where} - stable in these {here}, which does not prove it is fixed"
        )
    else:
        said = f"{note.verified} here; the last {HISTORY_RUNS} runs: {pattern}{where}"
    return visible(f"history: [{note.suite}] {note.nodeid} {said}")
