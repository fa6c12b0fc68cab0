"""What the history says about the quarantine: `zenboard history --flaky`.

Candidates are the tests outside the quarantine whose recent results both passed and failed,
or passed only on a retry (the history's flaky rule), each as a line to paste into
`[tool.zenboard.quarantine]`. A quarantined test may leave once it has passed `LEAVE_AFTER`
recorded results in a row. A stress run's repetitions are results of their test, one each
(see docs/verify-and-shards.md).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from zenboard.config import is_quarantine_id
from zenboard.model.quarantine import is_quarantined
from zenboard.records.history import History, outcome_letter
from zenboard.wire import repeated_of

LEAVE_AFTER = 10
"""Passes in a row, the latest results, that make a quarantined test ready to leave."""


@dataclass(frozen=True)
class Candidate:
    """A flaky test the quarantine does not hold yet."""

    nodeid: str
    failed: int
    runs: int
    since: float
    """When the oldest run counted started (epoch seconds)."""

    def toml_line(self) -> str:
        """The line for `[tool.zenboard.quarantine]`, the id quoted as a TOML string."""
        why = f"flaky: failed {self.failed} of {self.runs} runs since {_date(self.since)}"
        return f"{toml_string(self.nodeid)} = {toml_string(why)}"


@dataclass(frozen=True)
class Stay:
    """A quarantined test and what its latest results say."""

    nodeid: str
    reason: str
    passed_in_a_row: int
    """Passes among its latest results before the newest non-pass (at most LEAVE_AFTER)."""
    results: int
    """Results recorded (looked at up to LEAVE_AFTER): 0 is no history at all."""

    @property
    def status(self) -> str:
        if not self.results:
            return "no runs recorded"
        return "ready to leave" if self.passed_in_a_row >= LEAVE_AFTER else "keep"


def candidates(db: History, quarantine: Mapping[str, str], last_runs: int = 50) -> list[Candidate]:
    """Tests not yet quarantined that both passed and failed in the last runs, or passed only on
    a retry (`R`), by most failures.

    Results are joined across suites (the quarantine's keys are node ids, not suites); ids the
    table could not hold (control characters, no `::`, a Playwright title) are left out.
    """
    seen: dict[str, tuple[str, float]] = {}
    for _, nodeid, outcome, started, attempts in db.recent_results(last_runs):
        nodeid = repeated_of(nodeid)
        letters, since = seen.get(nodeid, ("", started))
        seen[nodeid] = (letters + outcome_letter(outcome, attempts), since)
    found = [
        Candidate(nodeid, letters.count("F") + letters.count("R"), len(letters), since)
        for nodeid, (letters, since) in seen.items()
        if ("R" in letters or ("F" in letters and "P" in letters))
        and is_quarantine_id(nodeid)
        and not is_quarantined(nodeid, quarantine)
    ]
    return sorted(found, key=lambda c: (-c.failed, c.nodeid))


def stays(db: History | None, quarantine: Mapping[str, str]) -> list[Stay]:
    """Every quarantined id with its latest results (`db` None: no history yet)."""
    found = []
    for nodeid, reason in sorted(quarantine.items()):
        results = db.latest_results(nodeid, LEAVE_AFTER) if db else []
        latest = [outcome for outcome, _ in results]
        passes = next((i for i, o in enumerate(latest) if o != "passed"), len(latest))
        found.append(Stay(nodeid, reason, passes, len(latest)))
    return found


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: quoted, with backslashes, quotes and controls escaped."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _date(when: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(when))
