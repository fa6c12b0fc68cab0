"""The headless view's lines: a suite's progress line, the final table, quarantine notes.

Pure formatting of the model's state, kept apart from the run that prints them so watch mode,
verify and the tests can build the same lines.
"""

from __future__ import annotations

from zenboard.config import ProjectConfig
from zenboard.model.quarantine import unmatched
from zenboard.model.reducer import MAIN_WORKER
from zenboard.model.state import RunState, SuiteState
from zenboard.words import plural


def progress_line(suite: SuiteState, now: float) -> str:
    """`[unit] running 61/96 passed=60 failed=1 workers=4 2.1s`, as things stand.

    A rerun of a few tests says how it started: `no xdist warm` (forked from the suite's warm
    pytest) or `no xdist (cold start)` (it could not be; the output says why).

    A suite without xdist runs its tests in pytest's own process (lane `main`): that is
    `no xdist`, not one worker. A finished suite has no results to wait for: no "yet".
    """
    total = suite.total
    done = f"{suite.done}/{total}" if total is not None else f"{suite.done}/?"
    counts = " ".join(f"{k}={v}" for k, v in suite.counts.items() if v)
    if suite.flaky:
        counts += f" flaky={suite.flaky}"
    if not counts:
        counts = "no results" if suite.status.finished else "no results yet"
    live = [w for w in suite.workers.values() if not w.crashed]
    workers = "no xdist" if [w.id for w in live] == [MAIN_WORKER] else f"workers={len(live)}"
    crashed = len(suite.crashed_workers)
    lane = workers + (f" crashed={crashed}" if crashed else "")
    if suite.start:  # a rerun of a few tests: forked warm, or a cold start (and why not warm)
        lane += " warm" if suite.start == "warm" else " (cold start)"
    elapsed = f"{suite.duration(now):.1f}s"
    return f"[{suite.name}] {suite.status} {done} {counts} {lane} {elapsed}"


_COLUMNS = (
    ("suite", "<16"),
    ("worker", "<8"),
    ("status", "<10"),
    ("done", ">5"),
    ("pass", ">5"),
    ("fail", ">5"),
    ("error", ">5"),
    ("skip", ">5"),
    ("xfail", ">5"),
    ("xpass", ">5"),
    ("time", ">8"),
)
"""The final table: `fail` and `error` apart, as the progress lines count them (`failed=1
error=1`); five characters a count (up to 99999) keep it 87 wide, as it was without `error`."""


def _row(*cells: object) -> str:
    return " ".join(f"{cell!s:{spec}}" for cell, (_, spec) in zip(cells, _COLUMNS, strict=False))


def _outcome_cells(counts: dict[str, int]) -> tuple[int, ...]:
    return (
        counts["passed"],
        counts["failed"],
        counts["error"],
        counts["skipped"],
        counts["xfailed"],
        counts["xpassed"],
    )


def final_table(state: RunState, now: float) -> list[str]:
    """The table printed at the end of a headless run: a row per suite, then one per worker."""
    header = _row(*(name for name, _ in _COLUMNS))
    lines = [header, "-" * len(header)]
    indent = " " * 16
    for suite in state.suites.values():
        if not suite.runs:
            continue
        # A suite that never started (its `needs` timed out) spent its time waiting.
        seconds = suite.duration(now) if suite.started_at is not None else suite.waited
        time_cell = f"{seconds:.1f}s"
        lines.append(
            _row(
                suite.name,
                "all",
                suite.status,
                suite.done,
                *_outcome_cells(suite.counts),
                time_cell,
            )
        )
        for worker in suite.workers.values():
            mark = "crashed" if worker.crashed else ""
            # A replacement that crashed too says both: "(for gw0)" then follows the counts,
            # which keeps the columns aligned.
            tail = f"  (for {worker.replaces})" if worker.replaces and mark else ""
            if worker.replaces and not mark:
                mark = f"(for {worker.replaces})"
            if worker.restarts:
                mark = f"restarts={worker.restarts}"
            if not (worker.done or mark):
                continue  # a lane that got no test (an empty suite's, or more workers than tests)
            cells = _row("", worker.id, mark, worker.done, *_outcome_cells(worker.counts))
            lines.append(cells + tail)
        for nodeid, _ in suite.collect_errors:
            lines.append(f"{indent} collection error: {nodeid}")
        if suite.unreported:
            lines.append(f"{indent} unreported: {suite.unreported} (counted as errors)")
        if suite.flaky:
            lines.append(f"{indent} flaky: {suite.flaky} (passed only on a retry; counted in pass)")
        if suite.not_run:
            lines.append(f"{indent} not run: {len(suite.not_run)} (the run ended early)")
        if suite.interrupted:
            lines.append(f"{indent} interrupted: {len(suite.interrupted)}")
        if suite.corrected:
            lines.append(f"{indent} stream damaged: {plural(suite.corrected, 'result')} corrected")
        if suite.error:
            lines.append(f"{indent} error: {suite.error}")
        if suite.malformed or suite.oversized:
            lines.append(
                f"{indent} skipped event lines: {suite.malformed} malformed, "
                f"{suite.oversized} oversized"
            )
    return lines


def quarantine_lines(config: ProjectConfig, state: RunState, whole: bool) -> list[str]:
    """What the quarantine did: the quarantined tests that failed (not counted), and, after a
    run of whole suites, the ids in the table that match no collected test (a warning)."""
    lines = []
    for suite in state.suites.values():
        failed = suite.quarantined_failures()
        if failed:
            names = ", ".join(t.nodeid for t in failed[:5])
            more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
            lines.append(
                f"[{suite.name}] quarantined: {plural(len(failed), 'test')} failed and "
                f"did not fail the run: {names}{more}"
            )
    ran = [s for s in state.suites.values() if s.runs]
    if whole and config.quarantine and ran and all(s.collected_ids or s.tests for s in ran):
        seen = [n for s in ran for n in (*s.collected_ids, *s.tests)]
        for nodeid in unmatched(config.quarantine, seen):
            lines.append(
                f"quarantine: {nodeid} matches no test collected in this run "
                f"({config.source}): renamed or deleted?"
            )
    return lines
