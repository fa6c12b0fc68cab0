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
from zenboard.model.quarantine import is_quarantined
from zenboard.model.state import (
    RunState,
    SuiteState,
    SuiteStatus,
    TestResult,
    WorkerState,
    signal_name,
    zero_counts,
)
from zenboard.wire import TIMED_OUT

MAIN_WORKER = "main"
"""The lane of a suite that runs without xdist."""
ATTEMPTS_KEPT = 20
"""Failed attempts whose records are kept per test (more are counted, not kept)."""


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


def _waiting(suite: SuiteState, event: ev.SuiteWaiting) -> None:
    suite.status = SuiteStatus.WAITING
    suite.waiting_for = event.waiting_for
    suite.waited = event.seconds


def _launched(suite: SuiteState, event: ev.SuiteLaunched) -> None:
    suite.status = SuiteStatus.RUNNING
    suite.waiting_for = ""
    suite.command = event.command
    suite.runs += 1
    suite.rerun_of = event.nodeids
    suite.start = event.start
    suite.allow_empty = event.allow_empty or bool(event.nodeids)
    suite.quarantine = frozenset(event.quarantine)
    suite.pid = event.pid
    suite.claims = ()
    suite.conflicts = {}
    if event.nodeids:
        for nodeid in event.nodeids:
            old = suite.tests.pop(nodeid, None)
            if old is not None:
                suite.counts[old.outcome] -= 1
                _count_kinds(suite, old, -1)
    else:
        suite.tests = {}
        suite.counts = zero_counts()
        suite.flaky = suite.retried = suite.quarantined_failed = 0
    suite.failed_attempts = {}
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
    suite.collected_ids = {}
    suite.started = {}
    suite.started_times = {}
    suite.not_run = []
    suite.interrupted = []
    suite.corrected = 0
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


def _tests_collected(suite: SuiteState, event: ev.TestsCollected) -> None:
    suite.collected_ids.update(dict.fromkeys(event.nodeids))


def _collect_failed(suite: SuiteState, event: ev.CollectFailed) -> None:
    suite.collect_errors.append((event.nodeid, event.longrepr))


def _test_started(suite: SuiteState, event: ev.TestStarted) -> None:
    if event.nodeid in suite.finished_this_run:
        return
    suite.started[event.nodeid] = event.worker
    if event.time is not None:
        suite.started_times[event.nodeid] = event.time
    worker = _worker(suite, event.worker)
    worker.current = event.nodeid
    worker.current_since = event.time
    if event.pending is not None:
        worker._planned = worker.done + event.pending


def _test_finished(suite: SuiteState, event: ev.TestFinished) -> None:
    if event.nodeid in suite.finished_this_run:
        suite.duplicates += 1
        return
    lost = event.lost
    if lost:
        reason = (
            f"no result: the {lost} report of this test never reached pytest's controller "
            f"(lost by xdist on {event.worker}); the record's '{event.outcome}' is not an outcome"
        )
        _set_result(suite, _unreported(event.nodeid, event.worker, reason, event.duration))
        return
    failed = suite.failed_attempts.pop(event.nodeid, [])
    _set_result(
        suite,
        TestResult(
            nodeid=event.nodeid,
            outcome=event.outcome,
            worker=event.worker,
            duration=event.duration,
            record_data=event.record_data,
            attempts=max(event.attempts, len(failed) + 1),
            failed_attempts=tuple(failed),
            started_at=suite.started_times.pop(event.nodeid, None),
            finished_at=event.time,
        ),
    )


def _test_retried(suite: SuiteState, event: ev.TestRetried) -> None:
    """A failed attempt: kept for the test's result, never counted as one."""
    if event.nodeid in suite.finished_this_run:
        suite.duplicates += 1
        return
    failed = suite.failed_attempts.setdefault(event.nodeid, [])
    if len(failed) < ATTEMPTS_KEPT:
        failed.append(event.record)


def _count_kinds(suite: SuiteState, result: TestResult, sign: int) -> None:
    """The counts beside pytest's six that a result joins (`sign` 1) or leaves (-1)."""
    suite.flaky += sign * result.flaky
    suite.retried += sign * (result.attempts > 1)
    suite.quarantined_failed += sign * (result.quarantined and result.failed)


def _unreported(nodeid: str, worker: str, reason: str, duration: float = 0.0) -> TestResult:
    """An error for a test without a (whole) report: never counted as anything it did not do."""
    record = {
        "nodeid": nodeid,
        "outcome": "error",
        "???": {"outcome": "failed", "longrepr": reason, "crash": {"message": reason}},
    }
    return TestResult(nodeid, "error", worker, duration, record, unreported=True)


def _set_result(suite: SuiteState, result: TestResult) -> None:
    """Put `result` in place of any earlier one for its test, keeping every count right."""
    counted_this_run = result.nodeid in suite.finished_this_run
    suite.finished_this_run.add(result.nodeid)
    old = suite.tests.get(result.nodeid)
    if old is not None:
        suite.counts[old.outcome] -= 1
        _count_kinds(suite, old, -1)
        previous = suite.workers.get(old.worker)
        if previous is not None and counted_this_run:
            previous.counts[old.outcome] -= 1
            previous.done -= 1
    result.quarantined = bool(suite.quarantine) and is_quarantined(result.nodeid, suite.quarantine)
    suite.tests[result.nodeid] = result
    suite.counts[result.outcome] += 1
    if result.attempts > 1 or result.quarantined:  # else it joins none of those counts
        _count_kinds(suite, result, 1)
    suite.started.pop(result.nodeid, None)
    worker = _worker(suite, result.worker)
    worker.done += 1
    worker.counts[result.outcome] += 1
    if worker.current == result.nodeid:
        worker.current = None


def _corrected(suite: SuiteState, event: ev.ResultsCorrected) -> None:
    for result in event.results:
        old = suite.tests.get(result.nodeid)
        pending = tuple(suite.failed_attempts.pop(result.nodeid, []))
        this_run = old is not None and result.nodeid in suite.finished_this_run
        kept = old.failed_attempts if old is not None and this_run else pending
        fixed = TestResult(
            result.nodeid,
            result.outcome,
            result.worker,
            result.duration,
            result.record_data,
            attempts=max(result.attempts, len(kept) + 1),
            failed_attempts=kept,
            started_at=_seen_start(suite, old if this_run else None, result.nodeid),
        )
        _set_result(suite, fixed)
        suite.corrected += 1
    for nodeid, worker, reason in event.unreported:
        old = suite.tests.get(nodeid) if nodeid in suite.finished_this_run else None
        unreported = _unreported(nodeid, worker, reason)
        unreported.started_at = _seen_start(suite, old, nodeid)
        _set_result(suite, unreported)
        suite.corrected += 1


def _seen_start(suite: SuiteState, old: TestResult | None, nodeid: str) -> float | None:
    """When the stream saw a corrected test start in this run: the file has no start, and the
    timeline places the row by it. A lost result's start is still waiting; a wrong one's is on
    its result (`old`, this run's only)."""
    waiting = suite.started_times.pop(nodeid, None)
    if waiting is not None:
        return waiting
    return old.started_at if old is not None else None


def _worker_down(suite: SuiteState, event: ev.WorkerDown) -> None:
    worker = _worker(suite, event.worker)
    if event.crashed:
        worker.crashed = True
        worker.crashed_test = event.test or worker.current
        worker.down_at = event.time
        if event.error.startswith(TIMED_OUT):
            worker.timed_out = event.error
    worker.current = None


def _worker_replaced(suite: SuiteState, event: ev.WorkerReplaced) -> None:
    if event.replacement == event.worker:  # a stable lane (Playwright): restarted in place
        _worker(suite, event.worker).restarts += 1
        return
    _worker(suite, event.worker).replaced_by = event.replacement
    _worker(suite, event.replacement).replaces = event.worker


def _run_finished(suite: SuiteState, event: ev.RunFinished) -> None:
    if suite.exitstatus is None:  # the first one: a later one can only be a stray line
        suite.exitstatus = event.exitstatus


def _exited(suite: SuiteState, event: ev.SuiteExited) -> None:
    suite.returncode = event.returncode
    suite.finished_at = event.time
    suite.error = event.error
    _settle_missing(suite, event)
    for worker in suite.workers.values():
        worker.current = None
    suite.status = _final_status(suite, event)


def _settle_missing(suite: SuiteState, event: ev.SuiteExited) -> None:
    """Give every test of the run exactly one fate: its result, an error for a test that
    started and never reported, `interrupted` for one running at a cancel, `not_run` for one
    that never started. Nothing without a result is ever counted as passed."""
    running = {w.current for w in suite.workers.values() if w.current}
    for nodeid, worker in list(suite.started.items()):
        if event.cancelled and nodeid in running:
            suite.interrupted.append(nodeid)
            continue
        reason = _unreported_reason(suite, event, nodeid, worker, nodeid in running)
        result = _unreported(nodeid, worker, reason)
        result.started_at = suite.started_times.get(nodeid)  # it ran: the timeline shows it
        _set_result(suite, result)
    suite.started.clear()
    interrupted = set(suite.interrupted)
    suite.not_run = [
        n for n in suite.collected_ids if n not in suite.finished_this_run and n not in interrupted
    ]


def _unreported_reason(
    suite: SuiteState, event: ev.SuiteExited, nodeid: str, worker: str, running: bool
) -> str:
    lane = suite.workers.get(worker)
    if lane is not None and lane.crashed and lane.crashed_test == nodeid:
        return f"no result: worker {worker} crashed while running this test"
    if suite.exitstatus is None and running and not event.cancelled:
        code = event.returncode
        how = f"was killed by {signal_name(-code)}" if code < 0 else f"exited with code {code}"
        return f"no result: pytest {how} while this test ran on {worker}"
    if worker == MAIN_WORKER:
        return "no result: the test started but pytest reported no result for it"
    return (
        f"no result: the test started on {worker} but its report never arrived "
        "(lost between the worker and pytest's controller)"
    )


def _final_status(suite: SuiteState, event: ev.SuiteExited) -> SuiteStatus:
    if event.cancelled:  # with a reason (its suite_timeout), an error; else the user's cancel
        return SuiteStatus.ERROR if event.error else SuiteStatus.CANCELLED
    status = suite.exitstatus if suite.exitstatus is not None else event.returncode
    killed = event.returncode < 0  # by a signal, whatever the stream said before
    if (
        event.error
        or killed
        or suite.collect_errors
        or status in (2, 3, 4)
        or suite.exitstatus is None
    ):
        return SuiteStatus.ERROR
    excused = suite.quarantined_failed
    crashes = [w for w in suite.workers.values() if w.crashed and not _crash_excused(suite, w)]
    if suite.failed > excused or crashes or suite.incomplete:
        return SuiteStatus.FAILED
    if status == 5 or not suite.tests:
        return SuiteStatus.NO_TESTS
    if status == 0 or (status == 1 and excused):  # pytest's 1 was the quarantined failures
        return SuiteStatus.PASSED
    return SuiteStatus.ERROR


def _crash_excused(suite: SuiteState, worker: WorkerState) -> bool:
    """A worker that crashed running a quarantined test: that test's error, failing nothing."""
    crashed = suite.tests.get(worker.crashed_test or "")
    return crashed is not None and crashed.quarantined


def _output(suite: SuiteState, event: ev.OutputLine) -> None:
    suite.output.append(event.text)


def _damaged(suite: SuiteState, event: ev.StreamDamaged) -> None:
    suite.malformed += event.malformed
    suite.oversized += event.oversized


def _claims(suite: SuiteState, event: ev.ClaimsRecorded) -> None:
    if event.run_pid == suite.pid:
        suite.claims = event.claims


def _conflict(suite: SuiteState, event: ev.ClaimConflict) -> None:
    """Kept per resource: a later report of it (more holders found) replaces the earlier."""
    if event.run_pid == suite.pid:
        suite.conflicts[event.conflict.key] = event.conflict


_HANDLERS: dict[type[Any], Callable[[SuiteState, Any], None]] = {
    ev.SuiteWaiting: _waiting,
    ev.SuiteLaunched: _launched,
    ev.RunStarted: _run_started,
    ev.WorkerReady: _worker_ready,
    ev.WorkerCollected: _worker_collected,
    ev.TestsCollected: _tests_collected,
    ev.CollectFailed: _collect_failed,
    ev.TestStarted: _test_started,
    ev.TestFinished: _test_finished,
    ev.TestRetried: _test_retried,
    ev.WorkerDown: _worker_down,
    ev.WorkerReplaced: _worker_replaced,
    ev.RunFinished: _run_finished,
    ev.ResultsCorrected: _corrected,
    ev.SuiteExited: _exited,
    ev.OutputLine: _output,
    ev.StreamDamaged: _damaged,
    ev.ClaimsRecorded: _claims,
    ev.ClaimConflict: _conflict,
}
