"""The claim watch: live workers that share a database, a media dir or a port.

Every suite run's claim files are read on a slow clock (`POLL_SECONDS`, never per test) and
once more as the run ends, compared with each other's and with the claims other worktrees' runs
publish (`shared_claims`), and each resource found shared is emitted once as a `ClaimConflict`
on every suite run of this zenboard that holds it. This zenboard's claims are published in
turn. Nothing is looked up or written while no run has claimed anything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from zenboard.engine.claim_files import RunClaims
from zenboard.engine.shared_claims import RETAIN, SharedClaims
from zenboard.model import events as ev
from zenboard.model.claims import Claim, Conflict, find_conflicts

POLL_SECONDS = 1.0
"""How often live runs' claim files are read: a claim lives as long as its suite run, seconds
at least, and a conflict found a second late is still found (claims carry their times)."""


@dataclass
class _Run:
    claims: RunClaims
    until: float | None = None
    """When the run ended (None: it runs)."""

    def current(self) -> list[Claim]:
        found = list(self.claims.claims.values())
        if self.until is None:
            return found
        return [replace(c, since=min(c.since, self.until), until=self.until) for c in found]


class ClaimWatch:
    def __init__(
        self,
        worktree: Path,
        sink: Callable[[list[ev.Event]], None],
        registry: Callable[[], Path | None],
    ) -> None:
        """
        Args:
            worktree: This project's root, as other worktrees' runs are told it.
            sink: Where conflict events go (the engine's buffer).
            registry: The shared dir of the repository's worktrees (the port registry's), or
                None for none; asked only once a claim was seen.
        """
        self.worktree = worktree
        self._sink = sink
        self._registry = registry
        self._shared: SharedClaims | None = None
        self._looked_up = False
        self._runs: dict[int, _Run] = {}
        """The pid of a suite run's process -> its claims."""
        self._said: dict[tuple[str, int], dict[tuple[str, str, str], Conflict]] = {}
        """(suite, run pid) -> the conflicts emitted to that run, by resource."""
        self._published: object = None
        self._lock = threading.RLock()
        """One check at a time: the clock's and those of runs ending (their waiter threads)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.faults: list[str] = []
        """Faults to show once (the shared dir could not be written), drained by the views."""

    def started(self, suite: str, run_dir: Path, run_pid: int, since: float, main: bool) -> None:
        """A suite run started with `run_dir`; `main`: whether a claim without an xdist id
        counts (not under xdist, where that is the controller)."""
        with self._lock:
            self._runs[run_pid] = _Run(RunClaims(run_dir, suite, since, run_pid, main))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="zenboard-claims", daemon=True
                )
                self._thread.start()

    def ended(self, run_pid: int, until: float) -> tuple[Claim, ...]:
        """The run's last read (before its dir goes) and a check; its claims, ended at `until`.

        Called from the run's waiter thread: a conflict found now is emitted before the run's
        `SuiteExited`."""
        with self._lock:
            run = self._runs.get(run_pid)
            if run is None:
                return ()
            run.claims.read()
            run.until = until
            self._check()
            return tuple(run.current())

    def close(self) -> None:
        """Stop the clock (the runs have ended; their claims stay published for `RETAIN`)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            with self._lock:
                if any(run.until is None for run in self._runs.values()):
                    self._check()

    def _check(self) -> None:
        """Read the live runs, compare every claim, emit what is new, publish ours."""
        for run in self._runs.values():
            if run.until is None:
                run.claims.read()
        self._forget_old()
        own = [claim for run in self._runs.values() for claim in run.current()]
        if not own:
            return
        shared = self._shared_claims()
        others = shared.others() if shared is not None else []
        events: list[ev.Event] = []
        for conflict in find_conflicts(own, others):
            for suite, run_pid in dict.fromkeys(
                (h.suite, h.run_pid) for h in conflict.holders if h.own
            ):
                said = self._said.setdefault((suite, run_pid), {})
                known = said.get(conflict.key)
                if known is None or not known.covers(conflict):
                    said[conflict.key] = conflict
                    events.append(ev.ClaimConflict(suite, conflict, run_pid))
        if events:
            self._sink(events)
        signature = tuple(
            (c.kind, c.scope, c.value, c.suite, c.worker, c.pid, c.since, c.until) for c in own
        )
        if shared is not None and signature != self._published:
            self._published = signature
            shared.publish(own)
            self.faults += shared.faults
            shared.faults.clear()

    def _forget_old(self) -> None:
        """Runs that ended more than `RETAIN` seconds ago: every claim that overlapped them
        has been read since (within `POLL_SECONDS`), so they can meet no new one."""
        now = time.time()
        for pid, run in list(self._runs.items()):
            if run.until is not None and run.until < now - RETAIN:
                del self._runs[pid]

    def _shared_claims(self) -> SharedClaims | None:
        if not self._looked_up:
            self._looked_up = True
            try:
                directory = self._registry()
            except Exception as exc:  # no git, an odd state dir: share nothing, say why
                self.faults.append(f"claims not shared with other worktrees: {exc}")
                directory = None
            if directory is not None:
                self._shared = SharedClaims(directory, str(self.worktree))
        return self._shared
