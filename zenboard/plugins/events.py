"""zenboard's pytest plugin: streams a suite run as versioned JSON lines, per xdist worker.

Loaded through the `pytest11` entry point into every pytest process, it stays inert unless
zenboard started that very process: `ZENBOARD_EVENTS=fd:<fd>:<pid>` must name a pipe and the
plugin's parent, and is then removed from the environment. Only the controller writes; it learns
which worker started a test by wrapping xdist's `DSession.worker_logstart(node, ...)`, and each
finished test carries pytest-json-report's record (long texts cut at a bound). `BatchedPipe`
writes the lines from a flusher thread once every `FLUSH_INTERVAL`, in order, never blocking
the controller. Why it works this way: docs/architecture.md, "Why the code is the way it is".
"""

from __future__ import annotations

import atexit
import contextlib
import os
import stat
import threading
import time
from typing import Any

import pytest

from zenboard.wire import (
    ENV_EVENTS,
    ENV_SELECT,
    LINE_BUDGET,
    RERUN,
    TEXT_BOUND,
    TIMEOUT_CONTROLLER,
    bounded_record,
    cut,
    encode,
    essential_record,
    failed_attempt,
    final_attempt,
    lost_phase,
    record_duration,
)

ENV_VAR = ENV_EVENTS
SELECT_VAR = ENV_SELECT
SELECT_INPUT = "zenboard_select"
"""The same file for xdist workers, through `workerinput` (never the environment)."""
COLLECTED_CHUNK = 64 * 1024
"""Characters of node ids per `tests_collected` line."""
MAIN_WORKER = "main"
FLUSH_INTERVAL = 0.02
"""Seconds a line may wait to be written with the ones after it: invisible on a dashboard."""


def _stream_fd() -> int | None:
    """The pipe to write to, if zenboard started this process; None otherwise (inert)."""
    spec = os.environ.get(ENV_VAR, "")
    parts = spec.split(":")
    if len(parts) != 3 or parts[0] != "fd" or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    fd, parent = int(parts[1]), int(parts[2])
    if os.getppid() != parent:
        return None
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return None
    except OSError:
        return None
    return fd


def _close_on_exec() -> None:
    """Mark the pipe close-on-exec as soon as the plugin is imported (before any conftest
    runs): nothing a conftest or a test starts inherits it."""
    fd = _stream_fd()
    if fd is not None:
        with contextlib.suppress(OSError):
            os.set_inheritable(fd, False)


_close_on_exec()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict):
        selected = workerinput.get(SELECT_INPUT)
        if isinstance(selected, list) and len(selected) == 2:
            path, base = (str(part) for part in selected)
            config.pluginmanager.register(Selection(path, config, base), "zenboard-selection")
        return
    fd = _stream_fd()
    if fd is None:
        return
    os.environ.pop(ENV_VAR, None)
    # Close-on-exec: no child of this process (a test's subprocess, a shell) holds the pipe.
    os.set_inheritable(fd, False)
    selected = os.environ.pop(SELECT_VAR, None)
    if selected:
        config.pluginmanager.register(Selection(selected, config), "zenboard-selection")
    config.pluginmanager.register(EventStream(config, fd, selected), "zenboard-event-stream")


class Selection:
    """Keeps exactly the selected tests, whatever else the suite's arguments collect.

    pytest 9 collects a path argument whole even when node ids inside it are given beside it,
    so passing a shard's ids on the command line is not enough to partition a suite. The file
    holds the same arguments as the command line (relative to where pytest was invoked): node
    ids, files or directories; an item is kept when it is one of them or lies inside one.
    """

    def __init__(self, path: str, config: pytest.Config, base: str | None = None) -> None:
        base = base or str(config.invocation_params.dir)
        root = str(config.rootpath)
        self.keys: set[str] = set()
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                entry = line.rstrip("\n")
                if not entry.strip():
                    continue
                where, sep, rest = entry.partition("::")
                absolute = os.path.abspath(os.path.join(base, where))
                relative = os.path.relpath(absolute, root).replace(os.sep, "/")
                self.keys.add(relative + sep + rest)

    def wanted(self, nodeid: str) -> bool:
        keys = self.keys
        if nodeid in keys or "." in keys:
            return True
        bracket = nodeid.find("[")
        if bracket > 0 and nodeid[:bracket] in keys:  # an id without its parameters: all of
            return True  # them, as pytest itself takes `t.py::test_a` on its command line
        parts = nodeid.split("::")
        for end in range(len(parts) - 1, 0, -1):  # a class, a module
            if "::".join(parts[:end]) in keys:
                return True
        folder = parts[0]
        while "/" in folder:  # a directory
            folder = folder.rsplit("/", 1)[0]
            if folder in keys:
                return True
        return False

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[Any]) -> None:
        kept = [item for item in items if self.wanted(item.nodeid)]
        if len(kept) != len(items):
            dropped = [item for item in items if not self.wanted(item.nodeid)]
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept


class BatchedPipe:
    """Ordered, batched writes to the event pipe, from a flusher thread.

    `write` only appends (under a lock held for an append); the first line after a quiet spell
    wakes the flusher, which writes at once when its last write was `interval` ago or more (a
    run's first result is not held back), else waits out the rest of `interval`, then takes
    everything gathered and writes it with one `os.write` loop. `flush` writes what is left from
    the caller's thread (run end, unconfigure, interpreter exit). A write error (zenboard went
    away) stops streaming, never the run, and a forked child of this process never writes into
    zenboard's stream.
    """

    def __init__(self, fd: int, interval: float = FLUSH_INTERVAL) -> None:
        self.fd: int | None = fd
        self._identity = _identity(fd)
        """The pipe's (device, inode): a forked child closes `fd` only while it is that pipe."""
        self.interval = interval
        self._pending: list[bytes] = []
        self._scheduled = False
        self._lock = threading.Lock()
        """Guards `_pending` and `_scheduled`."""
        self._write_lock = threading.Lock()
        """One writer at a time, so batches reach the pipe in the order they were taken."""
        self._wake = threading.Event()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)
        self._thread = threading.Thread(target=self._run, name="zenboard-events", daemon=True)
        self._thread.start()

    def write(self, line: bytes) -> None:
        if self.fd is None:
            return
        with self._lock:
            self._pending.append(line)
            if self._scheduled:
                return
            self._scheduled = True
        self._wake.set()

    def flush(self) -> None:
        """Write everything gathered so far, now, from the calling thread."""
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
                self._scheduled = False
            self._write_all(batch)

    def _forget(self) -> None:
        """In a forked child: the stream is the parent's; never write, never wait on its locks,
        and do not hold the pipe (a forked child could otherwise write forged lines into it).

        The descriptor is closed only while its number still names the pipe: at-fork hooks
        outlive the session, and a number that was closed since may name another file now."""
        fd = self.fd
        if fd is not None and self._identity is not None and _identity(fd) == self._identity:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fd = None
        self._pending = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()

    def close(self) -> None:
        """The session is over: write what is left and never touch the descriptor again."""
        self.flush()
        self.fd = None
        self._wake.set()

    def _run(self) -> None:
        # Leading edge: a line after a quiet spell (a run's first result) goes out at once;
        # while lines keep coming, at most one write per `interval`.
        last = float("-inf")
        while self.fd is not None:
            self._wake.wait()
            self._wake.clear()
            pause = self.interval - (time.monotonic() - last)
            if pause > 0:
                time.sleep(pause)
            self.flush()
            last = time.monotonic()

    def _write_all(self, batch: list[bytes]) -> None:
        if not batch or self.fd is None:
            return
        data = memoryview(b"".join(batch))
        try:
            while data:
                written = os.write(self.fd, data)
                data = data[written:]
        except OSError:
            self.fd = None  # zenboard went away: keep the run going, stop streaming
            self._wake.set()


def _identity(fd: int) -> tuple[int, int] | None:
    try:
        info = os.fstat(fd)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _worker_of(report: Any) -> str:
    node = getattr(report, "node", None)
    gateway = getattr(node, "gateway", None)
    return str(getattr(gateway, "id", MAIN_WORKER)) if gateway is not None else MAIN_WORKER


class EventStream:
    """The active half of the plugin, registered only when zenboard started this process."""

    def __init__(self, config: pytest.Config, fd: int, selected: str | None = None) -> None:
        self.config = config
        self.selected = selected
        """The selection file, handed on to xdist workers (see `Selection`)."""
        self.collected_sent = False
        self.pipe = BatchedPipe(fd)
        atexit.register(self.pipe.flush)
        self.started = time.monotonic()
        self.xdist = False
        self.current: dict[str, str] = {}
        """worker id -> the test it is running."""
        self.down_crashed: list[str] = []
        """Crashed workers whose replacement has not appeared yet."""
        self.own_outcomes: dict[str, str] = {}
        self.rerun_now: set[str] = set()
        """Tests whose current attempt failed and will run again (pytest-rerunfailures)."""
        self.failed_attempts: dict[str, int] = {}
        """node id -> its attempts that failed and were retried, for tests not finished yet."""

    # -- writing ---------------------------------------------------------------------------
    def emit(self, kind: str, **fields: Any) -> None:
        self.pipe.write(encode(kind, **fields))

    # -- run -------------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        dsession = self.config.pluginmanager.getplugin("dsession")
        self.xdist = dsession is not None
        planned = 0
        if self.xdist:
            numprocesses = self.config.getoption("numprocesses", None)
            tx = self.config.getoption("tx", None) or []
            planned = (
                numprocesses if isinstance(numprocesses, int) and numprocesses > 0 else len(tx)
            )
            self._wrap_logstart(dsession)
        self.emit(
            "run_started",
            workers_planned=planned,
            rootdir=str(self.config.rootpath),
            pid=os.getpid(),
        )

    def _wrap_logstart(self, dsession: Any) -> None:
        original = getattr(dsession, "worker_logstart", None)
        if original is None:
            return

        def worker_logstart(node: Any, nodeid: str, location: Any) -> None:
            worker = str(node.gateway.id)
            self.current[worker] = nodeid
            pending = None
            node2pending = getattr(getattr(dsession, "sched", None), "node2pending", None)
            if isinstance(node2pending, dict):
                pending = len(node2pending.get(node, ()))
            self.emit("test_started", nodeid=nodeid, worker=worker, pending=pending)
            original(node=node, nodeid=nodeid, location=location)

        dsession.worker_logstart = worker_logstart

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.emit(
            "run_finished", exitstatus=int(exitstatus), duration=time.monotonic() - self.started
        )
        self.pipe.flush()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.pipe.close()

    # -- collection ------------------------------------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.emit("collect_failed", nodeid=report.nodeid, longrepr=cut(str(report.longrepr)))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.xdist:
            self.emit("worker_collected", worker=MAIN_WORKER, count=len(session.items))
            self._send_collected([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.emit("worker_collected", worker=str(node.gateway.id), count=len(ids))
        self._send_collected(ids)

    def _send_collected(self, nodeids: list[str]) -> None:
        """Every collected id, once per run (xdist's workers all collect the same ones), in
        lines of bounded size: zenboard needs them to tell a test that never ran."""
        if self.collected_sent:
            return
        self.collected_sent = True
        chunk: list[str] = []
        size = 0
        for nodeid in nodeids:
            chunk.append(nodeid)
            size += len(nodeid) + 4
            if size >= COLLECTED_CHUNK:
                self.emit("tests_collected", nodeids=chunk)
                chunk, size = [], 0
        if chunk:
            self.emit("tests_collected", nodeids=chunk)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if self.selected:  # with the controller's directory, which its entries are relative to
            base = str(self.config.invocation_params.dir)
            node.workerinput[SELECT_INPUT] = [self.selected, base]

    # -- workers ---------------------------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodeready(self, node: Any) -> None:
        self.emit("worker_ready", worker=str(node.gateway.id))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        worker = str(node.gateway.id)
        crashed = error is not None
        test = self.current.pop(worker, None)
        if crashed:
            self.down_crashed.append(worker)
        reason = str(error or "")
        timeouts = self.config.pluginmanager.get_plugin(TIMEOUT_CONTROLLER)
        timed_out = getattr(timeouts, "timed_out", None)
        if crashed and callable(timed_out):
            reason = str(timed_out(worker) or reason)  # ended by the timeout plugin, not a crash
        self.emit("worker_down", worker=worker, crashed=crashed, test=test, error=cut(reason))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_newgateway(self, gateway: Any) -> None:
        if self.down_crashed:
            self.emit(
                "worker_replaced", worker=self.down_crashed.pop(0), replacement=str(gateway.id)
            )

    # -- tests -----------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        if not self.xdist:
            self.current[MAIN_WORKER] = nodeid
            self.emit("test_started", nodeid=nodeid, worker=MAIN_WORKER)
            # Without xdist a test that crashes the interpreter (a segfault) takes the pending
            # batch with it: written now, zenboard can name the test that was running.
            self.pipe.flush()

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        when = report.when
        if report.outcome == RERUN:
            self.rerun_now.add(report.nodeid)
        if when not in ("teardown", "???"):
            if when == "setup" or report.outcome != "passed":
                self._own_outcome(report)
            return
        self._own_outcome(report)
        nodeid = report.nodeid
        worker = _worker_of(report)
        if nodeid in self.rerun_now:
            self._retried(report, worker)
            return
        if self.current.get(worker) == nodeid:
            del self.current[worker]
        record = final_attempt(self._record(report))
        duration = record_duration(record)
        fields: dict[str, Any] = {
            "nodeid": nodeid,
            "worker": worker,
            "outcome": record.get("outcome", "failed"),
            "duration": duration,
        }
        retried = self.failed_attempts.pop(nodeid, 0)
        if retried:
            fields["attempts"] = retried + 1
        fields["lost"] = lost_phase(record)  # said, so zenboard need not decode the record
        fields["record"] = record  # last: zenboard reads the fields before it without decoding it
        line = encode("test_finished", **fields)
        if len(line) > TEXT_BOUND:  # shorter, and no text in it can be over the bound
            line = encode("test_finished", **{**fields, "record": bounded_record(record)})
            if len(line) > LINE_BUDGET:  # still huge (thousands of keys): the essentials
                line = encode("test_finished", **{**fields, "record": essential_record(record)})
        self.pipe.write(line)

    def _retried(self, report: pytest.TestReport, worker: str) -> None:
        """An attempt that failed and runs again: its own event, never a result."""
        nodeid = report.nodeid
        self.rerun_now.discard(nodeid)
        attempt = self.failed_attempts[nodeid] = self.failed_attempts.get(nodeid, 0) + 1
        record = failed_attempt(bounded_record(self._record(report)))
        self.own_outcomes.pop(nodeid, None)
        self.emit(
            "test_retried",
            nodeid=nodeid,
            worker=worker,
            attempt=attempt,
            duration=record_duration(record),
            record=essential_record(record),
        )

    def _own_outcome(self, report: pytest.TestReport) -> None:
        """Track the outcome as pytest-json-report does, for runs without its record."""
        if getattr(self.config, "_json_report", None) is not None:
            return
        status = self.config.hook.pytest_report_teststatus(report=report, config=self.config)[0]
        if report.when == "setup":
            self.own_outcomes[report.nodeid] = "passed"
        if status not in ("passed", ""):
            self.own_outcomes[report.nodeid] = status

    def _record(self, report: pytest.TestReport) -> dict[str, Any]:
        json_report = getattr(self.config, "_json_report", None)
        tests = getattr(json_report, "_json_tests", None)
        if isinstance(tests, dict):
            record = tests.get(report.nodeid)
            if isinstance(record, dict):
                return record
        crashed = str(report.when) == "???"
        outcome = self.own_outcomes.pop(report.nodeid, "failed" if crashed else "passed")
        return {
            "nodeid": report.nodeid,
            "outcome": outcome,
            report.when: {
                "duration": report.duration,
                "outcome": report.outcome,
                "longrepr": str(report.longrepr or ""),
            },
        }
