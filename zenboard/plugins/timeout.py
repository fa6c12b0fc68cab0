"""zenboard's per-test timeout, loaded with `-p` only when a suite sets `timeout`.

In the process that runs the tests, a watchdog thread times each test (setup, call and
teardown together). Without xdist, SIGALRM raises inside the test, which pytest then records as
`failed` (or `error` in setup or teardown); a test the signal cannot reach ends the process after
`GRACE` seconds, and the suite's remaining tests are `not_run`. Under xdist the worker writes
every thread's stack where the controller finds it and exits at once: xdist replaces the worker,
and the controller's `pytest_handlecrashitem` turns the crash report into the timeout's report.
Why it works this way: docs/architecture.md, "Why the code is the way it is".
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Generator
from types import FrameType
from typing import Any

import pytest

from zenboard.wire import TIMED_OUT, TIMEOUT_CONTROLLER

OPTION = "--zenboard-timeout"
DIR_INPUT = "zenboard_timeout_dir"
"""The controller's directory for timed-out workers' stacks, handed on through `workerinput`."""
GRACE = 5.0
"""Seconds a test the signal did not stop gets before its process is ended (without xdist)."""
WORKER_EXIT = 3
"""Exit status of a worker ended by a timeout (xdist replaces it)."""
ERROR_MARK = "_zenboard_timed_out_in_fixture"
"""Set on a crash report whose test hung in setup or teardown: recorded as `error`."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION,
        type=float,
        default=None,
        dest="zenboard_timeout",
        help="zenboard: seconds a test may run before it is stopped",
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    seconds = config.getoption("zenboard_timeout", None)
    if not isinstance(seconds, float) or seconds <= 0:
        return
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict):
        folder = workerinput.get(DIR_INPUT)
        worker = str(workerinput.get("workerid", "gw?"))
        config.pluginmanager.register(
            TestTimer(seconds, config, worker_file(str(folder), worker) if folder else None),
            "zenboard-timeout",
        )
        return
    config.pluginmanager.register(TestTimer(seconds, config, None), "zenboard-timeout")
    config.pluginmanager.register(CrashRewriter(), TIMEOUT_CONTROLLER)


def worker_file(folder: str, worker: str) -> str:
    safe = "".join(c for c in worker if c.isalnum() or c in "-_") or "worker"
    return os.path.join(folder, f"{safe}.json")


def describe_seconds(seconds: float) -> str:
    return f"{seconds:g}s"


def thread_stacks(skip: int | None = None, frames: dict[int, FrameType] | None = None) -> str:
    """Every thread's stack at this moment (but thread `skip`'s: the watchdog's own)."""
    names = {t.ident: t.name for t in threading.enumerate()}
    parts = []
    for ident, frame in (frames or sys._current_frames()).items():
        if ident == skip:
            continue
        parts.append(f"--- thread {names.get(ident, '?')} ({ident}) ---")
        parts.append("".join(traceback.format_stack(frame)).rstrip())
    return "\n".join(parts)


def timeout_text(seconds: float, when: str, stacks: str) -> str:
    """The longrepr of a timed-out test: what happened, then every thread's stack."""
    return f"{TIMED_OUT} after {describe_seconds(seconds)} (in {when})\n\n{stacks}\n"


class Watchdog:
    """One long-lived thread that calls `expired(token)` when an armed deadline passes."""

    def __init__(self, expired: Callable[[object], None]) -> None:
        self._expired = expired
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._token: object = None
        self.ident: int | None = None
        thread = threading.Thread(target=self._run, name="zenboard-timeout", daemon=True)
        thread.start()
        self.ident = thread.ident

    def arm(self, seconds: float, token: object) -> None:
        with self._cond:
            self._deadline, self._token = time.monotonic() + seconds, token
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._deadline, self._token = None, None
            self._cond.notify()

    def armed(self, token: object) -> bool:
        with self._cond:
            return self._token is token and self._deadline is not None

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._deadline is None:
                    self._cond.wait()
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                token, self._deadline = self._token, None
            self._expired(token)


class TestTimer:
    """Times each test in the process that runs it (an xdist worker, or pytest alone)."""

    __test__ = False  # not a test class, whatever its name says

    def __init__(self, seconds: float, config: pytest.Config, stacks_file: str | None) -> None:
        self.seconds = seconds
        self.config = config
        self.stacks_file = stacks_file
        """Under xdist: where the stacks go before the worker exits; None: pytest alone."""
        self.when = "setup"
        self.nodeid = ""
        self.lineno = 0
        """The running test's line (1-based), for its crash location when it times out."""
        self._token: object = None
        """Identifies the test the watchdog is armed for."""
        self.fired = False
        """The signal was sent for the current test (it now gets GRACE seconds to stop)."""
        self.watchdog = Watchdog(self._expired)
        self.use_signal = (
            stacks_file is None
            and hasattr(signal, "SIGALRM")
            and threading.current_thread() is threading.main_thread()
        )
        self._previous: Any = None
        if self.use_signal:
            self._previous = signal.signal(signal.SIGALRM, self._on_alarm)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.watchdog.disarm()
        if self.use_signal:
            signal.setitimer(signal.ITIMER_REAL, 0)
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(signal.SIGALRM, self._previous)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            self._disarm()

    def _arm(self, item: pytest.Item) -> None:
        """Start the clock of one attempt (a retry gets its own: pytest-rerunfailures runs
        setup, call and teardown again inside the same protocol call)."""
        self.nodeid, self.when, self.fired = item.nodeid, "setup", False
        self.lineno = item.location[1] + 1 if item.location[1] is not None else 0
        token = object()
        self._token = token
        if self.use_signal:
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.watchdog.arm(self.seconds + GRACE, token)
        else:
            self.watchdog.arm(self.seconds, token)

    def _disarm(self) -> None:
        self.watchdog.disarm()
        if self.use_signal:
            signal.setitimer(signal.ITIMER_REAL, 0)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, object, object]:
        self._arm(item)
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        self.when = "call"
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, object, object]:
        self.when = "teardown"
        try:
            return (yield)
        finally:
            self._disarm()

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        """SIGALRM, in the main thread, inside the test: stop it as a failure of its phase."""
        __tracebackhide__ = True  # the crash line is the test's, not this handler's
        if self.fired or not self.nodeid:
            return
        self.fired = True
        frames = sys._current_frames()
        if frame is not None:
            frames[threading.main_thread().ident or 0] = frame
        text = timeout_text(self.seconds, self.when, thread_stacks(self.watchdog.ident, frames))
        pytest.fail(text, pytrace=False)

    def _expired(self, token: object) -> None:
        """The watchdog's deadline passed (on its own thread)."""
        if token is not self._token:
            return  # that test has finished since
        stacks = thread_stacks(self.watchdog.ident)
        if self.stacks_file is not None:
            record = {
                "nodeid": self.nodeid,
                "when": self.when,
                "seconds": self.seconds,
                "stacks": stacks,
                "lineno": self.lineno,
            }
            with contextlib.suppress(OSError):
                temporary = self.stacks_file + ".tmp"
                with open(temporary, "w", encoding="utf-8") as file:
                    json.dump(record, file)
                os.replace(temporary, self.stacks_file)
            os._exit(WORKER_EXIT)  # xdist sees the worker die and starts a replacement
        # pytest alone, and the signal did not stop the test: end the process, saying why.
        took = describe_seconds(self.seconds)
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        suspend = getattr(capture, "suspend_global_capture", None)
        if callable(suspend):  # the test's output is captured: say it where the user sees it
            with contextlib.suppress(Exception):
                suspend(in_=False)
        err = sys.__stderr__
        with contextlib.suppress(Exception):
            assert err is not None
            err.write(  # the stacks, then the line zenboard quotes as the reason
                f"\n{stacks}\nzenboard: error: {self.nodeid} timed out after {took} "
                f"(in {self.when}) and did not stop within {describe_seconds(GRACE)}; "
                "pytest was ended\n"
            )
            err.flush()
        stream = self.config.pluginmanager.get_plugin("zenboard-event-stream")
        flush = getattr(getattr(stream, "pipe", None), "flush", None)
        if callable(flush):
            with contextlib.suppress(Exception):
                flush()  # the lines of tests that finished before must reach zenboard
        os._exit(WORKER_EXIT)


class TimeoutRepr:
    """A crash report's longrepr once it is known to be a timeout: its text and crash line."""

    def __init__(self, text: str, message: str, path: str, lineno: int = 0) -> None:
        self.text = text
        self.reprcrash = _Crash(path, message, lineno)

    def toterminal(self, out: Any) -> None:
        for line in self.text.rstrip("\n").splitlines():
            out.line(line)

    def __str__(self) -> str:
        return self.text


class _Crash:
    """The shape pytest-json-report reads as a stage's `crash` (path, lineno, message)."""

    def __init__(self, path: str, message: str, lineno: int) -> None:
        self.path = path
        self.lineno = lineno
        """The test function's line (its `def`): where the hung test is."""
        self.message = message


class CrashRewriter:
    """On the xdist controller: a worker that died of a timeout reports the timeout."""

    def __init__(self) -> None:
        self.folder: str | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="zenboard-timeouts-")
        node.workerinput[DIR_INPUT] = self.folder

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def timed_out(self, worker: str) -> str:
        """`timed out after Ns` when the timeout ended `worker` (its stacks wait for the crash
        report), else "": asked by the event plugin when a worker goes down."""
        if self.folder is None:
            return ""
        try:
            with open(worker_file(self.folder, worker), encoding="utf-8") as file:
                record = json.load(file)
        except (OSError, ValueError, RecursionError):
            return ""
        seconds = record.get("seconds") if isinstance(record, dict) else None
        took = describe_seconds(seconds) if isinstance(seconds, int | float) else "its timeout"
        return f"{TIMED_OUT} after {took}"

    @pytest.hookimpl(optionalhook=True, tryfirst=True)
    def pytest_handlecrashitem(self, crashitem: str, report: Any, sched: Any) -> None:
        gateway = getattr(getattr(report, "node", None), "gateway", None)
        if self.folder is None or gateway is None:
            return
        path = worker_file(self.folder, str(gateway.id))
        try:
            with open(path, encoding="utf-8") as file:
                record = json.load(file)
            os.unlink(path)
        except (OSError, ValueError, RecursionError):
            return  # a crash of another kind: xdist's own report stands
        if not isinstance(record, dict) or record.get("nodeid") != crashitem:
            return
        when = str(record.get("when", "call"))
        seconds = record.get("seconds")
        took = describe_seconds(seconds) if isinstance(seconds, int | float) else "its timeout"
        message = f"{TIMED_OUT} after {took} (in {when}; worker {gateway.id} was replaced)"
        text = f"{message}\n\n{record.get('stacks', '')}\n"
        lineno = record.get("lineno")
        line = lineno if isinstance(lineno, int) and not isinstance(lineno, bool) else 0
        report.longrepr = TimeoutRepr(text, message, crashitem.split("::")[0], line)
        if isinstance(seconds, int | float) and not isinstance(seconds, bool):
            report.duration = float(seconds)  # it ran that long (xdist's crash report says 0)
        if when in ("setup", "teardown"):
            setattr(report, ERROR_MARK, True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: Any) -> tuple[str, str, str] | None:
        if getattr(report, ERROR_MARK, False):
            return "error", "E", "ERROR"
        return None
