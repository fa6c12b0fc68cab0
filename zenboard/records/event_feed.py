"""The live event feed (`--events FILE`): one run's events, appended as JSON lines as they come.

Other tools (a bot, a dashboard of the team's own) follow a run without parsing zenboard's
output: each suite's stream, as the plugin wrote it, with the suite and the run id added. The
stream is for live display and the report file is the record, so what the truth check changed
(corrections, unreported tests) is appended too, before the suite's `run_finished`: folding the
feed gives `summary.json`'s outcomes. The format is in docs/event-stream.md.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from zenboard import safefs
from zenboard.model import events as ev
from zenboard.model.state import RunState, SuiteState, TestResult

FEED_KINDS: dict[type[Any], str] = {
    ev.RunStarted: "run_started",
    ev.WorkerReady: "worker_ready",
    ev.WorkerCollected: "worker_collected",
    ev.TestsCollected: "tests_collected",
    ev.CollectFailed: "collect_failed",
    ev.TestStarted: "test_started",
    ev.TestFinished: "test_finished",
    ev.TestRetried: "test_retried",
    ev.WorkerDown: "worker_down",
    ev.WorkerReplaced: "worker_replaced",
    ev.RunFinished: "run_finished",
}
"""The stream's own kinds: what the plugin (or the Playwright reporter) writes."""


def wire_form(event: ev.Event) -> dict[str, Any]:
    """`event`'s fields as the stream carries them (and `time`, its arrival, when known)."""
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    if fields.get("time", 0) is None:
        del fields["time"]
    if isinstance(event, ev.TestFinished | TestResult):  # its record may still be text
        del fields["record_data"]
        fields["record"] = event.record
    return fields


class EventFeed:
    """Appends one run's events to a file; a write that fails is remembered, never raised.

    Call `started` once, `add` after the reducer applied each event, `flush` after each batch,
    and `finished` at the end. `fault` says why the file could not be written (the run goes on;
    its exit code must not be 0).
    """

    def __init__(self, path: Path, run_id: str | None = None) -> None:
        self.path = path
        self.run_id = run_id or uuid.uuid4().hex
        self.fault: OSError | None = None
        self._fd: int | None = None
        self._lines: list[str] = []
        self._held: dict[str, dict[str, Any]] = {}
        """suite -> its `run_finished`, written after the truth check's lines."""
        self._duplicates: dict[str, int] = {}
        self._written_unreported: set[tuple[str, int, str]] = set()
        self._lock = threading.Lock()
        """`finished` may come from another thread than `add` (a dashboard quitting)."""

    def started(self, suites: list[str]) -> None:
        """Open the file (appending; never through a symlink) and write `run_started`."""
        try:
            self._fd = safefs.open_below(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        except OSError as exc:
            self.fault = exc
            return
        self._line({"type": "run_started", "suites": suites, "time": time.time()})
        self._flush()

    def add(self, event: ev.Event, state: RunState) -> None:
        """The line (or lines) for `event`, which the reducer has just folded into `state`."""
        with self._lock:
            self._add(event, state)

    def _add(self, event: ev.Event, state: RunState) -> None:
        suite = state.suites[event.suite]
        duplicates, self._duplicates[suite.name] = (
            self._duplicates.get(suite.name, 0),
            suite.duplicates,
        )
        kind = FEED_KINDS.get(type(event))
        if isinstance(event, ev.RunFinished):
            self._held[suite.name] = self._suite_line(kind or "", wire_form(event))
        elif isinstance(event, ev.SuiteLaunched):
            self._held.pop(suite.name, None)
        elif isinstance(event, ev.TestFinished):
            if suite.duplicates == duplicates:  # a repeated result changes nothing: not written
                self._suite_line_out("test_finished", wire_form(event))
                self._unless_unreported(suite, suite.tests.get(event.nodeid))
        elif isinstance(event, ev.ResultsCorrected):
            for result in event.results:
                self._suite_line_out("test_finished", {**wire_form(result), "corrected": True})
        elif isinstance(event, ev.SuiteExited):
            self._suite_exited(suite, event)
        elif kind is not None:
            self._suite_line_out(kind, wire_form(event))

    def _suite_exited(self, suite: SuiteState, event: ev.SuiteExited) -> None:
        """The truth check's verdicts not yet written, then the suite's `run_finished`."""
        for test in list(suite.tests.values()):
            self._unless_unreported(suite, test)
        finished = self._held.pop(suite.name, None)
        if finished is None:  # pytest never said it finished: zenboard says the suite ended
            finished = self._suite_line(
                "run_finished",
                {"suite": suite.name, "exitstatus": event.returncode, "duration": 0.0},
            )
        finished.update(
            returncode=event.returncode,
            status=str(suite.status),
            not_run=list(suite.not_run),
            interrupted=list(suite.interrupted),
            error=event.error,
        )
        self._line(finished)

    def _unless_unreported(self, suite: SuiteState, test: TestResult | None) -> None:
        """A test zenboard counts as an unreported error, whatever its stream said: said once."""
        if test is None or not test.unreported:
            return
        key = (suite.name, suite.runs, test.nodeid)
        if key in self._written_unreported:
            return
        self._written_unreported.add(key)
        self._suite_line_out(
            "test_finished",
            {
                "suite": suite.name,
                "nodeid": test.nodeid,
                "worker": test.worker,
                "outcome": test.outcome,
                "duration": test.duration,
                "record": test.record,
                "unreported": True,
            },
        )

    def finished(self, state: RunState, exit_code: int) -> None:
        """The run's last line: its exit code and every suite's counts; then close the file."""
        counts = {name: dict(s.counts) for name, s in state.suites.items() if s.runs}
        with self._lock:
            self._line({"type": "run_finished", "exit_code": exit_code, "counts": counts})
            self._flush()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _suite_line(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        return {"type": kind, **fields}

    def _suite_line_out(self, kind: str, fields: dict[str, Any]) -> None:
        self._line(self._suite_line(kind, fields))

    def _line(self, fields: dict[str, Any]) -> None:
        if self._fd is None:
            return
        line = {"v": ev.EVENT_VERSION, "type": fields.pop("type"), "run": self.run_id, **fields}
        self._lines.append(json.dumps(line, default=str))

    def flush(self) -> None:
        """Write what gathered since the last flush, in one append."""
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if self._fd is None or not self._lines:
            self._lines.clear()
            return
        data = ("\n".join(self._lines) + "\n").encode("utf-8", "surrogateescape")
        self._lines.clear()
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            self.fault = OSError(exc.errno, exc.strerror, str(self.path))
            os.close(self._fd)
            self._fd = None
