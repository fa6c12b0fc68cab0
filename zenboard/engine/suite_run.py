"""One run of one suite: a process, its event pipe, its output, and its end.

Three daemon threads per run: the event pipe reader, the output reader, and a waiter that joins
the other two once the process has exited and then emits `SuiteExited`, so that event is always
the last of its run and the model can settle the suite's final state from complete data.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenboard.engine import process, run_dir
from zenboard.engine.channel import READ_CHUNK, READ_PAUSE, EventPipe
from zenboard.engine.claim_watch import ClaimWatch
from zenboard.engine.commands.pytest import uses_xdist
from zenboard.engine.commands.suite_command import SuiteCommand
from zenboard.model import events as ev
from zenboard.model.reducer import MAIN_WORKER
from zenboard.model.state import lost_phase, signal_name
from zenboard.records.report_tests import report_tests
from zenboard.wire import (
    ENV_EVENTS,
    ENV_RUN_DIR,
    ENV_SUITE,
    RERUN,
    bounded_record,
    final_attempt,
    record_duration,
)

if TYPE_CHECKING:
    from zenboard.engine.warm import WarmPool

OUTPUT_LINE_CHARS = 2_000
STRAY_REASON = (
    "no result: the event stream reported this test but pytest's JSON report has no whole "
    "record of it (a forged or stray line, or a report lost on the way)"
)
_ERROR_LINE = re.compile(r"(?i)(^|[\s:])error:|^E\s")
SAVE_FAILED = "could not save report:"
"""How pytest-json-report says it could not write its file (zenboard asks it to always say)."""


class SuiteRun:
    def __init__(
        self,
        suite: str,
        command: SuiteCommand,
        sink: Callable[[list[ev.Event]], None],
        nodeids: tuple[str, ...] = (),
        on_exit: Callable[[SuiteRun], None] | None = None,
        niceness: int = 0,
        allow_empty: bool = False,
        timeout: float | None = None,
        quarantine: tuple[str, ...] = (),
        claims: ClaimWatch | None = None,
        warm: WarmPool | None = None,
        suite_niceness: int = 0,
    ) -> None:
        """One run of `suite`'s `command`, not started yet.

        Args:
            suite: The suite's name.
            command: The command line, environment and report file of the run.
            sink: Called with each batch of events the run produces (from its threads).
            nodeids: The tests the run was asked for (empty: the whole suite).
            on_exit: Called once the run has exited and emitted its last event.
            niceness: Nice value of the run's reader threads.
            allow_empty: The run may select no test without exiting 5.
            timeout: Seconds the run may take before it is cancelled (None: no limit).
            quarantine: The project's quarantined test ids (their failures fail nothing).
            claims: The engine's claim watch, told of the run's private dir (None: no watch).
            warm: The warm servers a rerun of a few tests is forked from (None: always cold).
            suite_niceness: How much lower than zenboard's the priority of the suite's processes
                is (0: the same).
        """
        self.warm = warm
        self.start_kind = ""
        """"warm" for a run forked from a warm server, "cold start: <why>" for a rerun that
        could not be, "" for a run that is never warm (a whole suite, xdist)."""
        self.quarantine = quarantine
        self.claims = claims
        self.run_dir: Path | None = None
        """The run's private dir (`ZENBOARD_RUN_DIR`): media dirs and claim files; removed
        when the run ends."""
        self.suite = suite
        self.allow_empty = allow_empty
        """The suite may select no test without making the run exit 5 (see `SuiteLaunched`)."""
        self.niceness = niceness
        """Nice value for this run's reader threads (the headless view lowers them)."""
        self.suite_niceness = suite_niceness
        self.command = command
        self.nodeids = nodeids
        self._sink = sink
        self._on_exit = on_exit
        self._cancelled = False
        self._saw: dict[str, object] = {}
        self._outcomes: dict[str, str] = {}
        """node id -> the outcome the stream gave first (the one the model counts)."""
        self._workers: dict[str, str] = {}
        """node id -> the worker the stream said ran it."""
        self._retried: set[str] = set()
        """node ids the stream said needed more than one attempt."""
        self._partial: set[str] = set()
        """node ids whose streamed record lacked a phase (the model made them unreported)."""
        self._report_missing = False
        """pytest's JSON report could not be read after the run (see `_error`)."""
        self._report_damaged = False
        """The runner's JSON report was there but not whole (removed; see `_read_report`)."""
        self._tail: deque[str] = deque(maxlen=40)
        self.process: process.RunProcess | None = None
        self.returncode: int | None = None
        self.done = threading.Event()
        self._exited = threading.Event()
        """Set when the process has exited: its readers drain what is left without pausing."""
        self.timeout = timeout
        self._timer: threading.Timer | None = None
        self.timed_out = False
        """The run took longer than `timeout` and was cancelled for it."""

    def _observe(self, events: list[ev.Event]) -> None:
        outcomes, workers = self._outcomes, self._workers
        for event in events:
            if isinstance(event, ev.TestFinished):
                outcomes.setdefault(event.nodeid, event.outcome)
                workers.setdefault(event.nodeid, event.worker)
                if event.attempts > 1:
                    self._retried.add(event.nodeid)
                if event.lost:  # already no result in the model: no correction
                    self._partial.add(event.nodeid)
            elif isinstance(event, ev.TestStarted):
                workers.setdefault(event.nodeid, event.worker)
            elif isinstance(event, ev.RunStarted | ev.RunFinished):
                self._saw.setdefault(type(event).__name__, event)
        self._sink(events)

    def _launched(self, pid: int, now: float) -> ev.SuiteLaunched:
        return ev.SuiteLaunched(
            self.suite,
            self.command.argv,
            pid,
            now,
            self.nodeids,
            self.allow_empty,
            self.quarantine,
            self.start_kind,
        )

    def start(self) -> None:
        if self.command.unavailable:
            now = time.time()
            self._sink(
                [
                    self._launched(0, now),
                    ev.SuiteExited(
                        self.suite, 127, now, error=f"unavailable: {self.command.unavailable}"
                    ),
                ]
            )
            self.returncode = 127
            self.done.set()
            return
        # The report file is the record of outcomes: one left by an earlier run must never be
        # read as this run's (nor published beside its summary).
        with contextlib.suppress(OSError):
            self.command.report_file.unlink()
        pipe = EventPipe(self.suite, self._observe, self.niceness)
        env = {**self.command.env, ENV_EVENTS: pipe.env_value(), ENV_SUITE: self.suite}
        env.pop(ENV_RUN_DIR, None)
        try:
            self.run_dir = run_dir.make(self.suite)
            env[ENV_RUN_DIR] = str(self.run_dir)
        except OSError as exc:  # the suite still runs: the helpers fall back to a mkdtemp
            self._sink([ev.OutputLine(self.suite, f"zenboard: no private run dir: {exc}")])
        try:
            self.process = self._warm_start(env, pipe.write_fd) or process.spawn(
                self.command.argv, self.command.cwd, env, (pipe.write_fd,), self.suite_niceness
            )
        except OSError as exc:
            pipe.close_unused()
            self._remove_run_dir()
            now = time.time()
            self._sink(
                [
                    self._launched(0, now),
                    ev.SuiteExited(
                        self.suite,
                        127,
                        now,
                        error=f"could not start {self.command.argv[0]}: {exc.strerror}",
                    ),
                ]
            )
            self.returncode = 127
            self.done.set()
            return
        launched = time.time()
        self._sink([self._launched(self.process.pid, launched)])
        if self.start_kind.startswith("cold start"):
            self._sink([ev.OutputLine(self.suite, f"zenboard: {self.start_kind}")])
        if self.claims is not None and self.run_dir is not None:
            main = self.command.tool != "pytest" or not uses_xdist(self.command.argv)
            self.claims.started(self.suite, self.run_dir, self.process.pid, launched, main)
        if self.timeout is not None:
            self._timer = threading.Timer(self.timeout, self._time_out)
            self._timer.name = f"timeout-{self.suite}"
            self._timer.daemon = True
            self._timer.start()
        pipe.start()
        output = threading.Thread(
            target=self._read_output, name=f"output-{self.suite}", daemon=True
        )
        output.start()
        threading.Thread(
            target=self._wait, args=(pipe, output), name=f"wait-{self.suite}", daemon=True
        ).start()

    def _warm_start(self, env: dict[str, str], event_fd: int) -> process.RunProcess | None:
        """The run forked from the suite's warm server, or None (start it cold; `start_kind`
        says why where it could have been warm)."""
        if self.warm is None or self.command.tool != "pytest":
            return None
        from zenboard.engine.warm import NEVER_WARM, cold_reason

        why = cold_reason(self.command.argv, self.nodeids)
        if not why:
            child = self.warm.spawn(self.suite, self.command.argv, self.command.cwd, env, event_fd)
            if not isinstance(child, str):
                self.start_kind = "warm"
                return child
            why = child
        if why != NEVER_WARM:
            self.start_kind = f"cold start: {why}"
        return None

    def _remove_run_dir(self) -> None:
        """The run's private dir goes with the run: its media dirs are this run's alone."""
        if self.run_dir is not None:
            run_dir.remove(self.run_dir)

    def cancel(self, sweep: bool = False) -> None:
        """Stop the whole process tree of this run (idempotent, blocks until it is gone).

        With `sweep`, a run that already ended is searched too: a daemon a test started
        outlives its pytest (zenboard quitting sweeps every run; a rerun does not wait for it).
        """
        if self.process is None:
            return
        if self.done.is_set():
            if sweep:
                process.terminate_tree(self.process)
            return
        self._cancelled = True
        process.terminate_tree(self.process)

    def _time_out(self) -> None:
        """The suite's `suite_timeout` passed: cancel it, saying why (its running tests become
        `interrupted`, and the suite an error)."""
        if self.done.is_set() or self._cancelled:
            return
        self.timed_out = True
        self.cancel()

    def _read_output(self) -> None:
        process.lower_this_thread(self.niceness)
        assert self.process is not None
        assert self.process.stdout is not None
        stdout = self.process.stdout
        assert isinstance(stdout, io.BufferedReader)  # Popen's default buffering
        partial = b""
        while True:
            try:
                chunk = stdout.read1(READ_CHUNK)
            except (OSError, ValueError):  # ValueError: closed by _wait (a grandchild holds it)
                break
            if not chunk:
                break
            lines = (partial + chunk).split(b"\n")
            partial = lines.pop()
            self._emit_output(lines)
            if len(chunk) < READ_CHUNK:
                self._exited.wait(READ_PAUSE)  # let output gather: see channel.READ_PAUSE
        if partial:
            self._emit_output([partial])

    def _emit_output(self, lines: list[bytes]) -> None:
        events: list[ev.Event] = []
        for raw in lines:
            text = raw.decode(errors="replace").rstrip("\r")[:OUTPUT_LINE_CHARS]
            self._tail.append(text)
            events.append(ev.OutputLine(self.suite, text))
        if events:
            self._sink(events)

    def _wait(self, pipe: EventPipe, output: threading.Thread) -> None:
        assert self.process is not None
        returncode = self.process.wait()
        if self._timer is not None:
            self._timer.cancel()
        self._exited.set()
        pipe.writer_exited()
        pipe.join(timeout=2.0)
        output.join(timeout=2.0)
        if output.is_alive() and self.process.stdout is not None:
            # A grandchild still holds our stdout: stop waiting for it.
            self.process.stdout.close()
        self.returncode = returncode
        corrections = self._reconcile()
        if corrections is not None and corrections.count:
            self._sink([corrections])
        if self.claims is not None and self.run_dir is not None:
            recorded = self.claims.ended(self.process.pid, time.time())
            if recorded:
                self._sink([ev.ClaimsRecorded(self.suite, recorded, self.process.pid)])
        self._remove_run_dir()
        self._sink(
            [
                ev.SuiteExited(
                    self.suite, returncode, time.time(), self._cancelled, self._error(returncode)
                )
            ]
        )
        self.done.set()
        if self._on_exit is not None:
            self._on_exit(self)

    def _reconcile(self) -> ev.ResultsCorrected | None:
        """Where pytest's own JSON report disagrees with the stream: the file wins.

        A test can write forged lines into the pipe (it runs as the user), and a line can be
        lost or skipped; the file pytest-json-report wrote is the record. A result the stream
        gave that the file has no whole record of becomes unreported. Where the file is missing
        or unreadable (pytest died) the stream stands (None), and `_error` says why.
        """
        results: list[ev.TestFinished] = []
        recorded: set[str] = set()
        if self.command.tool != "pytest":
            self._read_report(lambda raw: None)  # checked whole all the same
            return None
        read = self._read_report(lambda raw: self._judge(raw, results, recorded))
        if not read:
            self._report_missing = True
            return None
        stray = tuple(
            (nodeid, self._workers.get(nodeid, MAIN_WORKER), STRAY_REASON)
            for nodeid in self._outcomes
            if nodeid not in recorded and nodeid not in self._partial
        )
        return ev.ResultsCorrected(self.suite, tuple(results), stray)

    def _judge(self, raw: Any, results: list[ev.TestFinished], recorded: set[str]) -> None:
        """One record of the report file against the stream: a correction where they differ."""
        if not isinstance(raw, dict):
            return
        # A test retried (pytest-rerunfailures) is judged by its final attempt alone.
        record = final_attempt(raw)
        retried = raw.get("outcome") == RERUN
        nodeid, outcome = record.get("nodeid"), record.get("outcome")
        if not isinstance(nodeid, str) or outcome not in ev.OUTCOMES or lost_phase(record):
            return
        recorded.add(nodeid)
        if self._outcomes.get(nodeid) == outcome and (nodeid in self._retried or not retried):
            return
        assert isinstance(outcome, str)
        results.append(
            ev.TestFinished(
                self.suite,
                nodeid,
                self._workers.get(nodeid, MAIN_WORKER),
                outcome,
                record_duration(record),
                bounded_record(record),
                attempts=2 if retried else 1,
            )
        )

    def _read_report(self, judge: Callable[[Any], None]) -> bool:
        """Hand each test record of the report file the runner wrote to `judge`; False where
        the file is missing or damaged.

        The records are read one at a time (`report_tests`): the file of a large run is many
        megabytes. A damaged file (cut short by a full disk, a killed writer) is removed: it
        must never be published as a report, and `_error` says what happened instead.
        """
        try:
            with self.command.report_file.open("rb") as file:
                for raw in report_tests(file):
                    judge(raw)
        except OSError:
            return False
        except (ValueError, RecursionError):  # RecursionError: nested thousands deep
            self._report_damaged = True
            with contextlib.suppress(OSError):
                self.command.report_file.unlink()
            return False
        return True

    def _report_fault(self) -> str:
        """`<file>: <why>` for a JSON report that is missing or damaged, in the runner's words
        where it said them (pytest-json-report: `could not save report: [Errno 28] No space
        left on device`)."""
        file = str(self.command.report_file)
        said = next((line for line in reversed(self._tail) if SAVE_FAILED in line), "")
        why = said[said.index(SAVE_FAILED) + len(SAVE_FAILED) :].strip() if said else ""
        why = why.removesuffix(f": {file!r}")  # OSError's own `: '<file>'`, said once
        if not why:
            why = "cut short, removed" if self._report_damaged else "not written"
        return f"{file}: {why}"

    def _error(self, returncode: int) -> str:
        """Why the suite could not complete, outside any test; empty when it completed."""
        if self.timed_out:
            return f"suite timed out after {self.timeout:g}s"
        if self._cancelled:
            return ""
        finished = self._saw.get("RunFinished")
        tool = self.command.tool
        if "RunStarted" not in self._saw:
            return _tail_summary(self._tail, f"{tool} stopped before the run started")
        if finished is None:
            how = f"exit code {returncode}"
            if returncode < 0:
                how = f"killed by {signal_name(-returncode)}"
            return _tail_summary(self._tail, f"{tool} died ({how}) before the run finished")
        if isinstance(finished, ev.RunFinished) and finished.exitstatus in (3, 4):
            return _tail_summary(self._tail, f"{tool} exit status {finished.exitstatus}")
        if returncode < 0:
            return (
                f"{tool} was killed by {signal_name(-returncode)} "
                "(its event stream had claimed the run finished)"
            )
        if tool == "pytest" and isinstance(finished, ev.RunFinished):
            if finished.exitstatus != returncode:
                return (
                    f"pytest exited with code {returncode} but its event stream said "
                    f"{finished.exitstatus}: the stream cannot be trusted"
                )
            if self._report_missing:
                return (
                    "pytest's JSON report is missing or unreadable although the run finished "
                    f"({self._report_fault()}): its results cannot be checked"
                )
        if self._report_damaged:
            return f"{tool}'s JSON report could not be written whole ({self._report_fault()})"
        return ""


def _tail_summary(tail: deque[str], headline: str) -> str:
    """The headline plus the most telling line of pytest's last output (its error line)."""
    lines = [line.strip() for line in tail if line.strip()]
    telling = [line for line in lines if _ERROR_LINE.search(line) and "usage:" not in line.lower()]
    if telling:
        return f"{headline}: {telling[-1]}"
    return f"{headline}: {lines[-1]}" if lines else headline
