"""The reducer: fold one event into the run state.

A table maps each event type to a small handler, as xdist's controller maps worker events to
`worker_<name>` methods. Handlers are defensive about order and repetition: a result that was
already counted in this run is never counted again, and a late "started" for a finished test is
ignored, so the state stays right even when a producer misbehaves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zenboard.model import events as ev
from zenboard.model.state import (
    RunState,
    SuiteState,
    SuiteStatus,
    TestResult,
    WorkerState,
    zero_counts,
)

MAIN_WORKER = "main"
"""The lane of a suite that runs without xdist."""


def apply(state: RunState, event: ev.Event) -> None:
    """Fold `event` into `state` (in place)."""
    suite = state.suites.get(event.suite)
    if suite is None:
        suite = state.suites[event.suite] = SuiteState(name=event.suite)
    _HANDLERS[type(event)](suite, event)
    state.revision += 1


def _worker(suite: SuiteState, worker_id: str) -> WorkerState:
    worker = suite.workers.get(worker_id)
    if worker is None:
        worker = suite.workers[worker_id] = WorkerState(id=worker_id)
    return worker


def _launched(suite: SuiteState, event: ev.SuiteLaunched) -> None:
    suite.status = SuiteStatus.RUNNING
    suite.command = event.command
    suite.runs += 1
    suite.rerun_of = event.nodeids
    if event.nodeids:
        for nodeid in event.nodeids:
            old = suite.tests.pop(nodeid, None)
            if old is not None:
                suite.counts[old.outcome] -= 1
    else:
        suite.tests = {}
        suite.counts = zero_counts()
    suite.workers = {}
    suite.workers_planned = None
    suite.collected = None
    suite.collect_errors = []
    suite.started_at = event.time
    suite.finished_at = None
    suite.returncode = None
    suite.exitstatus = None
    suite.error = ""
    suite.finished_this_run = set()
    suite.output.clear()


def _run_started(suite: SuiteState, event: ev.RunStarted) -> None:
    suite.workers_planned = event.workers_planned
    suite.rootdir = event.rootdir
    if event.workers_planned == 0:
        _worker(suite, MAIN_WORKER)


def _worker_ready(suite: SuiteState, event: ev.WorkerReady) -> None:
    _worker(suite, event.worker)


def _worker_collected(suite: SuiteState, event: ev.WorkerCollected) -> None:
    _worker(suite, event.worker)
    if suite.collected is None or event.count > suite.collected:
        suite.collected = event.count


def _collect_failed(suite: SuiteState, event: ev.CollectFailed) -> None:
    suite.collect_errors.append((event.nodeid, event.longrepr))


def _test_started(suite: SuiteState, event: ev.TestStarted) -> None:
    if event.nodeid in suite.finished_this_run:
        return
    worker = _worker(suite, event.worker)
    worker.current = event.nodeid
    if event.pending is not None:
        worker._planned = worker.done + event.pending


def _test_finished(suite: SuiteState, event: ev.TestFinished) -> None:
    if event.nodeid in suite.finished_this_run:
        suite.duplicates += 1
        return
    suite.finished_this_run.add(event.nodeid)
    old = suite.tests.get(event.nodeid)
    if old is not None:
        suite.counts[old.outcome] -= 1
    suite.tests[event.nodeid] = TestResult(
        nodeid=event.nodeid,
        outcome=event.outcome,
        worker=event.worker,
        duration=event.duration,
        record=event.record,
    )
    suite.counts[event.outcome] += 1
    worker = _worker(suite, event.worker)
    worker.done += 1
    worker.counts[event.outcome] += 1
    if worker.current == event.nodeid:
        worker.current = None


def _worker_down(suite: SuiteState, event: ev.WorkerDown) -> None:
    worker = _worker(suite, event.worker)
    if event.crashed:
        worker.crashed = True
        worker.crashed_test = event.test or worker.current
    worker.current = None


def _worker_replaced(suite: SuiteState, event: ev.WorkerReplaced) -> None:
    if event.replacement == event.worker:  # a stable lane (Playwright): restarted in place
        _worker(suite, event.worker).restarts += 1
        return
    _worker(suite, event.worker).replaced_by = event.replacement
    _worker(suite, event.replacement).replaces = event.worker


def _run_finished(suite: SuiteState, event: ev.RunFinished) -> None:
    suite.exitstatus = event.exitstatus


def _exited(suite: SuiteState, event: ev.SuiteExited) -> None:
    suite.returncode = event.returncode
    suite.finished_at = event.time
    suite.error = event.error
    for worker in suite.workers.values():
        worker.current = None
    suite.status = _final_status(suite, event)


def _final_status(suite: SuiteState, event: ev.SuiteExited) -> SuiteStatus:
    if event.cancelled:
        return SuiteStatus.CANCELLED
    status = suite.exitstatus if suite.exitstatus is not None else event.returncode
    if event.error or suite.collect_errors or status in (2, 3, 4) or suite.exitstatus is None:
        return SuiteStatus.ERROR
    if suite.failed or suite.crashed_workers:
        return SuiteStatus.FAILED
    if status == 5 or not suite.tests:
        return SuiteStatus.NO_TESTS
    if status == 0:
        return SuiteStatus.PASSED
    return SuiteStatus.ERROR


def _output(suite: SuiteState, event: ev.OutputLine) -> None:
    suite.output.append(event.text)


def _damaged(suite: SuiteState, event: ev.StreamDamaged) -> None:
    suite.malformed += event.malformed
    suite.oversized += event.oversized


_HANDLERS: dict[type[Any], Callable[[SuiteState, Any], None]] = {
    ev.SuiteLaunched: _launched,
    ev.RunStarted: _run_started,
    ev.WorkerReady: _worker_ready,
    ev.WorkerCollected: _worker_collected,
    ev.CollectFailed: _collect_failed,
    ev.TestStarted: _test_started,
    ev.TestFinished: _test_finished,
    ev.WorkerDown: _worker_down,
    ev.WorkerReplaced: _worker_replaced,
    ev.RunFinished: _run_finished,
    ev.SuiteExited: _exited,
    ev.OutputLine: _output,
    ev.StreamDamaged: _damaged,
}
